package server

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/submodule"
)

// ListStacks implements RegistryServiceHandler: the configured stacks,
// their clone URLs and the latest commit on each one's main, read from
// Config.Stacks.Dir. Without stacks.public_url, a clone URL is the path
// /git/<stack>.git, relative to the URL the client reached the registry
// at.
func (s *Server) ListStacks(ctx context.Context, _ *connect.Request[v1.ListStacksRequest]) (*connect.Response[v1.ListStacksResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	sc := &s.cfg.Stacks
	resp := &v1.ListStacksResponse{}
	for i := range sc.Repos {
		st := &sc.Repos[i]
		out := &v1.Stack{Name: st.Name, Kind: st.Kind, CloneUrl: "/git/" + st.Name + ".git", Modules: st.Modules}
		if sc.PublicURL != "" {
			out.CloneUrl = submodule.CloneURL(sc.PublicURL, st.Name)
		}
		if out.Kind == "" {
			out.Kind = submodule.KindProtos
		}
		if sc.Dir != "" {
			p, err := submodule.Latest(sc.Dir, st.Name)
			if err != nil {
				return nil, connect.NewError(connect.CodeInternal, err)
			}
			if p != nil {
				out.Latest = &v1.StackPublication{Release: p.Release, Commit: p.Commit, Module: p.Module, Version: p.Version, Time: timestamppb.New(p.Time)}
			}
		}
		resp.Stacks = append(resp.Stacks, out)
	}
	return connect.NewResponse(resp), nil
}
