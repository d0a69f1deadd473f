package registry

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Store returns for one of these conditions
// matches the sentinel with errors.Is; the typed errors below carry the
// details and can be extracted with errors.As.
var (
	// ErrNotFound: the module, version, subject, exception or outbox
	// delivery does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the thing being created exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrStaleBaseline: a push was checked against a version that is no
	// longer the module's latest. Check again against the latest and retry.
	ErrStaleBaseline = errors.New("stale baseline")
	// ErrInvalidArgument: the request is malformed.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrConflict: the request contradicts what the store holds, e.g. a
	// ledger entry that gives a used key another meaning, or an exception
	// that was already used.
	ErrConflict = errors.New("conflict")
	// ErrReadOnly: the store was opened read-only and refuses writes.
	ErrReadOnly = errors.New("store is read-only")
	// ErrUnavailable: the store gave up waiting — for a lock another
	// writer holds, a statement past its timeout, a free connection — and
	// wrote nothing. The request may succeed if retried later.
	ErrUnavailable = errors.New("unavailable")
)

// Code is the machine-readable class of a registry error, for APIs to map to
// their status codes.
type Code string

// The codes ErrorCode returns.
const (
	CodeOK              Code = "ok"
	CodeNotFound        Code = "not_found"
	CodeAlreadyExists   Code = "already_exists"
	CodeStaleBaseline   Code = "stale_baseline"
	CodeInvalidArgument Code = "invalid_argument"
	CodeConflict        Code = "conflict"
	CodeReadOnly        Code = "read_only"
	CodeUnavailable     Code = "unavailable"
	CodeInternal        Code = "internal"
)

// ErrorCode returns the Code of err: CodeOK for nil, the code of the
// sentinel err matches, or CodeInternal.
func ErrorCode(err error) Code {
	switch {
	case err == nil:
		return CodeOK
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrAlreadyExists):
		return CodeAlreadyExists
	case errors.Is(err, ErrStaleBaseline):
		return CodeStaleBaseline
	case errors.Is(err, ErrInvalidArgument):
		return CodeInvalidArgument
	case errors.Is(err, ErrConflict):
		return CodeConflict
	case errors.Is(err, ErrReadOnly):
		return CodeReadOnly
	case errors.Is(err, ErrUnavailable):
		return CodeUnavailable
	default:
		return CodeInternal
	}
}

// NotFoundError says which thing was not found. It matches ErrNotFound.
type NotFoundError struct {
	// Kind is what was looked up: "module", "version", "subject",
	// "exception", "outbox consumer" or "outbox delivery".
	Kind string
	// Key identifies it, e.g. "acme/commerce@3".
	Key string
}

// Error implements error.
func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.Key) }

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// StaleBaselineError is returned by CommitPush when the module's latest
// version is not the push's BaseVersion. It matches ErrStaleBaseline.
type StaleBaselineError struct {
	// Module is the module pushed to.
	Module string
	// BaseVersion is the version the push was checked against.
	BaseVersion int64
	// Latest is the module's latest version now (0: the module has none).
	Latest int64
}

// Error implements error.
func (e *StaleBaselineError) Error() string {
	return fmt.Sprintf("module %s: push was checked against version %d but the latest version is %d: check again against version %d and retry",
		e.Module, e.BaseVersion, e.Latest, e.Latest)
}

// Is reports whether target is ErrStaleBaseline.
func (e *StaleBaselineError) Is(target error) bool { return target == ErrStaleBaseline }

// InvalidArgumentError names the malformed field of a request and what is
// wrong with it. It matches ErrInvalidArgument.
type InvalidArgumentError struct {
	// Field is the request field, e.g. "files[3].path".
	Field string
	// Problem says what is wrong and what to do.
	Problem string
}

// Error implements error.
func (e *InvalidArgumentError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Problem)
}

// Is reports whether target is ErrInvalidArgument.
func (e *InvalidArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

// invalid returns an *InvalidArgumentError.
func invalid(field, format string, args ...any) error {
	return &InvalidArgumentError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ExceptionUnavailableError is returned by CommitPush when an exception it
// should consume does not exist, belongs to another module or digest, or was
// already used. It matches ErrConflict.
type ExceptionUnavailableError struct {
	// ID is the exception's ID.
	ID int64
	// Reason says why it cannot be consumed.
	Reason string
}

// Error implements error.
func (e *ExceptionUnavailableError) Error() string {
	return fmt.Sprintf("exception %d cannot be used: %s", e.ID, e.Reason)
}

// Is reports whether target is ErrConflict.
func (e *ExceptionUnavailableError) Is(target error) bool { return target == ErrConflict }
