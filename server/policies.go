package server

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

// GetPolicies implements RegistryServiceHandler: the server-wide policies
// of registryd's configuration, as written there, for anyone who may read.
// pbcheck lint --registry compiles them with the built-in policies and the
// module's own exactly as a push does, so that it reports what a push
// will face.
func (s *Server) GetPolicies(ctx context.Context, _ *connect.Request[v1.GetPoliciesRequest]) (*connect.Response[v1.GetPoliciesResponse], error) {
	if err := auth.FromContext(ctx).CanRead(); err != nil {
		return nil, connectError(err)
	}
	resp := &v1.GetPoliciesResponse{}
	for _, p := range s.cfg.Policies {
		resp.Names = append(resp.Names, p.Name)
	}
	if s.cfg.PoliciesNode.Kind != 0 {
		data, err := yaml.Marshal(&s.cfg.PoliciesNode)
		if err != nil {
			return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("get policies: encode the configured policies: %w", err))
		}
		resp.PoliciesYaml = string(data)
	}
	return connect.NewResponse(resp), nil
}
