package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pbregistry/pbregistry/compat"
)

// The rules of governed configuration: a change that weakens what is
// checked is itself a finding, blocking, that an admin may approve as an
// exception like any other; strengthening is free.
const (
	// RuleSubjectLevelNoWeaken: a subject's level protects fewer
	// directions, or is no longer transitive.
	RuleSubjectLevelNoWeaken = "SUBJECT_LEVEL_NO_WEAKEN"
	// RuleSubjectRulesNoWeaken: a subject's rules (use: minus except:,
	// categories expanded) lose a rule.
	RuleSubjectRulesNoWeaken = "SUBJECT_RULES_NO_WEAKEN"
	// RuleSubjectKindNoChange: a subject's kind changes.
	RuleSubjectKindNoChange = "SUBJECT_KIND_NO_CHANGE"
	// RuleSubjectPrimaryKeyNoChange: a pbtable's primary key changes.
	RuleSubjectPrimaryKeyNoChange = "SUBJECT_PRIMARY_KEY_NO_CHANGE"
	// RuleModuleBreakingNoWeaken: the module's breaking: section loses a
	// rule, protects fewer directions, ignores more paths or starts
	// ignoring unstable packages.
	RuleModuleBreakingNoWeaken = "MODULE_BREAKING_NO_WEAKEN"
	// RulePolicyNoWeaken: a policy in force is disabled or removed, or an
	// error policy becomes a warning.
	RulePolicyNoWeaken = "POLICY_NO_WEAKEN"
)

// GovernedConfig is the configuration a check governs: what the baseline
// version had in force, against which CheckSpec's is compared.
type GovernedConfig struct {
	// Module is the baseline's breaking: section.
	Module compat.Config
	// Subjects are the subjects in force at the baseline.
	Subjects []SubjectSpec
	// Policies are the settings of the policies in force at the baseline
	// (built-ins as its pbregistry.yaml overrides them, and its own).
	Policies []PolicySetting
}

// ModuleBreakingElement is the element of MODULE_BREAKING_NO_WEAKEN
// findings, to name in an exception.
const ModuleBreakingElement = "pbregistry.yaml.breaking"

// PolicyElement returns the element of a POLICY_NO_WEAKEN finding about
// policy name, to name in an exception.
func PolicyElement(name string) string { return "pbregistry.yaml.policies." + name }

// checkGovernance compares the configuration in force after a change
// (module, subjects, modulePolicies) with before's and reports every
// weakening.
func checkGovernance(before GovernedConfig, module compat.Config, subjects []SubjectSpec, modulePolicies []PolicySetting) []Finding {
	var out []Finding
	after := make(map[string]SubjectSpec, len(subjects))
	for _, s := range subjects {
		after[s.Name] = s
	}
	for _, old := range before.Subjects {
		now, ok := after[old.Name]
		if !ok {
			continue // a subject's message deleted is SUBJECT_NO_DELETE
		}
		old.Compatibility = old.Compatibility.withDefaults(old.Kind)
		now.Compatibility = now.Compatibility.withDefaults(now.Kind)
		out = append(out, subjectWeakenings(old, now)...)
	}
	if f, ok := moduleWeakening(before.Module, module); ok {
		out = append(out, f)
	}
	out = append(out, policyWeakenings(before.Policies, modulePolicies)...)
	for i := range out {
		// No direction: the change breaks no reader by itself, it lets
		// later changes through.
		out[i].Location = compat.Location{Path: ConfigFileName}
	}
	return out
}

// subjectWeakenings compares a subject's configuration before and after.
func subjectWeakenings(old, now SubjectSpec) []Finding {
	var out []Finding
	add := func(rule, msg string) {
		out = append(out, Finding{Subject: old.Name, Level: old.Compatibility.Level,
			Finding: compat.Finding{Rule: rule, Element: old.Name, Message: msg}})
	}
	if old.Kind != now.Kind {
		add(RuleSubjectKindNoChange, fmt.Sprintf("Subject %s changes kind from %s to %s: data already written as %s stays so. Keep the kind, or declare a new subject.",
			old.Name, old.Kind, now.Kind, old.Kind))
	}
	if !slices.Equal(old.PrimaryKey, now.PrimaryKey) {
		add(RuleSubjectPrimaryKeyNoChange, fmt.Sprintf("Subject %s changes its primary key from [%s] to [%s]: the rows already stored are keyed by the old one. Keep the key, or declare a new subject.",
			old.Name, strings.Join(old.PrimaryKey, ", "), strings.Join(now.PrimaryKey, ", ")))
	}
	if levelWeaker(old.Compatibility.Level, now.Compatibility.Level) {
		add(RuleSubjectLevelNoWeaken, fmt.Sprintf("Subject %s lowers its compatibility from %s to %s: the changes it would let through break readers the old level protects. Keep %s, or ask an admin to approve the change.",
			old.Name, old.Compatibility.Level, now.Compatibility.Level, old.Compatibility.Level))
	}
	dropped := droppedRules(old.Compatibility, now.Compatibility)
	dropped = append(dropped, droppedLossless(old, now)...)
	if len(dropped) > 0 {
		add(RuleSubjectRulesNoWeaken, fmt.Sprintf("Subject %s stops checking %d %s (%s): keep its use: and except: lists, or ask an admin to approve the change.",
			old.Name, len(dropped), pluralize(len(dropped), "rule"), listSome(dropped)))
	}
	return out
}

