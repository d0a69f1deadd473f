package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pbregistry/pbregistry/compat"
)

// Explain says what the finding changed and whom it breaks, relative to the
// baseline version (0: "the previous schema", as pbcheck breaking checks
// two schemas without versions), without its location, rule and level:
// what Describe writes between the location and the parentheses. It names
// the direction that breaks and why: a deletion says what readers at the
// baseline no longer receive and what an unreserved name or number
// risks; a lossy type change which values are truncated, by whom; other
// changes who cannot read what. The notes of policies folded into the
// finding follow.
func (f Finding) Explain(baseline int64) string {
	return f.explain(baseline, true)
}

// explain is Explain, naming the finding's other rules in the message
// ("(also …)") when also is set: Describe names them all after it.
func (f Finding) explain(baseline int64, also bool) string {
	if f.Policy && len(f.Also) == 0 && len(f.Notes) == 0 {
		return f.Message // as pbcheck lint prints it
	}
	v := versionsOf(f.Level, baseline)
	dirs := f.protectedDirections()
	rules := f.Rules()
	summary := strings.TrimSuffix(f.Summary(), ".")
	var impact []string
	switch {
	case hasAny(rules, fieldDeletionRules) && f.Directions != 0:
		summary, impact = explainFieldDeletion(summary, f.Element, rules, dirs, v)
	case hasAny(rules, enumValueDeletionRules) && f.Directions != 0:
		summary, impact = explainEnumValueDeletion(summary, f.Element, rules, dirs, v)
	case isReuse(rules):
		// The ledger's message says what the old data would be read as.
		impact = []string{}
	case hasAny(rules, reservationRules) && f.Directions != 0:
		impact = explainUnreserved(summary, v)
	case slices.Contains(rules, "FIELD_WIRE_LOSSLESS_TYPE") && (dirs == compat.Forward || dirs == compat.Backward):
		summary, impact = explainTruncation(summary, dirs, v, slices.Contains(rules, "FIELD_WIRE_JSON_COMPATIBLE_TYPE"))
	}
	if impact == nil {
		impact = genericImpact(dirs, v)
	}
	msg := summary
	if also && len(f.Also) > 0 {
		msg += " (also " + strings.Join(f.Also, ", ") + ")"
	}
	if len(impact) > 0 {
		msg += "; " + strings.Join(impact, "; ")
	}
	for _, n := range f.Notes {
		msg += ". " + strings.TrimSuffix(n, ".")
	}
	return msg
}

// versions names, for one finding, the readers and data at the baseline:
// v3 (or v1–v3 in the directions a transitive level protects), or the
// previous schema when there is no version number.
type versions struct {
	// oldReaders are the readers still on the baseline: "readers at v3".
	oldReaders string
	// oldData is what the baseline wrote: "v1–v3".
	oldData string
}

func versionsOf(level Level, baseline int64) versions {
	if baseline <= 0 {
		return versions{oldReaders: "readers on the previous schema", oldData: "the previous schema"}
	}
	one := fmt.Sprintf("v%d", baseline)
	all := one
	if baseline > 1 {
		all = fmt.Sprintf("v1–v%d", baseline)
	}
	v := versions{oldReaders: "readers at " + one, oldData: one}
	switch level {
	case LevelFullTransitive:
		v.oldReaders, v.oldData = "readers at "+all, all
	case LevelForwardTransitive:
		v.oldReaders = "readers at " + all
	case LevelBackwardTransitive:
		v.oldData = all
	}
	return v
}

// protectedDirections returns the directions the finding breaks that the
// level in force protects — all it breaks under the module's rules, or
// when the level protects none of them (a ledger or configuration
// finding).
func (f Finding) protectedDirections() compat.Direction {
	dirs := f.Directions
	if ld := f.Level.Directions().Directions(); f.Level != "" && dirs&ld != 0 {
		dirs &= ld
	}
	return dirs
}

