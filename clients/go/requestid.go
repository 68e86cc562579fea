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

// WriteOption adjusts one mutating call of the SDK (RecordRetryExecution, CreatePlan, Deliver, …).
type WriteOption func(*writeSettings)

type writeSettings struct {
	requestID string
	used      *string
}

// WithRequestID sends the call with this request_id instead of a fresh UUID. Resending a write with
// the request_id of an earlier attempt makes the server answer with the first response rather than
// act again (docs/idempotency.md), even from another process.
func WithRequestID(id string) WriteOption { return func(s *writeSettings) { s.requestID = id } }

// UsedRequestID stores the request_id the call was sent with (the one given by WithRequestID, the
// one already set on the request, or the UUID the SDK filled), so a caller can resend it later.
// It is stored before the call is sent, so it is there even when the call fails.
func UsedRequestID(id *string) WriteOption { return func(s *writeSettings) { s.used = id } }

// applyWriteOptions sets the request's request_id from the options (or a fresh UUID when it has none)
// and reports it to UsedRequestID. The interceptor then leaves it as it is.
func applyWriteOptions(req proto.Message, opts []WriteOption) {
	var settings writeSettings
	for _, opt := range opts {
		opt(&settings)
	}
	reflected := req.ProtoReflect()
	field := reflected.Descriptor().Fields().ByName(requestIDField)
	if settings.requestID != "" {
		reflected.Set(field, protoreflect.ValueOfString(settings.requestID))
	}
	fillRequestID(req)
	if settings.used != nil {
		*settings.used = reflected.Get(field).String()
	}
}
