package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// TestSubjectOverrideGovernsPush: an admin's override of a subject's
// configuration decides later pushes, in place of the kind's defaults and
// of what pbregistry.yaml declares — looser or stricter. Each case first
// checks that the change gets the opposite verdict without the override.
func TestSubjectOverrideGovernsPush(t *testing.T) {
	tests := []struct {
		name      string
		subject   string
		override  registry.Compatibility
		before    [3]string // Invoice (pbtable), InvoicePaid (event), AuditLine (log)
		after     [3]string
		wantRules []string // blocking, with the override; empty: accepted
		wantLevel registry.Level
	}{
		{
			name:     "NONE accepts a pbtable type change",
			subject:  "acme.billing.v1.Invoice",
			override: registry.Compatibility{Level: registry.LevelNone},
			before:   [3]string{"  int64 amount = 7;", "", ""}, after: [3]string{"  string amount = 7;", "", ""},
		},
		{
			name:     "BACKWARD accepts a pbtable change that breaks only old readers",
			subject:  "acme.billing.v1.Invoice",
			override: registry.Compatibility{Level: registry.LevelBackward},
			before:   [3]string{"  int32 count = 2;", "", ""}, after: [3]string{"  int64 count = 2;", "", ""},
		},
		{
			name:     "FULL refuses a log change that breaks only old readers",
			subject:  "acme.billing.v1.AuditLine",
			override: registry.Compatibility{Level: registry.LevelFull},
			before:   [3]string{"", "", "  int32 count = 2;"}, after: [3]string{"", "", "  int64 count = 2;"},
			wantRules: []string{"FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_WIRE_LOSSLESS_TYPE"},
			wantLevel: registry.LevelFull,
		},
		{
			name:     "WIRE_JSON rules refuse an event rename",
			subject:  "acme.billing.v1.InvoicePaid",
			override: registry.Compatibility{Level: registry.LevelFullTransitive, Use: []string{"WIRE_JSON"}},
			before:   [3]string{"", "  int64 amount = 3;", ""}, after: [3]string{"", "  int64 total = 3;", ""},
			wantRules: []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"},
			wantLevel: registry.LevelFullTransitive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			ctx := context.Background()
			mustPush(t, s, billingConfig, billingProto(tt.before[0], tt.before[1], tt.before[2]))
			after := registry.PushRequest{Files: module(billingConfig, billingProto(tt.after[0], tt.after[1], tt.after[2])), Principal: "ci@acme"}
			control, err := s.CheckPush(ctx, after)
			if err != nil {
				t.Fatal(err)
			}
			if control.Accepted() != (len(tt.wantRules) > 0) {
				t.Fatalf("without the override, accepted = %v: the case does not test the override", control.Accepted())
			}

			sub, err := s.Store().SetSubjectConfig(ctx, registry.SubjectConfigRequest{
				Module: "acme/billing", Subject: tt.subject, Compatibility: tt.override, Principal: "admin@acme",
			})
			if err != nil {
				t.Fatal(err)
			}
			if sub.Override == nil || sub.Effective().Level != tt.override.Level || sub.Override.Principal != "admin@acme" {
				t.Fatalf("subject after the override = %+v", sub)
			}

			_, _, verdict, err := s.Push(ctx, after)
			if verdict == nil {
				t.Fatalf("push: %v", err)
			}
			var rules []string
			first := ""
			for _, f := range verdict.Findings {
				if f.Blocking() {
					rules = append(rules, f.Rules()...)
					if first == "" {
						first = strings.Join(f.Rules(), " + ")
					}
					if f.Subject != tt.subject || f.Level != tt.wantLevel {
						t.Errorf("%s attributed to %q at %q, want %q at %q", f.Rule, f.Subject, f.Level, tt.subject, tt.wantLevel)
					}
				}
			}
			slices.Sort(rules)
			if fmt.Sprint(rules) != fmt.Sprint(tt.wantRules) {
				t.Errorf("blocking rules %v, want %v", rules, tt.wantRules)
			}
			switch {
			case len(tt.wantRules) == 0 && err != nil:
				t.Errorf("push: %v, want it accepted", err)
			case len(tt.wantRules) > 0 && !errors.Is(err, registry.ErrRejected):
				t.Errorf("push: %v, want it rejected", err)
			case len(tt.wantRules) > 0 && !strings.Contains(err.Error(), fmt.Sprintf("(%s, %s)", first, tt.wantLevel)):
				t.Errorf("rejection:\n%v\nwant it to name %s at %s", err, tt.wantRules[0], tt.wantLevel)
			}
		})
	}
}

// TestSubjectOverrideLifecycle: an override survives the pushes that
// redeclare the subject, and clearing it puts the pushed configuration
// back in force.
func TestSubjectOverrideLifecycle(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	const invoice = "acme.billing.v1.Invoice"
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	if _, err := s.Store().SetSubjectConfig(ctx, registry.SubjectConfigRequest{
		Module: "acme/billing", Subject: invoice, Compatibility: registry.Compatibility{Level: registry.LevelNone}, Principal: "admin@acme",
	}); err != nil {
		t.Fatal(err)
	}
	// Two incompatible pushes in a row, each redeclaring the subject with
	// its kind's FULL_TRANSITIVE default: the override holds for both.
	for i, fields := range []string{"  string amount = 7;", "  bool amount = 7;"} {
		v, _, err := push(t, s, billingConfig, billingProto(fields, "", ""))
		if err != nil {
			t.Fatalf("incompatible push %d under the NONE override: %v", i+1, err)
		}
		sub, err := s.Store().GetSubject(ctx, "acme/billing", invoice)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Override == nil || sub.Effective().Level != registry.LevelNone || sub.LastVersion != v.Number {
			t.Errorf("after version %d the subject is %+v, want the NONE override kept and last version %d", v.Number, sub, v.Number)
		}
	}

	sub, err := s.Store().ClearSubjectConfig(ctx, "acme/billing", invoice)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Override != nil || sub.Effective().Level != registry.LevelFullTransitive {
		t.Errorf("subject after clearing = %+v, want the pushed FULL_TRANSITIVE in force", sub)
	}
	_, _, err = push(t, s, billingConfig, billingProto("  double amount = 7;", "", ""))
	if !errors.Is(err, registry.ErrRejected) || !strings.Contains(err.Error(), "(FIELD_WIRE_JSON_COMPATIBLE_TYPE, FULL_TRANSITIVE)") {
		t.Errorf("incompatible push after clearing the override: %v, want FIELD_WIRE_JSON_COMPATIBLE_TYPE at FULL_TRANSITIVE", err)
	}
}
