package registry

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pbregistry/pbregistry/compat"
)

// ruleCatalogVersion is the configuration version subjects' use: and
// except: lists are read with.
const ruleCatalogVersion = "v2"

// registryRules are the rules the registry reports on its own, on top of
// compat's catalog: a subject without its message, the ledger's reuse
// rules, the governed configuration's rules and the fixtures' rule.
var registryRules = []string{
	"SUBJECT_NO_DELETE",
	"FIELD_NUMBER_NO_REUSE", "FIELD_NAME_NO_REUSE", "FIELD_JSON_NAME_NO_REUSE",
	"ENUM_VALUE_NUMBER_NO_REUSE", "ENUM_VALUE_NAME_NO_REUSE",
	RuleSubjectLevelNoWeaken, RuleSubjectRulesNoWeaken, RuleSubjectKindNoChange,
	RuleSubjectPrimaryKeyNoChange, RuleModuleBreakingNoWeaken, RulePolicyNoWeaken,
	RuleFixtureStillParses,
}

// Rules returns the IDs of the rules the registry reports on its own, on
// top of compat's catalog and the policies: e.g. for bounded metric labels.
func Rules() []string { return slices.Clone(registryRules) }

// ruleCatalog is compat's catalog of configuration version v2, indexed:
// what each rule ID and category of a use: or except: list stands for.
type ruleCatalog struct {
	// expand maps a rule ID or category to the rule IDs it selects (a
	// deprecated rule selects its replacements).
	expand     map[string][]string
	categories []string
}

var catalog = sync.OnceValue(func() *ruleCatalog {
	c := &ruleCatalog{expand: map[string][]string{}, categories: compat.Categories(ruleCatalogVersion)}
	for _, r := range compat.Rules(ruleCatalogVersion) {
		if r.Deprecated && len(r.Replacements) > 0 {
			c.expand[r.ID] = r.Replacements
		} else {
			c.expand[r.ID] = []string{r.ID}
		}
		for _, cat := range r.Categories {
			c.expand[cat] = append(c.expand[cat], r.ID)
		}
	}
	return c
})

// ValidateRules returns an *InvalidArgumentError unless each name is a rule
// ID or category of the compatibility catalog (configuration version v2)
// and the list has at most l.MaxRules names.
func (l Limits) ValidateRules(field string, names []string) error {
	if l.MaxRules > 0 && len(names) > l.MaxRules {
		return invalid(field, "the list has %d rules and categories, more than the limit of %d (limits.max_rules): name categories instead", len(names), l.MaxRules)
	}
	c := catalog()
	for i, n := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := l.CheckName(f, n); err != nil {
			return err
		}
		if _, ok := c.expand[n]; !ok {
			return invalid(f, "%v; the categories are %s", &compat.UnknownRuleError{Name: Truncate(n, 64), Version: ruleCatalogVersion}, strings.Join(c.categories, ", "))
		}
	}
	return nil
}

// ruleSet is the set of rule IDs a Compatibility selects.
type ruleSet map[string]bool

// rules returns the rule IDs c selects (its use: list, or FILE when it has
// none, minus its except: list), as compat.Check would run them, or an
// *InvalidArgumentError naming field for an unknown name or an empty
// selection.
func (c Compatibility) rules(field string) (ruleSet, error) {
	cat := catalog()
	add := func(set ruleSet, list string, names []string) error {
		for _, n := range names {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			ids, ok := cat.expand[n]
			if !ok {
				return invalid(field+"."+list, "%v", &compat.UnknownRuleError{Name: Truncate(n, 64), Version: ruleCatalogVersion})
			}
			for _, id := range ids {
				set[id] = true
			}
		}
		return nil
	}
	use := c.Use
	if len(strings.Join(use, "")) == 0 {
		use = []string{compat.CategoryFile}
	}
	selected, excepted := ruleSet{}, ruleSet{}
	if err := add(selected, "use", use); err != nil {
		return nil, err
	}
	if err := add(excepted, "except", c.Except); err != nil {
		return nil, err
	}
	for id := range excepted {
		delete(selected, id)
	}
	if len(selected) == 0 {
		return nil, invalid(field, "no breaking rules selected: use %v minus except %v leaves nothing to check", c.Use, c.Except)
	}
	return selected, nil
}

// ids returns the rule IDs of s, sorted.
func (s ruleSet) ids() []string {
	out := make([]string, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// isRuleName reports whether rule may name the rule of a finding: a rule ID
// of the catalog, one of the registry's own, or a well-formed policy name
// (UPPER_SNAKE_CASE, the rule ID of a policy's findings).
func isRuleName(rule string) bool {
	if _, ok := catalog().expand[rule]; ok || slices.Contains(registryRules, rule) {
		return true
	}
	if rule == "" || !(rule[0] >= 'A' && rule[0] <= 'Z') {
		return false
	}
	for _, r := range rule {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
