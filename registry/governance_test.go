package registry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// governedConfig renders a configuration with explicit settings for each
// subject (the lines under its message:), the breaking: section and the
// policies: list (none when empty).
func governedConfig(invoice, paid, audit, breaking, policies string) string {
	c := "version: v1\nmodule: acme/billing\nroots: [proto]\nsubjects:\n" +
		"  - message: acme.billing.v1.Invoice\n" + invoice +
		"  - message: acme.billing.v1.InvoicePaid\n" + paid +
		"  - message: acme.billing.v1.AuditLine\n" + audit
	if breaking != "" {
		c += "breaking:\n" + breaking
	}
	if policies != "" {
		c += "policies:\n" + policies
	}
	return c
}

const (
	govInvoice  = "    kind: pbtable\n    primary_key: [id]\n    compatibility: FULL_TRANSITIVE\n    use: [WIRE_JSON]\n"
	govPaid     = "    kind: event\n    compatibility: FULL_TRANSITIVE\n    use: [WIRE]\n"
	govAudit    = "    kind: log\n    compatibility: BACKWARD_TRANSITIVE\n    use: [WIRE_JSON]\n"
	govBreaking = "  use: [FILE]\n"
	govPolicies = "  - name: EVENT_OCCURRED_AT\n    severity: error\n  - name: AMOUNTS_IN_MINOR_UNITS\n    target: field\n    expr: '!field.name.endsWith(\"amount\") || field.type == \"int64\"'\n    message: amounts are int64 minor units\n"
)

