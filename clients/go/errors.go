package recovery

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FieldViolation is one bad request field (google.rpc.BadRequest.FieldViolation), named by its proto path.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is every failed RPC of a Client: the status code and message plus the decoded google.rpc
// details the server attaches (one ErrorInfo; BadRequest field violations for INVALID_ARGUMENT).
// Read it with errors.As; status.Code(err) and status.FromError(err) keep working too.
type Error struct {
	Code    codes.Code
	Message string
	// Reason, Domain and Metadata come from google.rpc.ErrorInfo (empty when the server sent none).
	Reason          string
	Domain          string
	Metadata        map[string]string
	FieldViolations []FieldViolation

	status *status.Status
}

func (e *Error) Error() string {
	text := fmt.Sprintf("cavra recovery: %s: %s", e.Code, e.Message)
	if e.Reason != "" {
		text += " (" + e.Reason + ")"
	}
	return text
}

// GRPCStatus lets grpc's status.FromError and status.Code read the original status.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// Violation returns the description of the first violation of field, and whether there is one.
func (e *Error) Violation(field string) (string, bool) {
	for _, v := range e.FieldViolations {
		if v.Field == field {
			return v.Description, true
		}
	}
	return "", false
}

// IsCode reports whether err is (or wraps) a gRPC failure with the given code.
func IsCode(err error, code codes.Code) bool {
	return err != nil && status.Code(err) == code
}

// asError converts a gRPC error into *Error; nil stays nil, context errors become their status.
func asError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st := status.Convert(err)
	rerr := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			if rerr.Reason == "" {
				rerr.Reason, rerr.Domain, rerr.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				rerr.FieldViolations = append(rerr.FieldViolations, FieldViolation{
					Field: v.GetField(), Description: v.GetDescription(),
				})
			}
		}
	}
	return rerr
}
