package confluent

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
)

// Confluent's error codes: the HTTP status, times 100 (or 1000), plus a
// number. Clients act on them (a 40401 means "register first").
const (
	codeUnauthorized            = 40101
	codeForbidden               = 40301
	codeSubjectNotFound         = 40401
	codeVersionNotFound         = 40402
	codeSchemaNotFound          = 40403
	codeSubjectSoftDeleted      = 40404
	codeSubjectNotSoftDeleted   = 40405
	codeVersionSoftDeleted      = 40406
	codeVersionNotSoftDeleted   = 40407
	codeSubjectCompatNotSet     = 40408
	codeSubjectModeNotSet       = 40409
	codeIncompatible            = 409
	codeInvalidSchema           = 42201
	codeInvalidVersion          = 42202
	codeInvalidCompatibility    = 42203
	codeInvalidMode             = 42204
	codeOperationNotPermitted   = 42205
	codeReferenceExists         = 42206
	codeIDDoesNotMatch          = 42207
	codeInvalidSubject          = 42208
	codeSchemaTooLarge          = 42209
	codeStoreError              = 50001
	codeUnprocessable           = 422
	codeBadRequest              = 400
	codeNotFound                = 404
	codeMethodNotAllowed        = 405
	codeRequestTooLarge         = 413
	codeUnsupportedMediaType    = 415
	codeServiceUnavailable      = 50003
	codeOperationTimeoutOrRetry = 50002
)

// apiError is an error a handler answers with: Confluent's body
// {"error_code": code, "message": message} with the HTTP status.
type apiError struct {
	status  int
	code    int
	message string
}

// Error implements error.
func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.code, e.message) }

// fail returns an *apiError; the status is derived from the code.
func fail(code int, format string, args ...any) *apiError {
	status := code
	for status >= 1000 {
		status /= 10
	}
	if code == codeStoreError || code == codeServiceUnavailable || code == codeOperationTimeoutOrRetry {
		status = code / 100
	}
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// storeError maps an error of the registry or its store that the handler
// did not expect to a 50001 (50002 when the store was busy), or keeps an
// *apiError.
func storeError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return fail(codeUnauthorized, "%v", err)
	case errors.Is(err, auth.ErrPermissionDenied):
		return fail(codeForbidden, "%v", err)
	case errors.Is(err, registry.ErrUnavailable):
		return fail(codeOperationTimeoutOrRetry, "the store is busy: %v: retry later", err)
	case errors.Is(err, registry.ErrReadOnly):
		return fail(codeOperationNotPermitted, "the store is read-only: %v", err)
	}
	return fail(codeStoreError, "error in the backend data store: %v", err)
}

// statusFor is the HTTP status of an *apiError.
func (e *apiError) httpStatus() int {
	if e.status < 100 || e.status > 599 {
		return http.StatusInternalServerError
	}
	return e.status
}
