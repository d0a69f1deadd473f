package server

import (
	"context"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/config"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// Push implements RegistryServiceHandler: it authorizes the push to its
// module (scope push:<glob>), checks it and stores it as the next version,
// recording the caller as the pusher. A push is of .proto files, or of an
// image (a compiled FileDescriptorSet, with pbregistry.yaml and optional
// sources in files), which is checked the same way. An incompatible push
// fails with FailedPrecondition and a PushRejection detail; an invalid
// image, like files that do not compile, with InvalidArgument.
func (s *Server) Push(ctx context.Context, req *connect.Request[v1.PushRequest]) (*connect.Response[v1.PushResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("push")
	}
	p := auth.FromContext(ctx)
	files := filesFromProto(req.Msg.GetFiles())
	if module := pushedModule(req.Msg.GetModule(), files); module != "" {
		if err := p.CanPush(module); err != nil {
			return nil, connectError(err)
		}
	} else if err := p.CanPush("<unnamed module>"); err != nil {
		return nil, connectError(err)
	}
	if s.pushContext != nil {
		ctx = s.pushContext(ctx)
	}
	v, created, verdict, err := s.service.Push(ctx, registry.PushRequest{
		Module:    req.Msg.GetModule(),
		Files:     files,
		Image:     req.Msg.GetImage(),
		Build:     buildFromProto(req.Msg.GetBuild()),
		Principal: p.Name,
	})
	if err != nil {
		return nil, connectError(err)
	}
	return connect.NewResponse(&v1.PushResponse{
		Version:  versionToProto(v),
		Created:  created,
		Findings: findingsToProto(verdict.Findings, verdict.Baseline),
		Module:   s.moduleAfterPush(ctx, v.Module),
		Notice:   verdict.Notice(),
	}), nil
}

// CheckPush implements RegistryServiceHandler: the verdict Push would
// give, for anyone who may read. It works on read-only servers too.
func (s *Server) CheckPush(ctx context.Context, req *connect.Request[v1.CheckPushRequest]) (*connect.Response[v1.CheckPushResponse], error) {
	if err := auth.FromContext(ctx).CanRead(); err != nil {
		return nil, connectError(err)
	}
	v, err := s.service.CheckPush(ctx, registry.PushRequest{
		Module: req.Msg.GetModule(),
		Files:  filesFromProto(req.Msg.GetFiles()),
		Image:  req.Msg.GetImage(),
	})
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.CheckPushResponse{
		Accepted:        v.Accepted(),
		BaselineVersion: v.Baseline,
		Digest:          v.Digest,
		Findings:        findingsToProto(v.Findings, v.Baseline),
	}
	if v.Existing != nil {
		resp.ExistingVersion = v.Existing.Number
	}
	return connect.NewResponse(resp), nil
}

// pushedModule returns the module a push names: the request's module, or
// else its pbregistry.yaml's module:, or "" when neither says.
func pushedModule(module string, files []registry.File) string {
	if module != "" {
		return module
	}
	for _, f := range files {
		if f.Path == registry.ConfigFileName {
			if cfg, err := config.Parse(registry.ConfigFileName, f.Content); err == nil {
				return cfg.Name
			}
		}
	}
	return ""
}
