package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// TestPolicyBlocksPush: an error-severity policy blocks a push exactly like
// an incompatible change, a warning does not, and an approved exception
// lets one push through once.
func TestPolicyBlocksPush(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	config := billingConfig + `policies:
  - name: AMOUNTS_IN_MINOR_UNITS
    target: field
    kinds: [pbtable]
    expr: '!field.name.endsWith("amount") || field.type == "int64"'
    message_expr: '"field " + field.name + " must hold minor units as int64"'
  - name: EVENT_OCCURRED_AT
    severity: warning
`
	noTime := strings.Replace(billingProto("  int64 amount = 7;", "", ""), "  google.protobuf.Timestamp occurred_at = 2;\n", "", 1)
	v1, _, verdict, err := s.Push(ctx, registry.PushRequest{Files: module(config, noTime), Principal: "ci"})
	if err != nil || v1.Number != 1 {
		t.Fatalf("push with a warning: %v, %v", v1, err)
	}
	if len(verdict.Findings) != 1 || verdict.Findings[0].Rule != "EVENT_OCCURRED_AT" || verdict.Findings[0].Blocking() {
		t.Errorf("findings of the first push = %+v, want one non-blocking EVENT_OCCURRED_AT warning", verdict.Findings)
	}

	bad := billingProto("  int64 amount = 7;\n  double tax_amount = 8;", "", "")
	_, _, _, err = s.Push(ctx, registry.PushRequest{Files: module(config, bad), Principal: "ci"})
	var rejected *registry.RejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("push breaking a policy: %v", err)
	}
	want := "proto/acme/billing/v1/invoice.proto:8:3: field tax_amount must hold minor units as int64. (AMOUNTS_IN_MINOR_UNITS, policy)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("rejection:\n%v\nwant a line:\n%s", err, want)
	}
	exc, err := s.Store().CreateException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: rejected.Verdict.Digest,
		Rule: "AMOUNTS_IN_MINOR_UNITS", Element: "acme.billing.v1.Invoice.tax_amount", Reason: "tax is a rate", Principal: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	v2, _, _, err := s.Push(ctx, registry.PushRequest{Files: module(config, bad), Principal: "ci"})
	if err != nil || v2.Number != 2 {
		t.Fatalf("push with the exception: %v, %v", v2, err)
	}
	if used, _ := s.Store().GetException(ctx, exc.ID); used.UsedVersion != 2 {
		t.Errorf("exception used by %d, want 2", used.UsedVersion)
	}
	// The exception does not carry over: the same violation in another
	// push is refused.
	worse := billingProto("  int64 amount = 7;\n  double tax_amount = 8;\n  float fee_amount = 9;", "", "")
	if _, _, _, err := s.Push(ctx, registry.PushRequest{Files: module(config, worse), Principal: "ci"}); !errors.Is(err, registry.ErrRejected) {
		t.Errorf("later violation: %v", err)
	}
}

// TestServerPolicies: policies in registryd's configuration apply to every
// module, which cannot change them.
func TestServerPolicies(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("- {name: NO_FLOATS, target: field, expr: 'field.type != \"float\"'}\n- {name: PACKAGE_VERSIONED, severity: error}\n"), &doc); err != nil {
		t.Fatal(err)
	}
	server, err := policies.Parse("registryd.yaml", &doc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := registry.NewService(store, compose(registry.ServiceOptions{Policies: cel.NewEngine(server, policies.Limits{})}))
	_, _, _, err = s.Push(context.Background(), registry.PushRequest{Files: module(billingConfig, billingProto("  float rate = 7;", "", "")), Principal: "ci"})
	if !errors.Is(err, registry.ErrRejected) || !strings.Contains(err.Error(), "(NO_FLOATS, policy)") {
		t.Errorf("server policy: %v", err)
	}
	override := billingConfig + "policies:\n  - {name: NO_FLOATS, disabled: true}\n"
	_, _, _, err = s.Push(context.Background(), registry.PushRequest{Files: module(override, billingProto("  float rate = 7;", "", "")), Principal: "ci"})
	if !errors.Is(err, registry.ErrInvalidArgument) || !strings.Contains(err.Error(), "pbregistry.yaml:13:5: policy NO_FLOATS is enforced by the registry (registryd.yaml:1:3)") {
		t.Errorf("module overriding a server policy: %v", err)
	}
}

func TestPolicyConfigErrors(t *testing.T) {
	s := newService(t)
	config := billingConfig + "policies:\n  - name: BROKEN\n    target: message\n    expr: message.nmae == 'x'\n"
	_, _, _, err := s.Push(context.Background(), registry.PushRequest{Files: module(config, billingProto("", "", "")), Principal: "ci"})
	if !errors.Is(err, registry.ErrInvalidArgument) || !strings.Contains(err.Error(), "pbregistry.yaml:15:") || !strings.Contains(err.Error(), "undefined field 'nmae'") {
		t.Errorf("err = %v, want the file, line and CEL error", err)
	}
}
