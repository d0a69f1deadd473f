package compat

import "strings"

// Summary returns the finding's message without its closing clause on the
// directions the change breaks ("…, so readers still on the previous schema
// cannot read …"), for callers that say who breaks in their own words, such
// as the registry, which names versions.
func (f Finding) Summary() string {
	clause := breaks(f.Directions)
	i := strings.LastIndex(f.Message, clause)
	if f.Directions == 0 || i < 0 {
		return f.Message
	}
	head := f.Message[:i]
	for _, sep := range []string{", so ", ": ", "; "} {
		if strings.HasSuffix(head, sep) {
			return strings.TrimSuffix(head, sep) + "."
		}
	}
	return f.Message
}