// TestGovernedConfiguration: every weakening of the configuration in
// force — a subject's level, transitivity, rules, kind or primary key, the
// module's breaking: section, a policy disabled, removed or turned into a
// warning — is refused with its own rule, and accepted once an admin
// approves each finding as an exception; strengthening is free.
func TestGovernedConfiguration(t *testing.T) {
	base := governedConfig(govInvoice, govPaid, govAudit, govBreaking, govPolicies)
	tests := []struct {
		name  string
		after string
		want  []string // "RULE element", blocking; none: accepted as it is
	}{
		{"subject level lowered", governedConfig(strings.Replace(govInvoice, "FULL_TRANSITIVE", "NONE", 1), govPaid, govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_LEVEL_NO_WEAKEN acme.billing.v1.Invoice"}},
		{"subject no longer transitive", governedConfig(strings.Replace(govInvoice, "FULL_TRANSITIVE", "FULL", 1), govPaid, govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_LEVEL_NO_WEAKEN acme.billing.v1.Invoice"}},
		{"subject level changes direction", governedConfig(govInvoice, govPaid, strings.Replace(govAudit, "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", 1), govBreaking, govPolicies),
			[]string{"SUBJECT_LEVEL_NO_WEAKEN acme.billing.v1.AuditLine"}},
		{"subject rules: a weaker category", governedConfig(strings.Replace(govInvoice, "WIRE_JSON", "WIRE", 1), govPaid, govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_RULES_NO_WEAKEN acme.billing.v1.Invoice"}},
		{"subject rules: one excepted", governedConfig(govInvoice+"    except: [FIELD_SAME_JSON_NAME]\n", govPaid, govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_RULES_NO_WEAKEN acme.billing.v1.Invoice"}},
		{"pbtable LOSSLESS rules excepted", governedConfig(govInvoice+"    except: [WIRE_JSON_LOSSLESS]\n", govPaid, govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_RULES_NO_WEAKEN acme.billing.v1.Invoice"}},
		{"subject kind changed", governedConfig(govInvoice, strings.Replace(govPaid, "kind: event", "kind: log", 1), govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_KIND_NO_CHANGE acme.billing.v1.InvoicePaid"}},
		{"primary key changed", governedConfig(strings.Replace(govInvoice, "[id]", "[id, amount]", 1), govPaid, govAudit, govBreaking, govPolicies),
			[]string{"SUBJECT_PRIMARY_KEY_NO_CHANGE acme.billing.v1.Invoice"}},
		{"module rules weakened", governedConfig(govInvoice, govPaid, govAudit, "  use: [WIRE]\n", govPolicies),
			[]string{"MODULE_BREAKING_NO_WEAKEN pbregistry.yaml.breaking"}},
		{"module level lowered", governedConfig(govInvoice, govPaid, govAudit, govBreaking+"  compatibility: BACKWARD\n", govPolicies),
			[]string{"MODULE_BREAKING_NO_WEAKEN pbregistry.yaml.breaking"}},
		{"module ignores a file", governedConfig(govInvoice, govPaid, govAudit, govBreaking+"  ignore: [proto/acme/billing/v1/invoice.proto]\n", govPolicies),
			[]string{"MODULE_BREAKING_NO_WEAKEN pbregistry.yaml.breaking"}},
		{"module rules: FILE to WIRE_JSON", governedConfig(govInvoice, govPaid, govAudit, "  use: [WIRE_JSON]\n", govPolicies),
			[]string{"MODULE_BREAKING_NO_WEAKEN pbregistry.yaml.breaking"}},
		{"built-in policy disabled", governedConfig(govInvoice, govPaid, govAudit, govBreaking, strings.Replace(govPolicies, "severity: error", "disabled: true", 1)),
			[]string{"POLICY_NO_WEAKEN pbregistry.yaml.policies.EVENT_OCCURRED_AT"}},
		{"built-in policy turned into a warning", governedConfig(govInvoice, govPaid, govAudit, govBreaking, strings.Replace(govPolicies, "severity: error", "severity: warning", 1)),
			[]string{"POLICY_NO_WEAKEN pbregistry.yaml.policies.EVENT_OCCURRED_AT"}},
		{"module policy removed", governedConfig(govInvoice, govPaid, govAudit, govBreaking, "  - name: EVENT_OCCURRED_AT\n    severity: error\n"),
			[]string{"POLICY_NO_WEAKEN pbregistry.yaml.policies.AMOUNTS_IN_MINOR_UNITS"}},
		{"several weakenings at once", governedConfig(strings.Replace(govInvoice, "FULL_TRANSITIVE", "NONE", 1), govPaid, govAudit, "  use: [WIRE]\n", govPolicies),
			[]string{"MODULE_BREAKING_NO_WEAKEN pbregistry.yaml.breaking", "SUBJECT_LEVEL_NO_WEAKEN acme.billing.v1.Invoice"}},

		{"strengthened: a subject's level raised", governedConfig(govInvoice, govPaid, strings.Replace(govAudit, "BACKWARD_TRANSITIVE", "FULL_TRANSITIVE", 1), govBreaking, govPolicies), nil},
		{"strengthened: more rules", governedConfig(govInvoice, strings.Replace(govPaid, "[WIRE]", "[WIRE_JSON]", 1), govAudit, "  use: [FILE, FIELD_SAME_DEFAULT]\n", govPolicies), nil},
		{"strengthened: WIRE_JSON to FILE", governedConfig(strings.Replace(govInvoice, "[WIRE_JSON]", "[FILE]", 1), govPaid, govAudit, govBreaking, govPolicies), nil},
		{"strengthened: a policy added", governedConfig(govInvoice, govPaid, govAudit, govBreaking, govPolicies+"  - name: NO_FLOATS\n    target: field\n    expr: 'field.type != \"float\"'\n    message: no floats\n"), nil},
		{"unchanged, reordered", governedConfig(govInvoice, govPaid, govAudit, govBreaking, govPolicies) + "\n", nil},
	}
	proto := billingProto("  int64 amount = 7;", "", "")
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			mustPush(t, s, base, proto)
			_, _, verdict, err := s.Push(ctx, registry.PushRequest{Files: module(tt.after, proto), Principal: "ci@acme"})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("strengthening refused: %v", err)
				}
				return
			}
			var rejected *registry.RejectedError
			if !errors.As(err, &rejected) {
				t.Fatalf("weakening: err = %v, want it refused", err)
			}
			var got []string
			for _, f := range verdict.Findings {
				if f.Blocking() {
					got = append(got, f.Rule+" "+f.Element)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("blocking findings %q, want %q\n%v", got, tt.want, err)
			}
			if !strings.Contains(err.Error(), "pbregistry.yaml") {
				t.Errorf("rejection does not point at pbregistry.yaml:\n%v", err)
			}
			for _, f := range verdict.Findings {
				if _, err := s.ApproveException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: verdict.Digest,
					Rule: f.Rule, Element: f.Element, Reason: "agreed with the data owners", Principal: "admin@acme"}); err != nil {
					t.Fatalf("approve %s %s: %v", f.Rule, f.Element, err)
				}
			}
			v, created, _, err := s.Push(ctx, registry.PushRequest{Files: module(tt.after, proto), Principal: "ci@acme"})
			if err != nil || !created || v.Number != 2 {
				t.Fatalf("approved weakening: version %d, created %v, %v; want version 2", v.Number, created, err)
			}
		})
	}
}

// TestWeakeningPushCheckedWithBaselineConfig: a push that lowers a
// pbtable's level to NONE and, in the same push, changes a field's type
// and renames another is checked with the level in force before it — the
// issue's "a push can switch off its own checks" — and the weakening needs
// its own exception; the next push is checked at NONE.
func TestWeakeningPushCheckedWithBaselineConfig(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	base := governedConfig(govInvoice, govPaid, govAudit, govBreaking, govPolicies)
	mustPush(t, s, base, billingProto("  int32 qty = 7;\n  string memo = 8;", "", ""))
	weak := governedConfig(strings.Replace(govInvoice, "FULL_TRANSITIVE", "NONE", 1), govPaid, govAudit, govBreaking, govPolicies)
	_, _, verdict, err := s.Push(ctx, registry.PushRequest{Files: module(weak, billingProto("  string qty = 7;\n  string note = 8;", "", "")), Principal: "ci@acme"})
	if !errors.Is(err, registry.ErrRejected) {
		t.Fatalf("push: %v, want it refused", err)
	}
	rules := map[string]bool{}
	for _, f := range verdict.Findings {
		if f.Blocking() {
			for _, r := range f.Rules() {
				rules[r] = true
			}
		}
	}
	for _, want := range []string{"SUBJECT_LEVEL_NO_WEAKEN", "FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_SAME_NAME"} {
		if !rules[want] {
			t.Errorf("blocking rules %v, want %s among them", rules, want)
		}
	}
	// Approved, the weakening alone: the next push is checked at NONE.
	mustPushWith := func(cfg, proto string) {
		t.Helper()
		_, _, v, err := s.Push(ctx, registry.PushRequest{Files: module(cfg, proto), Principal: "ci@acme"})
		var rejected *registry.RejectedError
		if errors.As(err, &rejected) {
			for _, f := range v.Findings {
				if _, err := s.ApproveException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: v.Digest, Rule: f.Rule, Element: f.Element, Reason: "ok", Principal: "admin"}); err != nil {
					t.Fatal(err)
				}
			}
			_, _, _, err = s.Push(ctx, registry.PushRequest{Files: module(cfg, proto), Principal: "ci@acme"})
		}
		if err != nil {
			t.Fatalf("push: %v", err)
		}
	}
	mustPushWith(weak, billingProto("  int32 qty = 7;\n  string memo = 8;", "", ""))
	if _, _, err := push(t, s, weak, billingProto("  string qty = 7;\n  string note = 8;", "", "")); err != nil {
		t.Errorf("at NONE, the type change and the rename: %v, want them accepted", err)
	}
}

// TestGovernedConfigurationNewModule: the first push of a module has
// nothing to weaken.
func TestGovernedConfigurationNewModule(t *testing.T) {
	s := newService(t)
	cfg := governedConfig(strings.Replace(govInvoice, "FULL_TRANSITIVE", "NONE", 1), govPaid, govAudit, "  use: [WIRE]\n", "  - name: EVENT_OCCURRED_AT\n    disabled: true\n")
	mustPush(t, s, cfg, billingProto("  int64 amount = 7;", "", ""))
}

// TestSetSubjectConfigWeakening: the admin is the approver: an override
// that weakens a subject is accepted and logged as a weakening with its
// rule; one that strengthens it is logged as a plain change.
func TestSetSubjectConfigWeakening(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Dir(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var logs bytes.Buffer
	s := registry.NewService(store, compose(registry.ServiceOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	mustPush(t, s, governedConfig(govInvoice, govPaid, govAudit, govBreaking, govPolicies), billingProto("  int64 amount = 7;", "", ""))
	for _, tt := range []struct {
		level    registry.Level
		use      []string
		weakened []string
	}{
		{registry.LevelFullTransitive, []string{"WIRE_JSON", "FIELD_SAME_DEFAULT"}, nil},
		{registry.LevelBackward, []string{"WIRE"}, []string{"SUBJECT_LEVEL_NO_WEAKEN", "SUBJECT_RULES_NO_WEAKEN"}},
	} {
		logs.Reset()
		if _, err := s.SetSubjectConfig(ctx, registry.SubjectConfigRequest{Module: "acme/billing", Subject: "acme.billing.v1.Invoice",
			Compatibility: registry.Compatibility{Level: tt.level, Use: tt.use}, Principal: "admin@acme"}); err != nil {
			t.Fatalf("set %s %v: %v", tt.level, tt.use, err)
		}
		out := logs.String()
		if got := strings.Count(out, `msg="subject config weakened"`); got != len(tt.weakened) {
			t.Errorf("set %s %v: %d weakenings logged, want %d:\n%s", tt.level, tt.use, got, len(tt.weakened), out)
		}
		for _, rule := range tt.weakened {
			if !strings.Contains(out, "rule="+rule) || !strings.Contains(out, "principal=admin@acme") {
				t.Errorf("set %s %v: the log does not name %s and the admin:\n%s", tt.level, tt.use, rule, out)
			}
		}
	}
}
