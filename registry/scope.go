package registry

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// scope is the set of messages and enums whose data a subject's message
// holds: the message itself and every message and enum reachable from it
// through its fields, nested or not, transitively.
type scope map[protoreflect.FullName]bool

// scopeWork counts the work of computing scopes and attributing findings,
// against a budget: Limits.MaxScopeEntries bounds the members of all the
// subjects' scopes together, which is what their ledgers store.
type scopeWork struct {
	// budget is the number of scope members left; negative: no bound.
	budget int
	// limit is the budget's initial value, for error messages.
	limit int
	// members counts the scope members computed; lookups counts the
	// subjects examined while attributing findings; checks counts the
	// compat.Check runs for subjects. Tests read them.
	members, lookups, checks int
}

func newScopeWork(limit int) *scopeWork {
	if limit <= 0 {
		return &scopeWork{budget: -1, limit: limit}
	}
	return &scopeWork{budget: limit, limit: limit}
}

// scopeOf returns the scope of message name in x (empty if x has no such
// message), or an *InvalidArgumentError when the subjects' scopes together
// exceed the budget.
func (w *scopeWork) scopeOf(x *image.Index, name string) (scope, error) {
	out := make(scope)
	md := x.Message(protoreflect.FullName(name))
	if md == nil {
		return out, nil
	}
	add := func(n protoreflect.FullName) error {
		if out[n] {
			return nil
		}
		out[n] = true
		w.members++
		if w.budget >= 0 {
			if w.budget == 0 {
				return invalid("files", "the subjects' messages together hold more than %d messages and enums (counting each once per subject whose data holds it; limits.max_scope_entries): declare fewer subjects, or split the module", w.limit)
			}
			w.budget--
		}
		return nil
	}
	stack := []protoreflect.MessageDescriptor{md}
	if err := add(md.FullName()); err != nil {
		return nil, err
	}
	for len(stack) > 0 {
		md := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			if m := fd.Message(); m != nil && !out[m.FullName()] {
				if err := add(m.FullName()); err != nil {
					return nil, err
				}
				stack = append(stack, m)
			}
			if e := fd.Enum(); e != nil {
				if err := add(e.FullName()); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// subjectScopes are the scopes of a check's subjects in the two images, and
// the index from each message or enum to the subjects whose scope holds it,
// in either image.
type subjectScopes struct {
	curr, prev []scope
	owners     map[protoreflect.FullName][]int
	currNames  *image.Index
	prevNames  *image.Index
	work       *scopeWork
}

// newSubjectScopes computes the scopes of subjects in curr and prev (prev
// may be empty), once each.
func newSubjectScopes(subjects []SubjectSpec, currNames, prevNames *image.Index, work *scopeWork) (*subjectScopes, error) {
	s := &subjectScopes{
		curr: make([]scope, len(subjects)), prev: make([]scope, len(subjects)),
		owners: make(map[protoreflect.FullName][]int), currNames: currNames, prevNames: prevNames, work: work,
	}
	for i, subj := range subjects {
		var err error
		if s.curr[i], err = work.scopeOf(currNames, subj.Name); err != nil {
			return nil, err
		}
		if s.prev[i], err = work.scopeOf(prevNames, subj.Name); err != nil {
			return nil, err
		}
		for n := range s.curr[i] {
			s.owners[n] = append(s.owners[n], i)
		}
		for n := range s.prev[i] {
			if !s.curr[i][n] {
				s.owners[n] = append(s.owners[n], i)
			}
		}
	}
	return s, nil
}

// ownersOf returns the indexes of the subjects whose scope holds the
// element f is about (through the message or enum that contains it, in the
// current image or else in the previous one).
func (s *subjectScopes) ownersOf(f compat.Finding) []int {
	c := s.currNames.Container(protoreflect.FullName(f.Element))
	if c == "" {
		c = s.prevNames.Container(protoreflect.FullName(f.Element))
	}
	if c == "" {
		return nil
	}
	owners := s.owners[c]
	s.work.lookups += len(owners)
	return owners
}

// checkSubjects runs every subject's rules on the change from prev to curr
// with one compat.Check over the union of their rules, then keeps each
// finding for the subjects whose scope holds it, whose rules include its
// rule and whose level protects a direction it breaks. With atFull, every
// subject is checked at FULL (LevelNone included), as Diff shows changes;
// otherwise subjects at LevelNone are not checked. The work is linear in
// the size of the images plus the findings times the subjects they
// concern; past maxFindings of those (when positive), the check is refused
// with an *InvalidArgumentError.
func checkSubjects(prev, curr *image.Image, subjects []SubjectSpec, scopes *subjectScopes, atFull bool, maxFindings int) ([]Finding, error) {
	sets := make([]ruleSet, len(subjects))
	lossless := make([]ruleSet, len(subjects))
	losslessErrors := make([]bool, len(subjects))
	union := ruleSet{}
	for i, subj := range subjects {
		if !atFull && subj.Compatibility.Level == LevelNone {
			continue
		}
		set, err := subj.Compatibility.rules("subject " + subj.Name)
		if err != nil {
			return nil, err
		}
		sets[i] = set
		lossless[i], losslessErrors[i] = subj.Compatibility.losslessRules(subj.Kind, set)
		for id := range set {
			union[id] = true
		}
		for id := range lossless[i] {
			union[id] = true
		}
	}
	if len(union) == 0 {
		return nil, nil
	}
	scopes.work.checks++
	all, err := compat.Check(prev, curr, compat.Config{Version: ruleCatalogVersion, Use: union.ids(), Level: compat.LevelFull})
	if err != nil {
		return nil, invalid("files", "subjects' rules: %v", err)
	}
	var out []Finding
	for _, f := range all {
		for _, i := range scopes.ownersOf(f) {
			subj := subjects[i]
			severity := compat.SeverityError
			switch {
			case sets[i] == nil:
				continue
			case sets[i][f.Rule]:
			case lossless[i][f.Rule]:
				if !losslessErrors[i] {
					severity = compat.SeverityWarning
				}
			default:
				continue
			}
			level := subj.Compatibility.Level
			if atFull {
				level = LevelFull
			}
			if cl := level.Directions(); cl != compat.LevelFull && f.Directions&cl.Directions() == 0 {
				continue
			}
			if maxFindings > 0 && len(out) == maxFindings {
				return nil, invalid("files", "the changes break the subjects' rules more than %d times (each change counted once per subject whose data holds it; limits.max_subject_findings): "+
					"check the change with fewer subjects, e.g. with pbcheck breaking, and push it in steps", maxFindings)
			}
			found := Finding{Finding: f, Subject: subj.Name, Level: level}
			found.Severity = severity
			out = append(out, found)
		}
	}
	return out, nil
}
