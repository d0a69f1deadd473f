package lakehouse

import "fmt"

// Code is the machine-readable class of an [Error].
type Code string

// The codes of lakehouse errors.
const (
	// CodeInvalidArgument: the request (a name, a primary key, an option)
	// is malformed.
	CodeInvalidArgument Code = "invalid_argument"
	// CodeNotFound: a message or field the request names does not exist.
	CodeNotFound Code = "not_found"
	// CodeFailedPrecondition: the schemas cannot be generated for as asked,
	// e.g. a primary key whose type changed between versions.
	CodeFailedPrecondition Code = "failed_precondition"
)

// Error is a lakehouse error: a code, the subject it concerns and what is
// wrong and what to do.
type Error struct {
	// Code classifies the error.
	Code Code
	// Subject is the fully-qualified message name the error concerns,
	// or empty.
	Subject string
	// Msg says what is wrong and what to do.
	Msg string
}

func (e *Error) Error() string {
	if e.Subject == "" {
		return e.Msg
	}
	return e.Subject + ": " + e.Msg
}

// errorf returns an *Error.
func errorf(code Code, subject, format string, args ...any) *Error {
	return &Error{Code: code, Subject: subject, Msg: fmt.Sprintf(format, args...)}
}
