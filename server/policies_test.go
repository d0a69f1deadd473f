package server_test

import (
	"context"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/server"
)

// TestGetPolicies: GetPolicies returns the server-wide policies as
// registryd's configuration writes them (none without a policies: list),
// to anyone who may read: with a token when anonymous reads are off.
func TestGetPolicies(t *testing.T) {
	ctx := context.Background()
	none, err := start(t, "", server.Options{}).client("").GetPolicies(ctx, connect.NewRequest(&v1.GetPoliciesRequest{}))
	if err != nil || none.Msg.GetPoliciesYaml() != "" || len(none.Msg.GetNames()) != 0 {
		t.Errorf("GetPolicies without policies = %v, %v; want none", none, err)
	}
	cfg, err := server.ParseConfig("registryd.yaml", []byte(`policies:
  - name: NO_FLOATS
    target: field
    expr: field.type != "float"
    message: amounts are never floats
  - {name: PACKAGE_VERSIONED, severity: warning}
`))
	if err != nil {
		t.Fatal(err)
	}
	tf := &auth.TokensFile{Entries: []auth.Entry{{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}}}}
	in := start(t, "", server.Options{Config: cfg, Auth: auth.New(tf, auth.Options{AnonymousRead: false})})
	_, err = in.client("").GetPolicies(ctx, connect.NewRequest(&v1.GetPoliciesRequest{}))
	wantCode(t, "anonymous GetPolicies", err, connect.CodeUnauthenticated, "needs a token")
	resp, err := in.client("r").GetPolicies(ctx, connect.NewRequest(&v1.GetPoliciesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Msg.GetNames(); !slices.Equal(got, []string{"NO_FLOATS", "PACKAGE_VERSIONED"}) {
		t.Errorf("names = %v", got)
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(resp.Msg.GetPoliciesYaml()), &node); err != nil {
		t.Fatal(err)
	}
	specs, err := policies.Parse("served", node.Content[0])
	if err != nil {
		t.Fatalf("the served policies do not parse: %v\n%s", err, resp.Msg.GetPoliciesYaml())
	}
	if len(specs) != 2 || specs[0].Expr != cfg.Policies[0].Expr || specs[0].Message != cfg.Policies[0].Message || specs[1].Severity != "warning" {
		t.Errorf("served policies %+v, configured %+v", specs, cfg.Policies)
	}
}
