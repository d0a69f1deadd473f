package auth

import (
	"fmt"
	"path"
	"strings"
)

// Scope is a permission a token carries: "read", "push:<module glob>",
// "metrics" or "admin".
type Scope string

// The scopes without arguments.
const (
	// ScopeRead reads every module: the read RPCs, CheckPush and image
	// downloads.
	ScopeRead Scope = "read"
	// ScopeMetrics reads /metrics only, for a Prometheus scraper that
	// should not read schemas; every scope that reads may read /metrics.
	ScopeMetrics Scope = "metrics"
	// ScopeAdmin does everything: pushes to every module, subject
	// configuration overrides, exceptions.
	ScopeAdmin Scope = "admin"
	// pushPrefix starts a push scope, e.g. "push:acme/*".
	pushPrefix = "push:"
)

// PushScope returns the scope that allows pushing to modules matching glob.
func PushScope(glob string) Scope { return Scope(pushPrefix + glob) }

// ParseScope parses and validates a scope.
func ParseScope(s string) (Scope, error) {
	switch sc := Scope(strings.TrimSpace(s)); {
	case sc == ScopeRead || sc == ScopeAdmin || sc == ScopeMetrics:
		return sc, nil
	case strings.HasPrefix(string(sc), pushPrefix):
		glob := strings.TrimPrefix(string(sc), pushPrefix)
		if glob == "" {
			return "", fmt.Errorf("scope %q has no module glob: write push:<module glob>, e.g. push:acme/*", s)
		}
		if _, err := path.Match(glob, ""); err != nil {
			return "", fmt.Errorf("scope %q: module glob %q is malformed: %v", s, glob, err)
		}
		return sc, nil
	default:
		return "", fmt.Errorf("unknown scope %q: use read, push:<module glob> (e.g. push:acme/*), metrics or admin", s)
	}
}

// allowsPush reports whether the scope allows pushing to module.
func (s Scope) allowsPush(module string) bool {
	if s == ScopeAdmin {
		return true
	}
	glob, ok := strings.CutPrefix(string(s), pushPrefix)
	if !ok {
		return false
	}
	return MatchModule(glob, module)
}

// MatchModule reports whether module matches glob. A glob is a module name
// in which "*" matches any run of characters within one segment and "?"
// one character (path.Match); "**" alone, or as the last segment, matches
// any number of segments ("acme/**" matches "acme/a" and "acme/a/b").
func MatchModule(glob, module string) bool {
	if glob == "*" && !strings.Contains(module, "/") || glob == "**" {
		return true
	}
	if prefix, ok := strings.CutSuffix(glob, "/**"); ok {
		if !strings.Contains(prefix, "/") && !strings.ContainsAny(prefix, "*?[") {
			return strings.HasPrefix(module, prefix+"/")
		}
		parts := strings.Split(module, "/")
		n := strings.Count(prefix, "/") + 1
		if len(parts) <= n {
			return false
		}
		ok, _ := path.Match(prefix, strings.Join(parts[:n], "/"))
		return ok
	}
	ok, _ := path.Match(glob, module)
	return ok
}
