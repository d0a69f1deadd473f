package server

import (
	"context"
	"fmt"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/compat"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

// Diff implements RegistryServiceHandler: the findings of version To
// against version From (registry.Service.Diff, every subject at FULL) and
// the changelog between them (compat.Changelog).
func (s *Server) Diff(ctx context.Context, req *connect.Request[v1.DiffRequest]) (*connect.Response[v1.DiffResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	module := req.Msg.GetModule()
	if req.Msg.GetFrom() <= 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("diff %s: from is %d: name the older version (1, 2, …)", module, req.Msg.GetFrom()))
	}
	from, err := s.store.GetVersion(ctx, module, req.Msg.GetFrom())
	if err != nil {
		return nil, connectError(err)
	}
	to, err := s.store.GetVersion(ctx, module, req.Msg.GetTo())
	if err != nil {
		return nil, connectError(err)
	}
	findings, prev, curr, err := s.service.Diff(ctx, module, from.Number, to.Number)
	if err != nil {
		return nil, connectError(err)
	}
	resp := &v1.DiffResponse{From: versionToProto(from), To: versionToProto(to), Findings: findingsToProto(findings, from.Number)}
	for _, c := range compat.Changelog(prev, curr) {
		resp.Changes = append(resp.Changes, &v1.Change{Kind: string(c.Kind), Element: c.Element, Description: c.Description})
	}
	return connect.NewResponse(resp), nil
}
