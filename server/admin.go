package server

import (
	"context"
	"fmt"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// SetSubjectConfig implements RegistryServiceHandler (admin only): it sets
// or, when the request has no compatibility, clears a subject's override,
// through the service, which validates it as it validates pushes and logs
// it.
func (s *Server) SetSubjectConfig(ctx context.Context, req *connect.Request[v1.SetSubjectConfigRequest]) (*connect.Response[v1.SetSubjectConfigResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("set subject config")
	}
	p := auth.FromContext(ctx)
	if err := p.CanAdmin(fmt.Sprintf("overriding the configuration of subject %s", registry.Truncate(req.Msg.GetMessage(), 256))); err != nil {
		return nil, connectError(err)
	}
	var sub registry.Subject
	var err error
	if c := req.Msg.GetCompatibility(); c == nil {
		sub, err = s.service.ClearSubjectConfig(ctx, req.Msg.GetModule(), req.Msg.GetMessage(), p.Name)
	} else {
		sub, err = s.service.SetSubjectConfig(ctx, registry.SubjectConfigRequest{
			Module:        req.Msg.GetModule(),
			Subject:       req.Msg.GetMessage(),
			Compatibility: registry.Compatibility{Level: levelFromProto(c.GetLevel()), Use: c.GetUse(), Except: c.GetExcept()},
			Principal:     p.Name,
		})
	}
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.SetSubjectConfigResponse{Subject: subjectToProto(sub)}), nil
}

// ApproveException implements RegistryServiceHandler (admin only): the
// service validates the exception as it validates pushes, and logs it.
func (s *Server) ApproveException(ctx context.Context, req *connect.Request[v1.ApproveExceptionRequest]) (*connect.Response[v1.ApproveExceptionResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("approve exception")
	}
	p := auth.FromContext(ctx)
	if err := p.CanAdmin("approving an exception"); err != nil {
		return nil, connectError(err)
	}
	e, err := s.service.ApproveException(ctx, registry.ExceptionSpec{
		Module:    req.Msg.GetModule(),
		Digest:    req.Msg.GetDigest(),
		Rule:      req.Msg.GetRule(),
		Element:   req.Msg.GetElement(),
		Reason:    req.Msg.GetReason(),
		Principal: p.Name,
	})
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.ApproveExceptionResponse{Exception: exceptionToProto(e)}), nil
}

// ListExceptions implements RegistryServiceHandler.
func (s *Server) ListExceptions(ctx context.Context, req *connect.Request[v1.ListExceptionsRequest]) (*connect.Response[v1.ListExceptionsResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	excs, err := s.store.ListExceptions(ctx, registry.ExceptionQuery{Module: req.Msg.GetModule()})
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.ListExceptionsResponse{}
	for _, e := range excs {
		resp.Exceptions = append(resp.Exceptions, exceptionToProto(e))
	}
	return connect.NewResponse(resp), nil
}
