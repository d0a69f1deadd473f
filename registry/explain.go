package registry

import "strings"

// Explain says what the finding changed and whom it breaks, relative to the
// baseline version, without its location, rule and level: what Describe
// writes between the location and the parentheses.
func (f Finding) Explain(baseline int64) string {
	msg := strings.TrimSuffix(f.Summary(), ".")
	if len(f.Also) > 0 {
		msg += " (also " + strings.Join(f.Also, ", ") + ")"
	}
	if impact := f.impact(baseline); impact != "" {
		msg += "; " + impact
	}
	return msg
}
