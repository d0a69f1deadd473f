package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
)

// CheckSpec is what CheckImages checks a change with: the module's rules
// for the elements no subject holds, and each subject with its own level
// and rules on its scope.
type CheckSpec struct {
	// Module is the module's breaking: configuration, applied to the
	// findings outside every subject's scope.
	Module compat.Config
	// Subjects are the subjects in force, each with its kind, primary key
	// and compatibility (completed with its kind's defaults).
	Subjects []SubjectSpec
	// AtFull checks every subject at FULL, whatever its level (NONE
	// included), as Diff shows every reader a change could break; the
	// ledger is not consulted.
	AtFull bool
	// Policies are the settings of the policies in force after the change
	// (PolicyEngine.Settings), compared with Previous.Policies.
	Policies []PolicySetting
	// Previous is the configuration in force at the baseline; when set,
	// every weakening of it (a subject's level, rules, kind or primary
	// key, the module's breaking: section, a policy) is a finding.
	Previous *GovernedConfig
	// MaxScopeEntries bounds the subjects' scopes together; 0: no bound.
	MaxScopeEntries int
	// MaxSubjectFindings bounds the subjects' findings; 0: no bound.
	MaxSubjectFindings int
}

// Ledger gives a check the ledger of a subject: every field number and
// name, JSON name and enum value its versions used, with the meaning each
// had. The registry reads it from its Store; pbcheck builds it from git
// history.
type Ledger interface {
	// SubjectLedger returns the entries of subject, none for a subject
	// the ledger does not know.
	SubjectLedger(ctx context.Context, subject string) ([]LedgerEntry, error)
}

// LedgerFunc adapts a function to Ledger.
type LedgerFunc func(ctx context.Context, subject string) ([]LedgerEntry, error)

// SubjectLedger calls f.
func (f LedgerFunc) SubjectLedger(ctx context.Context, subject string) ([]LedgerEntry, error) {
	return f(ctx, subject)
}

// CheckResult is what CheckImages found.
type CheckResult struct {
	// Findings are the findings of the module's and the subjects' rules
	// and of the subjects' ledgers, sorted, with paths as the images name
	// their files.
	Findings []Finding
	// Ledger are the keys the current image's subjects use: the entries a
	// push of it adds to (or renews in) the ledger.
	Ledger []LedgerEntry

	work *scopeWork
}

// CheckImages checks the change from prev (nil for a new module) to curr
// for spec: the one checking path of push, CheckPush, Diff and pbcheck
// breaking. Each image is indexed once; the subjects' rules run in one
// compat.Check over the union of their rules; transitive subjects are
// checked against ledger (which may be nil: no history) for the keys prev
// does not use. Errors are *InvalidArgumentError for a configuration that
// cannot be checked or a check past the spec's bounds.
func CheckImages(ctx context.Context, prev, curr *image.Image, spec CheckSpec, ledger Ledger) (*CheckResult, error) {
	subjects := make([]SubjectSpec, len(spec.Subjects))
	for i, s := range spec.Subjects {
		s.Compatibility = s.Compatibility.withDefaults(s.Kind)
		subjects[i] = s
	}
	res := &CheckResult{work: newScopeWork(spec.MaxScopeEntries)}
	currNames, prevNames := image.NewIndex(curr), image.NewIndex(prev)
	locate := compat.LocationOf
	var findings []Finding
	for _, f := range checkSubjectsExist(subjects, currNames, prevNames, locate) {
		// A diff between old versions may predate a subject: only a
		// message the older version has can have been deleted.
		if !spec.AtFull || prevNames.Lookup(protoreflect.FullName(f.Subject)) != nil {
			findings = append(findings, f)
		}
	}
	scopes, err := newSubjectScopes(subjects, currNames, prevNames, res.work)
	if err != nil {
		return nil, err
	}
	currentKeys := make([][]ledgerKey, len(subjects))
	for i, subj := range subjects {
		currentKeys[i] = ledgerKeys(subj.Name, currNames, scopes.curr[i])
		for _, k := range currentKeys[i] {
			res.Ledger = append(res.Ledger, k.entry)
		}
	}
	moduleCfg := spec.Module
	if spec.Previous != nil {
		governance := checkGovernance(*spec.Previous, spec.Module, subjects, spec.Policies)
		findings = append(findings, governance...)
		// A push cannot switch off its own checks: where it weakens the
		// configuration, its changes are checked with the baseline's; the
		// weaker one applies from the next push on.
		for _, f := range governance {
			switch f.Rule {
			case RuleModuleBreakingNoWeaken:
				moduleCfg = spec.Previous.Module
			case RuleSubjectLevelNoWeaken, RuleSubjectRulesNoWeaken:
				for _, old := range spec.Previous.Subjects {
					if old.Name != f.Subject {
						continue
					}
					for i := range subjects {
						if subjects[i].Name == old.Name {
							subjects[i].Compatibility = strongest(subjects[i].Compatibility, old.Compatibility.withDefaults(old.Kind), f.Rule)
						}
					}
				}
			}
		}
	}
	if prev != nil {
		if moduleCfg.Version == "" {
			moduleCfg.Version = ruleCatalogVersion
		}
		if spec.AtFull {
			moduleCfg.Level = compat.LevelFull
		}
		moduleFindings, err := compat.Check(prev, curr, moduleCfg)
		if err != nil {
			return nil, invalid("files", "pbregistry.yaml breaking: %v", err)
		}
		for _, f := range moduleFindings {
			if len(scopes.ownersOf(f)) == 0 {
				findings = append(findings, Finding{Finding: f})
			}
		}
		subjectFindings, err := checkSubjects(prev, curr, subjects, scopes, spec.AtFull, spec.MaxSubjectFindings)
		if err != nil {
			return nil, err
		}
		findings = append(findings, subjectFindings...)
		for i, subj := range subjects {
			if ledger == nil || spec.AtFull || subj.Compatibility.Level == LevelNone || !subj.Compatibility.Level.Transitive() {
				continue
			}
			previous := ledgerKeys(subj.Name, prevNames, scopes.prev[i])
			if !hasNewKeys(currentKeys[i], previous) {
				continue // only keys the baseline does not use can be reused
			}
			known, err := ledger.SubjectLedger(ctx, subj.Name)
			if err != nil {
				return nil, fmt.Errorf("read the ledger of %s: %w", subj.Name, err)
			}
			for _, f := range checkLedger(currentKeys[i], previous, known, locate) {
				findings = append(findings, Finding{Finding: f, Subject: subj.Name, Level: subj.Compatibility.Level})
			}
		}
	}
	sortFindings(findings)
	res.Findings = mergeFindings(findings)
	return res, nil
}

