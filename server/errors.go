package server

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// errReadOnlyServer is the message of writes refused by a read-only
// registryd.
const errReadOnlyServer = "this registryd runs read-only (--read-only, e.g. on a replica): it serves reads only; push to the primary registryd"

// readOnlyError returns the error of a write refused because the server
// is read-only; op names the refused call.
func readOnlyError(op string) error {
	return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("%s: %s", op, errReadOnlyServer))
}

// connectError maps an error of the registry, the store or auth to a
// Connect error with the code a client can act on.
func connectError(err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	var rejected *registry.RejectedError
	if errors.As(err, &rejected) {
		return rejectionError(rejected)
	}
	code := connect.CodeInternal
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		code = connect.CodeUnauthenticated
	case errors.Is(err, auth.ErrPermissionDenied):
		code = connect.CodePermissionDenied
	case errors.Is(err, registry.ErrReadOnly):
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("%s (%v)", errReadOnlyServer, err))
	case errors.Is(err, registry.ErrInvalidArgument):
		code = connect.CodeInvalidArgument
	case errors.Is(err, registry.ErrNotFound):
		code = connect.CodeNotFound
	case errors.Is(err, registry.ErrAlreadyExists):
		code = connect.CodeAlreadyExists
	case errors.Is(err, registry.ErrConflict):
		code = connect.CodeFailedPrecondition
	case errors.Is(err, registry.ErrStaleBaseline):
		code = connect.CodeAborted
	case errors.Is(err, registry.ErrUnavailable):
		code = connect.CodeUnavailable
	case errors.Is(err, context.Canceled):
		code = connect.CodeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		code = connect.CodeDeadlineExceeded
	}
	return connect.NewError(code, err)
}

// rejectionError is a refused push: FailedPrecondition, the rejection's
// message (one line per blocking finding) and a PushRejection detail with
// every finding.
func rejectionError(r *registry.RejectedError) error {
	ce := connect.NewError(connect.CodeFailedPrecondition, errors.New(r.Error()))
	detail, err := connect.NewErrorDetail(&v1.PushRejection{
		Module:          r.Verdict.Module,
		BaselineVersion: r.Verdict.Baseline,
		Digest:          r.Verdict.Digest,
		Findings:        findingsToProto(r.Verdict.Findings, r.Verdict.Baseline),
	})
	if err == nil {
		ce.AddDetail(detail)
	}
	return ce
}
