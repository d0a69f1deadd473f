package registry_test

import (
	"slices"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/registry"
)

// TestFoldPolicies: a policy finding joins the compatibility finding of
// the same element (its rule in Also, its advice in Notes, the stricter
// severity), policy findings of one rule and element become one, and a
// configuration finding (no direction) takes no policy.
func TestFoldPolicies(t *testing.T) {
	const el = "acme.v1.Log.agent"
	nameMsg := `Field 3 "agent" on message "Log" was deleted without reserving its name.`
	numberMsg := `Field 3 "agent" on message "Log" was deleted without reserving its number.`
	change := func(rule, msg string, sev compat.Severity) registry.Finding {
		return registry.Finding{Subject: "acme.v1.Log", Level: registry.LevelBackwardTransitive,
			Finding: compat.Finding{Rule: rule, Element: el, Message: msg, Directions: compat.Backward, Severity: sev}}
	}
	policy := func(rule, element, msg string, sev compat.Severity) registry.Finding {
		return registry.Finding{Policy: true, Finding: compat.Finding{Rule: rule, Element: element, Message: msg, Severity: sev}}
	}
	merged := change("FIELD_NO_DELETE_UNLESS_NAME_RESERVED", nameMsg, compat.SeverityError)
	merged.Also = []string{"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"}
	tests := []struct {
		name      string
		in        []registry.Finding
		wantRules [][]string
		wantNotes []string
		wantSev   []compat.Severity
	}{
		{
			name: "a change policy, once per rule of the change, folds into the change's finding",
			in: []registry.Finding{merged,
				policy("LOG_RESERVE_DELETED_FIELDS", el, nameMsg+" Keep old fields.", compat.SeverityError),
				policy("LOG_RESERVE_DELETED_FIELDS", el, numberMsg+" Keep old fields.", compat.SeverityError)},
			wantRules: [][]string{{"FIELD_NO_DELETE_UNLESS_NAME_RESERVED", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "LOG_RESERVE_DELETED_FIELDS"}},
			wantNotes: []string{"Keep old fields."},
			wantSev:   []compat.Severity{compat.SeverityError},
		},
		{
			name:      "an error policy makes a warning change an error",
			in:        []registry.Finding{change("FIELD_WIRE_LOSSLESS_TYPE", "changed.", compat.SeverityWarning), policy("NO_WIDENING", el, "do not widen.", compat.SeverityError)},
			wantRules: [][]string{{"FIELD_WIRE_LOSSLESS_TYPE", "NO_WIDENING"}},
			wantNotes: []string{"do not widen."},
			wantSev:   []compat.Severity{compat.SeverityError},
		},
		{
			name: "policies without a change stay, once per rule and element",
			in: []registry.Finding{policy("NO_FLOATS", "acme.v1.Log.ratio", "no floats.", compat.SeverityError),
				policy("NO_FLOATS", "acme.v1.Log.ratio", "no floats.", compat.SeverityError),
				policy("NO_FLOATS", "acme.v1.Log.rate", "no floats.", compat.SeverityWarning)},
			wantRules: [][]string{{"NO_FLOATS"}, {"NO_FLOATS"}},
			wantSev:   []compat.Severity{compat.SeverityError, compat.SeverityWarning},
		},
		{
			name: "a configuration finding takes no policy",
			in: []registry.Finding{
				{Subject: "acme.v1.Log", Finding: compat.Finding{Rule: registry.RuleSubjectKindNoChange, Element: "acme.v1.Log", Message: "kind changed."}},
				policy("LOG_TIMESTAMP", "acme.v1.Log", "no timestamp.", compat.SeverityError)},
			wantRules: [][]string{{registry.RuleSubjectKindNoChange}, {"LOG_TIMESTAMP"}},
			wantSev:   []compat.Severity{compat.SeverityError, compat.SeverityError},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := registry.FoldPolicies(slices.Clone(tt.in))
			if len(got) != len(tt.wantRules) {
				t.Fatalf("%d findings %+v, want %d", len(got), got, len(tt.wantRules))
			}
			for i, f := range got {
				if !slices.Equal(f.Rules(), tt.wantRules[i]) || f.Severity != tt.wantSev[i] {
					t.Errorf("finding %d: rules %v severity %v, want %v %v", i, f.Rules(), f.Severity, tt.wantRules[i], tt.wantSev[i])
				}
			}
			if !slices.Equal(got[0].Notes, tt.wantNotes) {
				t.Errorf("notes %q, want %q", got[0].Notes, tt.wantNotes)
			}
		})
	}
}