// mergeFindings folds the findings of one change — same element, subject
// and level — into the first (findings are sorted), naming the others'
// rules in Also; the merged finding is an error when any of them is.
func mergeFindings(findings []Finding) []Finding {
	type key struct {
		element, subject string
		level            Level
		policy           bool
	}
	index := make(map[key]int, len(findings))
	out := findings[:0]
	for _, f := range findings {
		k := key{f.Element, f.Subject, f.Level, f.Policy}
		if i, ok := index[k]; ok && f.Element != "" {
			if f.Rule != out[i].Rule && !slices.Contains(out[i].Also, f.Rule) {
				out[i].Also = append(out[i].Also, f.Rule)
				out[i].Directions |= f.Directions
			}
			out[i].Severity = min(out[i].Severity, f.Severity) // SeverityError is 0
			continue
		}
		index[k] = len(out)
		out = append(out, f)
	}
	return out
}

// FoldPolicies folds each policy finding into the finding of the change it
// is about — the first compatibility finding (one with a direction) of the
// same element — so that a
// change is one finding naming every rule it breaks (the policy in Also,
// its message in Notes), which one exception naming any of them lets
// through; the folded finding is an error when either is. Policy findings
// of one rule and element (one per rule of the change they judge) become
// one. Findings keep their order; the push and pbcheck breaking call it
// after evaluating policies.
func FoldPolicies(findings []Finding) []Finding {
	changes := make(map[string]int)
	for i, f := range findings {
		// Configuration findings (no direction) are about the
		// configuration, not the element's change.
		if _, ok := changes[f.Element]; !ok && !f.Policy && f.Element != "" && f.Directions != 0 {
			changes[f.Element] = i
		}
	}
	type policyKey struct{ rule, element string }
	policyAt := make(map[policyKey]int)
	folded := make([]bool, len(findings))
	for i, f := range findings {
		if !f.Policy || f.Element == "" {
			continue
		}
		target, ok := changes[f.Element]
		if !ok {
			k := policyKey{f.Rule, f.Element}
			if j, seen := policyAt[k]; seen {
				findings[j].Severity = min(findings[j].Severity, f.Severity)
				folded[i] = true
			} else {
				policyAt[k] = i
			}
			continue
		}
		c := &findings[target]
		if f.Rule != c.Rule && !slices.Contains(c.Also, f.Rule) {
			c.Also = append(c.Also, f.Rule)
		}
		if note := policyNote(f.Message, findings, f.Element); note != "" && !slices.Contains(c.Notes, note) {
			c.Notes = append(c.Notes, note)
		}
		c.Severity = min(c.Severity, f.Severity)
		folded[i] = true
	}
	out := findings[:0]
	for i, f := range findings {
		if !folded[i] {
			out = append(out, f)
		}
	}
	return out
}

