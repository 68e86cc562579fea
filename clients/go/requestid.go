package recovery

import (
	"crypto/rand"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

const requestIDField protoreflect.Name = "request_id"

// newRequestID returns a random RFC 9562 version 4 UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms (Go 1.24+).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fillRequestID sets request_id to a fresh UUID when the request has that field and it is empty.
// It reports whether the request is mutating (has a request_id field at all).
func fillRequestID(req any) bool {
	msg, ok := req.(proto.Message)
	if !ok {
		return false
	}
	reflected := msg.ProtoReflect()
	field := reflected.Descriptor().Fields().ByName(requestIDField)
	if field == nil || field.Kind() != protoreflect.StringKind {
		return false
	}
	if reflected.Get(field).String() == "" {
		reflected.Set(field, protoreflect.ValueOfString(newRequestID()))
	}
	return true
}
