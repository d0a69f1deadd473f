package server

import (
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// TestRuleLabels: every rule the registry reports on its own, governed
// configuration included, is a label value of its own; a rule outside the
// bounded sets (a module's own policy, a typo) is "other".
func TestRuleLabels(t *testing.T) {
	l := newLabelSets(nil, nil)
	for _, rule := range []string{
		"FIELD_SAME_TYPE", "SUBJECT_NO_DELETE", "FIELD_NUMBER_NO_REUSE",
		registry.RuleSubjectLevelNoWeaken, registry.RuleSubjectKindNoChange, registry.RulePolicyNoWeaken,
		"EVENT_ID_FIELD",
	} {
		if got := l.rule(rule); got != rule {
			t.Errorf("rule label of %s = %q, want the rule itself", rule, got)
		}
	}
	for _, rule := range []string{"MY_MODULE_POLICY", "NOPE_RULE"} {
		if got := l.rule(rule); got != OtherLabel {
			t.Errorf("rule label of %s = %q, want %q", rule, got, OtherLabel)
		}
	}
}