// policyNote returns a policy's message without the message of the change
// it judges, which change policies repeat (change.message + " advice").
func policyNote(msg string, findings []Finding, element string) string {
	for _, f := range findings {
		if f.Policy || f.Element != element || f.Directions == 0 {
			continue
		}
		if rest, ok := strings.CutPrefix(msg, f.Message); ok {
			return strings.TrimSpace(rest)
		}
	}
	// A change policy's message starts with a message of the change under
	// every rule (e.g. the name and the number rules of one deletion):
	// drop its first sentence when it repeats the change's subject.
	if i := strings.Index(msg, ". "); i > 0 {
		for _, f := range findings {
			if !f.Policy && f.Element == element && f.Directions != 0 && sameChange(msg[:i], f.Message) {
				return strings.TrimSpace(msg[i+2:])
			}
		}
	}
	return msg
}

// sameChange reports whether two messages describe one element's change:
// they agree up to the first word that differs after the element's
// description (`Field 3 "x" on message "M" was deleted …`).
func sameChange(a, b string) bool {
	const marker = " was deleted"
	ia, ib := strings.Index(a, marker), strings.Index(b, marker)
	return ia > 0 && ia == ib && a[:ia] == b[:ib]
}

// strongest returns now with what rule found weakened taken from old: the
// level for SUBJECT_LEVEL_NO_WEAKEN, the rules for SUBJECT_RULES_NO_WEAKEN.
func strongest(now, old Compatibility, rule string) Compatibility {
	if rule == RuleSubjectLevelNoWeaken {
		now.Level = levelUnion(now.Level, old.Level)
	} else {
		now.Use, now.Except = old.Use, old.Except
	}
	return now
}

// levelUnion returns the weakest level that protects every direction
// and version a or b protects.
func levelUnion(a, b Level) Level {
	dirs := a.Directions().Directions() | b.Directions().Directions()
	transitive := a.Transitive() || b.Transitive()
	var l Level
	switch dirs {
	case 0:
		return LevelNone
	case compat.Backward:
		l = LevelBackward
	case compat.Forward:
		l = LevelForward
	default:
		l = LevelFull
	}
	if transitive {
		l += "_TRANSITIVE"
	}
	return l
}

// sortFindings sorts findings by location and rule, then subject.
func sortFindings(findings []Finding) {
	slices.SortStableFunc(findings, func(a, b Finding) int {
		if c := compat.Compare(a.Finding, b.Finding); c != 0 {
			return c
		}
		return strings.Compare(a.Subject, b.Subject)
	})
}

// LedgerKeys returns the ledger entries the subjects' scopes use in img:
// what a push of img records for them (FirstVersion unset). pbcheck
// replays git history through it to build a Ledger.
func LedgerKeys(img *image.Image, subjects []string) ([]LedgerEntry, error) {
	names := image.NewIndex(img)
	work := newScopeWork(0)
	var out []LedgerEntry
	for _, s := range subjects {
		sc, err := work.scopeOf(names, s)
		if err != nil {
			return nil, err
		}
		for _, k := range ledgerKeys(s, names, sc) {
			out = append(out, k.entry)
		}
	}
	return out, nil
}

// MemoryLedger is a Ledger held in memory, built version by version as a
// store builds its own: a key keeps the version that first used it and
// takes the meaning of the latest version that uses it.
type MemoryLedger struct {
	entries map[ledgerID]LedgerEntry
}

// NewMemoryLedger returns an empty MemoryLedger.
func NewMemoryLedger() *MemoryLedger {
	return &MemoryLedger{entries: make(map[ledgerID]LedgerEntry)}
}

// Record adds the entries of version (as LedgerKeys returns them).
func (l *MemoryLedger) Record(version int64, entries []LedgerEntry) {
	for _, e := range entries {
		id := e.id()
		if old, ok := l.entries[id]; ok {
			e.FirstVersion = old.FirstVersion
		} else {
			e.FirstVersion = version
		}
		l.entries[id] = e
	}
}

// SubjectLedger implements Ledger.
func (l *MemoryLedger) SubjectLedger(_ context.Context, subject string) ([]LedgerEntry, error) {
	var out []LedgerEntry
	for _, e := range l.entries {
		if e.Subject == subject {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b LedgerEntry) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// SubjectSpecsOf returns the subjects cfg declares (none for a nil cfg),
// each completed with its kind's defaults, as a push declares them.
func SubjectSpecsOf(cfg *config.Config) []SubjectSpec {
	if cfg == nil {
		return nil
	}
	var out []SubjectSpec
	for _, subj := range cfg.Subjects {
		spec := SubjectSpec{
			Name:          subj.Message,
			Kind:          subj.Kind,
			PrimaryKey:    subj.PrimaryKey,
			Compatibility: Compatibility{Level: subj.Compatibility, Use: subj.Use, Except: subj.Except},
		}
		spec.Compatibility = spec.Compatibility.withDefaults(spec.Kind)
		out = append(out, spec)
	}
	return out
}

// ResolveSubjects returns the subjects in force for a change that declares
// declared, where earlier versions declared stored: an admin override
// wins, then the declared configuration, then the stored one; subjects no
// longer declared are still checked. They are sorted by name.
func ResolveSubjects(declared []SubjectSpec, stored []Subject) []SubjectSpec {
	out, _ := effectiveSubjects(declared, stored)
	return out
}
