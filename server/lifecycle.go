package server

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// RetireSubject implements RegistryServiceHandler (admin only), through
// the service, which validates and logs it.
func (s *Server) RetireSubject(ctx context.Context, req *connect.Request[v1.RetireSubjectRequest]) (*connect.Response[v1.RetireSubjectResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("retire subject")
	}
	p := auth.FromContext(ctx)
	if err := p.CanAdmin(fmt.Sprintf("retiring subject %s", registry.Truncate(req.Msg.GetMessage(), 256))); err != nil {
		return nil, connectError(err)
	}
	sub, changed, err := s.service.RetireSubject(ctx, registry.RetireSubjectRequest{
		Module: req.Msg.GetModule(), Subject: req.Msg.GetMessage(), Reason: req.Msg.GetReason(), Principal: p.Name,
	})
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.RetireSubjectResponse{Subject: subjectToProto(sub), Changed: changed}), nil
}

// DeprecateModule implements RegistryServiceHandler (admin only): it
// deprecates the module, or with undo clears its deprecation.
func (s *Server) DeprecateModule(ctx context.Context, req *connect.Request[v1.DeprecateModuleRequest]) (*connect.Response[v1.DeprecateModuleResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("deprecate module")
	}
	p := auth.FromContext(ctx)
	if err := p.CanAdmin(fmt.Sprintf("deprecating module %s", registry.Truncate(req.Msg.GetModule(), 256))); err != nil {
		return nil, connectError(err)
	}
	var m registry.Module
	var changed bool
	var err error
	if req.Msg.GetUndo() {
		if req.Msg.GetMessage() != "" {
			return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("invalid message: undo clears the deprecation and takes no message"))
		}
		m, changed, err = s.service.UndeprecateModule(ctx, req.Msg.GetModule(), p.Name)
	} else {
		m, changed, err = s.service.DeprecateModule(ctx, registry.DeprecateModuleRequest{
			Module: req.Msg.GetModule(), Message: req.Msg.GetMessage(), Principal: p.Name,
		})
	}
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.DeprecateModuleResponse{Module: moduleToProto(m), Changed: changed}), nil
}

// DeleteVersion implements RegistryServiceHandler (admin only): the
// version is no longer served; the response says what latest now serves.
func (s *Server) DeleteVersion(ctx context.Context, req *connect.Request[v1.DeleteVersionRequest]) (*connect.Response[v1.DeleteVersionResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("delete version")
	}
	p := auth.FromContext(ctx)
	if err := p.CanAdmin(fmt.Sprintf("deleting version %d of %s", req.Msg.GetVersion(), registry.Truncate(req.Msg.GetModule(), 256))); err != nil {
		return nil, connectError(err)
	}
	v, changed, err := s.service.DeleteVersion(ctx, registry.DeleteVersionRequest{
		Module: req.Msg.GetModule(), Version: req.Msg.GetVersion(), Reason: req.Msg.GetReason(), Principal: p.Name,
	})
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.DeleteVersionResponse{Version: versionToProto(v), Changed: changed}
	served, err := s.store.LatestServedVersion(ctx, v.Module)
	switch {
	case err == nil:
		resp.LatestServedVersion = served.Number
	case !errors.Is(err, registry.ErrNotFound):
		return nil, connectError(err)
	}
	return connect.NewResponse(resp), nil
}

// RestoreVersion implements RegistryServiceHandler (admin only).
func (s *Server) RestoreVersion(ctx context.Context, req *connect.Request[v1.RestoreVersionRequest]) (*connect.Response[v1.RestoreVersionResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("restore version")
	}
	p := auth.FromContext(ctx)
	if err := p.CanAdmin(fmt.Sprintf("restoring version %d of %s", req.Msg.GetVersion(), registry.Truncate(req.Msg.GetModule(), 256))); err != nil {
		return nil, connectError(err)
	}
	v, changed, err := s.service.RestoreVersion(ctx, req.Msg.GetModule(), req.Msg.GetVersion(), p.Name)
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.RestoreVersionResponse{Version: versionToProto(v), Changed: changed}), nil
}

// ListLifecycleEvents implements RegistryServiceHandler.
func (s *Server) ListLifecycleEvents(ctx context.Context, req *connect.Request[v1.ListLifecycleEventsRequest]) (*connect.Response[v1.ListLifecycleEventsResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	page, err := s.store.ListLifecycleEvents(ctx, req.Msg.GetModule(), registry.PageRequest{Size: int(req.Msg.GetPageSize()), Token: req.Msg.GetPageToken()})
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.ListLifecycleEventsResponse{NextPageToken: page.NextPageToken}
	for _, e := range page.Items {
		resp.Events = append(resp.Events, &v1.LifecycleEvent{
			Id: e.ID, Module: e.Module, Action: string(e.Action), Subject: e.Subject, Version: e.Version,
			Text: e.Text, Principal: e.Principal, At: timestamppb.New(e.At),
		})
	}
	return connect.NewResponse(resp), nil
}

// moduleAfterPush returns the module a push landed in, for the push's
// response (its deprecation is the pusher's warning); nil if it cannot be
// read now, which does not fail the accepted push.
func (s *Server) moduleAfterPush(ctx context.Context, module string) *v1.Module {
	m, err := s.store.GetModule(ctx, module)
	if err != nil {
		s.logger.WarnContext(ctx, "read module after push", "module", module, "error", err)
		return nil
	}
	return moduleToProto(m)
}

// deprecationToProto converts a module's deprecation; nil for none.
func deprecationToProto(d *registry.ModuleDeprecation) *v1.ModuleDeprecation {
	if d == nil {
		return nil
	}
	return &v1.ModuleDeprecation{Message: d.Message, DeprecatedBy: d.Principal, DeprecatedAt: timestamppb.New(d.At)}
}

// deletionToProto converts a version's deletion; nil for none.
func deletionToProto(d *registry.VersionDeletion) *v1.VersionDeletion {
	if d == nil {
		return nil
	}
	return &v1.VersionDeletion{Reason: d.Reason, DeletedBy: d.Principal, DeletedAt: timestamppb.New(d.At)}
}

// retirementToProto converts a subject's retirement; nil for none.
func retirementToProto(r *registry.SubjectRetirement) *v1.SubjectRetirement {
	if r == nil {
		return nil
	}
	return &v1.SubjectRetirement{RetiredBy: r.Principal, RetiredAt: timestamppb.New(r.At), Reason: r.Reason, Version: r.Version}
}