// genericImpact says who cannot read what: "readers at v3 cannot read what
// this version writes" (old readers, new data: FORWARD) and "this version
// cannot read what v1–v3 wrote" (new readers, old data: BACKWARD).
func genericImpact(dirs compat.Direction, v versions) []string {
	oldReaders := v.oldReaders + " cannot read what this version writes"
	newReaders := "this version cannot read what " + v.oldData + " wrote"
	switch dirs {
	case compat.Forward:
		return []string{oldReaders}
	case compat.Backward:
		return []string{newReaders}
	case compat.Both:
		return []string{oldReaders + ", and " + newReaders}
	}
	return nil
}

// The rules that report a deleted field or enum value, by what they ask
// to be reserved.
var (
	fieldDeletionRules     = []string{"FIELD_NO_DELETE", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"}
	enumValueDeletionRules = []string{"ENUM_VALUE_NO_DELETE", "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED"}
)

// isReuse reports whether rules hold a ledger finding's rule: a number or
// name reused with another meaning.
func isReuse(rules []string) bool {
	for _, r := range reuseRules {
		if slices.Contains(rules, r) {
			return true
		}
	}
	return false
}

// reservationRules report a reserved number or name that is reserved no
// more.
var reservationRules = []string{"RESERVED_MESSAGE_NO_DELETE", "RESERVED_ENUM_NO_DELETE"}

// unreservedRange and unreservedName read what a reservation lost from
// its message: `Reserved range [4, 6] on message "M" lost [4]` or
// `Reserved name "x" was deleted from message "M"`.
var (
	unreservedRange = regexp.MustCompile(`^Reserved range .* lost (.+)$`)
	unreservedName  = regexp.MustCompile(`^Reserved name ("[^"]*") was deleted`)
)

// explainUnreserved explains a reservation dropped: no reader breaks
// today; the number or name is free again, and a later version reusing it
// with another meaning would be misread by readers at the baseline and in
// the data it wrote.
func explainUnreserved(summary string, v versions) []string {
	what := ""
	if m := unreservedRange.FindStringSubmatch(summary); m != nil {
		what = plural(m[1], "number") + " " + m[1]
	} else if m := unreservedName.FindStringSubmatch(summary); m != nil {
		what = "name " + m[1]
	}
	if what == "" {
		return nil
	}
	return []string{fmt.Sprintf("no reader breaks now, but until %s is reserved again, a later version may reuse it with another meaning, which %s and the data %s wrote would misread", what, v.oldReaders, v.oldData)}
}

// plural names numbers as a range list shows them: "number" for [4],
// "numbers" for [4,6] or [4], [7].
func plural(list, word string) string {
	if strings.Contains(list, ",") {
		return word + "s"
	}
	return word
}

func hasAny(rules, of []string) bool {
	for _, r := range rules {
		if slices.Contains(of, r) {
			return true
		}
	}
	return false
}

// deletedNumber reads the number of a deleted field or enum value from its
// message: `Field 3 "x" …` or `Enum value 3 ("X") …`.
var deletedNumber = regexp.MustCompile(`^(?:Field|Extension|Enum value) (\d+) `)

// explainFieldDeletion explains a deleted field: readers at the baseline
// no longer receive it from what this version writes (FORWARD, always
// true); this version's JSON readers reject the old data's key while the
// name is not reserved (BACKWARD, FIELD_NO_DELETE_UNLESS_NAME_RESERVED);
// this version skips the field in old data (BACKWARD, FIELD_NO_DELETE);
// and an unreserved number may come back with another meaning. Reading
// old data on the wire is never broken by a deletion, and is not claimed.
func explainFieldDeletion(summary, element string, rules []string, dirs compat.Direction, v versions) (string, []string) {
	name := element[strings.LastIndexByte(element, '.')+1:]
	number := ""
	if m := deletedNumber.FindStringSubmatch(summary); m != nil {
		number = m[1]
	}
	nameRule := slices.Contains(rules, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED")
	numberRule := slices.Contains(rules, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED")
	if nameRule && numberRule {
		summary = strings.Replace(summary, " without reserving its name", " without reserving its name or number", 1)
		summary = strings.Replace(summary, " without reserving its number", " without reserving its name or number", 1)
	}
	var out []string
	if dirs&compat.Forward != 0 {
		out = append(out, fmt.Sprintf("%s no longer receive field %q from what this version writes", v.oldReaders, name))
	}
	if dirs&compat.Backward != 0 {
		switch {
		case nameRule:
			out = append(out, fmt.Sprintf("this version's JSON readers reject what %s wrote with key %q (unknown to them) until the name is reserved", v.oldData, name))
		case slices.Contains(rules, "FIELD_NO_DELETE"):
			out = append(out, fmt.Sprintf("this version ignores field %q in what %s wrote", name, v.oldData))
		}
	}
	if numberRule && number != "" {
		out = append(out, fmt.Sprintf("until number %s is reserved, a later version may reuse it with another type, which %s and the data %s wrote would misread", number, v.oldReaders, v.oldData))
	}
	return summary, out
}

// explainEnumValueDeletion explains a deleted enum value: this version
// does not know the value in old data (BACKWARD; JSON readers reject its
// name until it is reserved), and an unreserved number may come back with
// another meaning. Readers at the baseline read what this version writes.
func explainEnumValueDeletion(summary, element string, rules []string, dirs compat.Direction, v versions) (string, []string) {
	name := element[strings.LastIndexByte(element, '.')+1:]
	number := ""
	if m := deletedNumber.FindStringSubmatch(summary); m != nil {
		number = m[1]
	}
	nameRule := slices.Contains(rules, "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED")
	numberRule := slices.Contains(rules, "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED")
	var out []string
	if dirs&compat.Backward != 0 {
		switch {
		case nameRule:
			out = append(out, fmt.Sprintf("this version's JSON readers reject what %s wrote with %s (an unknown name to them) until the name is reserved", v.oldData, name))
		case slices.Contains(rules, "ENUM_VALUE_NO_DELETE"):
			out = append(out, fmt.Sprintf("this version reads %s in what %s wrote as an unknown value", name, v.oldData))
		}
	}
	if numberRule && number != "" {
		out = append(out, fmt.Sprintf("until number %s is reserved, a later version may reuse it with another meaning, which %s and the data %s wrote would misread", number, v.oldReaders, v.oldData))
	}
	return summary, out
}

// kindChange reads the kinds of a type change from its message.
var kindChange = regexp.MustCompile(`changed type from (\w+) to (\w+)`)

// truncatedRange is, for the narrower kind of a lossy change, the values
// its readers truncate.
var truncatedRange = map[string]string{
	"int32":    "above 2^31−1 or below −2^31",
	"sint32":   "above 2^31−1 or below −2^31",
	"sfixed32": "above 2^31−1 or below −2^31",
	"enum":     "above 2^31−1 or below −2^31",
	"uint32":   "above 2^32−1 or below 0",
	"fixed32":  "above 2^32−1 or below 0",
	"bool":     "other than 0 and 1",
}

// explainTruncation explains a wire-compatible type change that truncates
// in one direction: "values above 2^31−1 or below −2^31 are truncated by
// readers at v3" (widening: old readers, new data) or "… that v1–v3 wrote
// are truncated by this version" (narrowing: new readers, old data). When
// JSON is checked too (json), JSON readers reject those values rather than
// truncate them, and the explanation says both.
func explainTruncation(summary string, dirs compat.Direction, v versions, json bool) (string, []string) {
	m := kindChange.FindStringSubmatchIndex(summary)
	if m == nil {
		return summary, nil
	}
	prev, curr := summary[m[2]:m[3]], summary[m[4]:m[5]]
	head := summary[:m[1]]
	switch {
	case dirs == compat.Forward && truncatedRange[prev] != "" && json:
		return head, []string{fmt.Sprintf("%s cannot read values %s that this version writes: binary readers truncate them, JSON readers reject them", v.oldReaders, truncatedRange[prev])}
	case dirs == compat.Forward && truncatedRange[prev] != "":
		return head, []string{fmt.Sprintf("values %s are truncated by %s", truncatedRange[prev], v.oldReaders)}
	case dirs == compat.Backward && truncatedRange[curr] != "" && json:
		return head, []string{fmt.Sprintf("this version cannot read values %s that %s wrote: binary readers truncate them, JSON readers reject them", truncatedRange[curr], v.oldData)}
	case dirs == compat.Backward && truncatedRange[curr] != "":
		return head, []string{fmt.Sprintf("values %s that %s wrote are truncated by this version", truncatedRange[curr], v.oldData)}
	}
	return summary, nil
}
