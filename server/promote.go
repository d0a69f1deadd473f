package server

import (
	"context"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// PromoteVersion implements RegistryServiceHandler: it authorizes the
// promotion as a push to the module (scope push:<glob>) — a promotion is
// checked exactly like a push of the promoted content, so whoever may push
// may roll back — and makes the version's content the next version,
// recording the caller and the reason. An incompatible promotion fails
// with FailedPrecondition and a PushRejection detail, as Push does.
func (s *Server) PromoteVersion(ctx context.Context, req *connect.Request[v1.PromoteVersionRequest]) (*connect.Response[v1.PromoteVersionResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("promote")
	}
	p := auth.FromContext(ctx)
	if err := p.CanPush(req.Msg.GetModule()); err != nil {
		return nil, connectError(err)
	}
	if s.pushContext != nil {
		ctx = s.pushContext(ctx)
	}
	v, created, verdict, err := s.service.Promote(ctx, registry.PromoteRequest{
		Module:    req.Msg.GetModule(),
		Version:   req.Msg.GetVersion(),
		Principal: p.Name,
		Reason:    req.Msg.GetReason(),
	})
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.PromoteVersionResponse{
		Version:         versionToProto(v),
		Created:         created,
		BaselineVersion: verdict.Baseline,
		Findings:        findingsToProto(verdict.Findings, verdict.Baseline),
	}), nil
}
