package server

import (
	"context"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// canRead authorizes a read.
func canRead(ctx context.Context) error {
	return connectError(auth.FromContext(ctx).CanRead())
}

// GetModule implements RegistryServiceHandler.
func (s *Server) GetModule(ctx context.Context, req *connect.Request[v1.GetModuleRequest]) (*connect.Response[v1.GetModuleResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	m, err := s.store.GetModule(ctx, req.Msg.GetModule())
	if err != nil {
		return nil, connectError(err)
	}
	v, err := s.store.GetVersion(ctx, m.Name, req.Msg.GetVersion())
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.GetModuleResponse{Module: moduleToProto(m), Version: versionToProto(v)}
	if req.Msg.GetIncludeFiles() {
		files, err := s.store.GetFiles(ctx, m.Name, v.Number)
		if err != nil {
			return nil, connectError(err)
		}
		config, err := s.store.GetConfig(ctx, m.Name, v.Number)
		if err != nil {
			return nil, connectError(err)
		}
		resp.Files = filesToProto(files)
		if len(config) > 0 {
			resp.Files = append(resp.Files, &v1.File{Path: registry.ConfigFileName, Content: config})
		}
	}
	return connect.NewResponse(resp), nil
}

// ListModules implements RegistryServiceHandler.
func (s *Server) ListModules(ctx context.Context, req *connect.Request[v1.ListModulesRequest]) (*connect.Response[v1.ListModulesResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	page, err := s.store.ListModules(ctx, registry.PageRequest{Size: int(req.Msg.GetPageSize()), Token: req.Msg.GetPageToken()})
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.ListModulesResponse{NextPageToken: page.NextPageToken}
	for _, m := range page.Items {
		resp.Modules = append(resp.Modules, moduleToProto(m))
	}
	return connect.NewResponse(resp), nil
}

// ListVersions implements RegistryServiceHandler.
func (s *Server) ListVersions(ctx context.Context, req *connect.Request[v1.ListVersionsRequest]) (*connect.Response[v1.ListVersionsResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	page, err := s.store.ListVersions(ctx, req.Msg.GetModule(), registry.PageRequest{Size: int(req.Msg.GetPageSize()), Token: req.Msg.GetPageToken()})
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.ListVersionsResponse{NextPageToken: page.NextPageToken}
	for _, v := range page.Items {
		resp.Versions = append(resp.Versions, versionToProto(v))
	}
	return connect.NewResponse(resp), nil
}

// GetSubject implements RegistryServiceHandler.
func (s *Server) GetSubject(ctx context.Context, req *connect.Request[v1.GetSubjectRequest]) (*connect.Response[v1.GetSubjectResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	sub, err := s.store.GetSubject(ctx, req.Msg.GetModule(), req.Msg.GetMessage())
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.GetSubjectResponse{Subject: subjectToProto(sub)}), nil
}

// ListSubjects implements RegistryServiceHandler.
func (s *Server) ListSubjects(ctx context.Context, req *connect.Request[v1.ListSubjectsRequest]) (*connect.Response[v1.ListSubjectsResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	subs, err := s.store.ListSubjects(ctx, req.Msg.GetModule())
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.ListSubjectsResponse{}
	for _, sub := range subs {
		resp.Subjects = append(resp.Subjects, subjectToProto(sub))
	}
	return connect.NewResponse(resp), nil
}

// GetDescriptorSet implements RegistryServiceHandler.
func (s *Server) GetDescriptorSet(ctx context.Context, req *connect.Request[v1.GetDescriptorSetRequest]) (*connect.Response[v1.GetDescriptorSetResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	v, data, err := s.descriptorSet(ctx, req.Msg.GetModule(), req.Msg.GetVersion())
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.GetDescriptorSetResponse{Version: versionToProto(v), FileDescriptorSet: data}), nil
}

// descriptorSet returns a version (LatestVersion: the latest) and its
// descriptor set.
func (s *Server) descriptorSet(ctx context.Context, module string, number int64) (registry.Version, []byte, error) {
	v, err := s.store.GetVersion(ctx, module, number)
	if err != nil {
		return registry.Version{}, nil, err
	}
	data, err := s.store.GetDescriptorSet(ctx, module, v.Number)
	if err != nil {
		return registry.Version{}, nil, err
	}
	return v, data, nil
}