// levelWeaker reports whether now protects fewer directions than old, or
// fewer versions (transitive to not).
func levelWeaker(old, now Level) bool {
	if old == "" || now == "" {
		return false
	}
	od, nd := old.Directions().Directions(), now.Directions().Directions()
	return od&^nd != 0 || old.Transitive() && !now.Transitive()
}

// impliedRules maps a rule to the weaker rules it implies: whatever they
// refuse, it refuses too (the FILE category's FIELD_SAME_TYPE refuses every
// type change that WIRE_JSON's FIELD_WIRE_JSON_COMPATIBLE_TYPE refuses, …),
// so that WIRE → WIRE_JSON → FILE is strengthening.
var impliedRules = map[string][]string{
	"FIELD_SAME_TYPE":                        {"FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_WIRE_COMPATIBLE_TYPE"},
	"FIELD_WIRE_JSON_COMPATIBLE_TYPE":        {"FIELD_WIRE_COMPATIBLE_TYPE"},
	"FIELD_SAME_CARDINALITY":                 {"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY"},
	"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY": {"FIELD_WIRE_COMPATIBLE_CARDINALITY"},
	"FIELD_NO_DELETE":                        {"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"},
	"ENUM_VALUE_NO_DELETE":                   {"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED"},
}

// droppedRules returns the rule IDs old selects and now neither selects
// nor implies through a stricter rule, sorted;
// none when either selection cannot be read (the push is refused for it
// elsewhere).
func droppedRules(old, now Compatibility) []string {
	o, err := old.rules("before")
	if err != nil {
		return nil
	}
	n, err := now.rules("after")
	if err != nil {
		return nil
	}
	for id := range n {
		for _, weaker := range impliedRules[id] {
			n[weaker] = true
		}
	}
	var out []string
	for id := range o {
		if !n[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// droppedLossless returns the LOSSLESS rules whose findings were errors
// for old (a pbtable's, by default) and that now neither selects nor
// reports as errors.
func droppedLossless(old, now SubjectSpec) []string {
	oSel, err := old.Compatibility.rules("before")
	if err != nil {
		return nil
	}
	nSel, err := now.Compatibility.rules("after")
	if err != nil {
		return nil
	}
	oL, oErr := old.Compatibility.losslessRules(old.Kind, oSel)
	if !oErr {
		return nil
	}
	nL, nErr := now.Compatibility.losslessRules(now.Kind, nSel)
	var out []string
	for id := range oL {
		if !nSel[id] && !(nErr && nL[id]) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// moduleWeakening compares the module's breaking: section before and
// after.
func moduleWeakening(old, now compat.Config) (Finding, bool) {
	var why []string
	dropped := droppedRules(Compatibility{Use: old.Use, Except: old.Except}, Compatibility{Use: now.Use, Except: now.Except})
	if len(dropped) > 0 {
		why = append(why, fmt.Sprintf("stops checking %d %s (%s)", len(dropped), pluralize(len(dropped), "rule"), listSome(dropped)))
	}
	if old.Level.Directions()&^now.Level.Directions() != 0 {
		why = append(why, fmt.Sprintf("lowers its compatibility from %s to %s", old.Level, now.Level))
	}
	var ignored []string
	for _, p := range now.Ignore {
		if !slices.Contains(old.Ignore, p) {
			ignored = append(ignored, p)
		}
	}
	for rule, paths := range now.IgnoreOnly {
		for _, p := range paths {
			if !slices.Contains(old.IgnoreOnly[rule], p) && !slices.Contains(old.Ignore, p) {
				ignored = append(ignored, rule+" on "+p)
			}
		}
	}
	if len(ignored) > 0 {
		slices.Sort(ignored)
		why = append(why, "ignores "+listSome(ignored))
	}
	if now.IgnoreUnstablePackages && !old.IgnoreUnstablePackages {
		why = append(why, "ignores unstable packages")
	}
	if len(why) == 0 {
		return Finding{}, false
	}
	return Finding{Finding: compat.Finding{Rule: RuleModuleBreakingNoWeaken, Element: ModuleBreakingElement,
		Message: fmt.Sprintf("The module's breaking: section %s: keep it, or ask an admin to approve the change.", strings.Join(why, ", "))}}, true
}

// policyStates returns the state of every policy in settings.
func policyStates(settings []PolicySetting) map[string]policyState {
	out := make(map[string]policyState, len(settings))
	for _, s := range settings {
		out[s.Name] = policyState{enabled: !s.Disabled, error: !s.Warning}
	}
	return out
}

// policyState is whether a policy is in force and how severe it is.
type policyState struct {
	enabled bool
	error   bool
}

// policyWeakenings compares the policies in force before and after.
func policyWeakenings(old, now []PolicySetting) []Finding {
	before, after := policyStates(old), policyStates(now)
	names := make([]string, 0, len(before))
	for name := range before {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []Finding
	for _, name := range names {
		b, a := before[name], after[name]
		var msg string
		switch {
		case !b.enabled:
			continue
		case !a.enabled:
			msg = fmt.Sprintf("Policy %s is no longer in force (disabled or removed): keep it, or ask an admin to approve the change.", name)
		case b.error && !a.error:
			msg = fmt.Sprintf("Policy %s turns from an error into a warning: its violations would no longer block pushes. Keep it an error, or ask an admin to approve the change.", name)
		default:
			continue
		}
		out = append(out, Finding{Finding: compat.Finding{Rule: RulePolicyNoWeaken, Element: PolicyElement(name), Message: msg}})
	}
	return out
}

// listSome lists up to 5 names, then how many more.
func listSome(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:5], ", "), len(names)-5)
}
