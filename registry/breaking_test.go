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

// breakingConfig declares one pbtable subject, Invoice, and the given
// breaking: section (none when empty).
func breakingConfig(breaking string) string {
	config := `version: v1
module: acme/billing
roots: [proto]
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
`
	if breaking != "" {
		config += "breaking: " + breaking + "\n"
	}
	return config
}

// breakingProto renders the Invoice subject and Note, a message no
// subject's data holds, with the given extra fields.
func breakingProto(invoice, note string) string {
	return fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;

message Invoice {
  string id = 1;
%s
}

message Note {
  string text = 1;
%s
}
`, invoice, note)
}

// TestModuleBreakingConfig: changes to messages that are not subjects are
// checked with the module's breaking: section (buf's FILE rules when it has
// none), while subjects keep their own rules whatever that section says.
func TestModuleBreakingConfig(t *testing.T) {
	tests := []struct {
		name      string
		breaking  string
		before    [2]string // Invoice (pbtable subject), Note (not a subject)
		after     [2]string
		wantRules []string // blocking; empty: accepted
		wantLevel registry.Level
	}{
		{
			name:     "WIRE refuses a wire-incompatible type change",
			breaking: "{use: [WIRE]}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  string weight = 2;"},
			wantRules: []string{"FIELD_WIRE_COMPATIBLE_TYPE"},
		},
		{
			name:     "WIRE accepts a rename: binary data has no names",
			breaking: "{use: [WIRE]}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  int64 mass = 2;"},
		},
		{
			name:     "FILE refuses the same rename",
			breaking: "{use: [FILE]}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  int64 mass = 2;"},
			wantRules: []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"},
		},
		{
			name:   "no breaking: section means FILE",
			before: [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  int64 mass = 2;"},
			wantRules: []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"},
		},
		{
			name:     "WIRE with an exception accepts a wire-incompatible type change",
			breaking: "{use: [WIRE], except: [FIELD_WIRE_COMPATIBLE_TYPE]}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  string weight = 2;"},
		},
		{
			name:     "ignore, relative to pbregistry.yaml, drops a file's findings",
			breaking: "{use: [FILE], ignore: [proto/acme/billing/v1/invoice.proto]}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  int64 mass = 2;"},
		},
		{
			name:     "ignore_only drops one rule's findings under a directory",
			breaking: "{use: [FILE], ignore_only: {FIELD_SAME_NAME: [proto/acme/billing/v1]}}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  int64 mass = 2;"},
			wantRules: []string{"FIELD_SAME_JSON_NAME"},
		},
		{
			name:     "compatibility NONE accepts anything",
			breaking: "{compatibility: NONE}",
			before:   [2]string{"", "  int64 weight = 2;"}, after: [2]string{"", "  string mass = 2;"},
		},
		{
			name:     "WIRE does not relax a pbtable subject's WIRE_JSON rules",
			breaking: "{use: [WIRE]}",
			before:   [2]string{"  int64 amount = 2;", ""}, after: [2]string{"  int64 total = 2;", ""},
			wantRules: []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"},
			wantLevel: registry.LevelFullTransitive,
		},
		{
			name:     "ignore does not exempt a subject",
			breaking: "{ignore: [proto/acme/billing/v1/invoice.proto]}",
			before:   [2]string{"  int64 amount = 2;", ""}, after: [2]string{"  int64 total = 2;", ""},
			wantRules: []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"},
			wantLevel: registry.LevelFullTransitive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			config := breakingConfig(tt.breaking)
			mustPush(t, s, config, breakingProto(tt.before[0], tt.before[1]))
			_, _, verdict, err := s.Push(context.Background(), registry.PushRequest{
				Files: module(config, breakingProto(tt.after[0], tt.after[1])), Principal: "ci@acme",
			})
			if verdict == nil {
				t.Fatalf("push: %v", err)
			}
			var rules []string
			first := ""
			for _, f := range verdict.Findings {
				if !f.Blocking() {
					continue
				}
				rules = append(rules, f.Rules()...)
				if first == "" {
					first = strings.Join(f.Rules(), " + ")
				}
				wantSubject := ""
				if tt.wantLevel != "" {
					wantSubject = "acme.billing.v1.Invoice"
				}
				if f.Subject != wantSubject || f.Level != tt.wantLevel {
					t.Errorf("%s attributed to subject %q at level %q, want %q at %q", f.Rule, f.Subject, f.Level, wantSubject, tt.wantLevel)
				}
			}
			slices.Sort(rules)
			if fmt.Sprint(rules) != fmt.Sprint(tt.wantRules) {
				t.Errorf("blocking rules %v, want %v", rules, tt.wantRules)
			}
			if len(tt.wantRules) == 0 {
				if err != nil {
					t.Errorf("push: %v, want it accepted", err)
				}
				return
			}
			level := "module rules"
			if tt.wantLevel != "" {
				level = string(tt.wantLevel)
			}
			if want := "(" + first + ", " + level + ")"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("push: err = %v, want a rejection saying %s", err, want)
			}
		})
	}
}

// TestModuleBreakingTransitiveRefused: the module's breaking: section
// governs messages that are not subjects, which have no ledger, so a
// *_TRANSITIVE level there would be a promise the registry cannot keep; the
// push is refused with the file, line and what to write instead.
func TestModuleBreakingTransitiveRefused(t *testing.T) {
	s := newService(t)
	config := breakingConfig("{compatibility: FULL_TRANSITIVE}")
	_, _, verdict, err := s.Push(context.Background(), registry.PushRequest{
		Files: module(config, breakingProto("", "")), Principal: "ci@acme",
	})
	if err == nil || verdict != nil {
		t.Fatalf("push: verdict %v, err %v; want the configuration refused", verdict, err)
	}
	if !errors.Is(err, registry.ErrInvalidArgument) {
		t.Errorf("err = %v, want an invalid argument", err)
	}
	for _, want := range []string{"pbregistry.yaml:8:", "compatibility FULL_TRANSITIVE", "declare the messages whose data outlives versions as subjects", "write FULL here"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to say %q", err, want)
		}
	}
}
