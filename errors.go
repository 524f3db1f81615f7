// Package parley holds the types shared by every part of Parley: the error
// type with codes that the command line and the HTTP layer map to exit codes
// and status codes.
package parley

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to a status code.
const (
	EINVALID      = "invalid"      // bad input: a file, a flag or an API field
	ENOTFOUND     = "not_found"    // a named thing does not exist
	ECONFLICT     = "conflict"     // the action does not fit the current state
	EUNAUTHORIZED = "unauthorized" // no valid credential for the action
	EFORBIDDEN    = "forbidden"    // a credential, but not for this action
	EUNSUPPORTED  = "unsupported"  // valid input that this operation cannot handle
	EINTERNAL     = "internal"     // a fault inside Parley
	// EKEYREUSED: an idempotency key sent again with a different request.
	EKEYREUSED = "idempotency_key_reused"
)

// Error is an error with a code and a message meant for the user.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// ErrorCoder's code, EINTERNAL for other errors and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c ErrorCoder
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return EINTERNAL
}

// ErrorCoder is implemented by error types of other packages that carry a code,
// such as the list of validation problems of a scenario file.
type ErrorCoder interface {
	error
	ErrorCode() string
}
