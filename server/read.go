package server

import (
	"context"
	"fmt"
	"slices"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server/blobcache"
)

// canRead authorizes a read.
func canRead(ctx context.Context) error {
	return connectError(auth.FromContext(ctx).CanRead())
}

// GetModule implements RegistryServiceHandler. The module is read from the
// store (its latest version moves); the version and its files come from
// the read cache.
func (s *Server) GetModule(ctx context.Context, req *connect.Request[v1.GetModuleRequest]) (*connect.Response[v1.GetModuleResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	m, err := s.store.GetModule(ctx, req.Msg.GetModule())
	if err != nil {
		return nil, connectError(err)
	}
	v, err := s.version(ctx, m.Name, req.Msg.GetVersion())
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.GetModuleResponse{Module: moduleToProto(m), Version: versionToProto(v)}
	if req.Msg.GetIncludeFiles() {
		if resp.Files, err = s.files(ctx, v); err != nil {
			return nil, connectError(err)
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
	v, b, err := s.descriptorSet(ctx, req.Msg.GetModule(), req.Msg.GetVersion())
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.GetDescriptorSetResponse{Version: versionToProto(v), FileDescriptorSet: b.Data}), nil
}

// readCache returns the server's read cache of immutable version bytes.
func (s *Server) readCache() *blobcache.Cache { return s.cache }

// bytesKey is the cache key of a version's bytes by module and content
// digest: immutable, whatever happens to the version.
func bytesKey(kind, module, digest string) string {
	return kind + "\x00" + module + "\x00" + digest
}

// version returns the version of module that readers get, from the store:
// a deleted version, or latest when every version is deleted, is a
// *registry.VersionDeletedError (NotFound, saying who deleted it, when and
// why); latest is the newest version not deleted. Version metadata is not
// cached: an admin may delete or restore a version at any time, on any
// registryd sharing the database; the bytes are cached by digest.
func (s *Server) version(ctx context.Context, module string, number int64) (registry.Version, error) {
	return registry.ServedVersion(ctx, s.store, module, number)
}

// descriptorSet returns a version (LatestVersion: the latest) and its
// descriptor set, from the read cache: its bytes, their digest and, when
// the cache is enabled, their gzip form. The blob is shared: never write
// to it.
func (s *Server) descriptorSet(ctx context.Context, module string, number int64) (registry.Version, *blobcache.Blob, error) {
	v, err := s.version(ctx, module, number)
	if err != nil {
		return registry.Version{}, nil, err
	}
	c := s.readCache()
	b, err := c.Get(ctx, bytesKey("descriptor_set", module, v.Digest), func(ctx context.Context) (*blobcache.Blob, error) {
		data, err := s.store.GetDescriptorSet(ctx, module, v.Number)
		if err != nil {
			return nil, err
		}
		return blobcache.NewBlob(data, c.Enabled())
	})
	if err != nil {
		return registry.Version{}, nil, err
	}
	return v, b, nil
}

// files returns a version's files and its pbregistry.yaml (last, if any),
// from the read cache. The messages are shared: never modify them.
func (s *Server) files(ctx context.Context, v registry.Version) ([]*v1.File, error) {
	b, err := s.readCache().Get(ctx, bytesKey("files", v.Module, v.Digest), func(ctx context.Context) (*blobcache.Blob, error) {
		files, err := s.store.GetFiles(ctx, v.Module, v.Number)
		if err != nil {
			return nil, err
		}
		config, err := s.store.GetConfig(ctx, v.Module, v.Number)
		if err != nil {
			return nil, err
		}
		out := filesToProto(files)
		if len(config) > 0 {
			out = append(out, &v1.File{Path: registry.ConfigFileName, Content: config})
		}
		n := 0
		for _, f := range out {
			n += len(f.Path) + len(f.Content) + 64
		}
		return &blobcache.Blob{Meta: slices.Clip(out), Extra: n}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("files of %s version %d: %w", v.Module, v.Number, err)
	}
	return b.Meta.([]*v1.File), nil
}
