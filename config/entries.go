package config

import (
	"fmt"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxNameLen is the longest name of a named entry (a stack, a webhook
// endpoint).
const MaxNameLen = 64

// ValidateName returns an error unless name is a valid name for an entry
// of kind what ("stack", "endpoint"): 1 to MaxNameLen lower-case letters,
// digits, '-' and '_', starting with a letter. Names become directory
// names and URL segments.
func ValidateName(what, name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%s name %q must be 1 to %d characters", what, clip(name, 80), MaxNameLen)
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_')) {
			return fmt.Errorf("%s name %q: use lower-case letters, digits, '-' and '_', starting with a letter", what, name)
		}
	}
	return nil
}

// clip shortens s to at most n bytes (on a rune boundary) followed by
// its length, as registry.Truncate does, for names quoted in errors.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for ; cut > 0 && !utf8.RuneStart(s[cut]); cut-- {
	}
	return fmt.Sprintf("%s…[%d bytes]", s[:cut], len(s))
}

// ValidateNamedEntries validates a list of n entries of kind what at path
// (e.g. "stacks.repos", "stack"), entry i named name(i): every name must
// be valid (ValidateName) and used once, and every entry pass check(i).
// Errors name the entry, "path[i]", with its name once the name is valid:
// "stacks.repos[2] (shop): …".
func ValidateNamedEntries(path, what string, n int, name func(i int) string, check func(i int) error) error {
	seen := make(map[string]bool, n)
	for i := range n {
		nm := name(i)
		if err := ValidateName(what, nm); err != nil {
			return fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		where := fmt.Sprintf("%s[%d] (%s)", path, i, nm)
		if seen[nm] {
			return fmt.Errorf("%s: the name is used twice: give every %s its own", where, what)
		}
		seen[nm] = true
		if err := check(i); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

// EachEntry checks the entries of the sequence under key of mapping n,
// which stands at path ("stacks.repos[0].mirrors"), before they are
// decoded: an entry that writes secret inline ("password", "secret") is
// refused — it must come from secret_env or secret_file —, one with a key
// not in keys too; then fn, if not nil, looks further into the entry,
// which stands at where ("stacks.repos[0].mirrors[1]"). A secret of ""
// refuses none. Anything that is not a sequence is left to decoding.
func EachEntry(n *yaml.Node, key, path, secret string, keys []string, fn func(where string, e *yaml.Node) error) error {
	seq := MapValue(n, key)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for i, e := range seq.Content {
		where := fmt.Sprintf("%s[%d]", path, i)
		if secret != "" {
			if k := MapKey(e, secret); k != nil {
				return fmt.Errorf("line %d: %s: %ss are never written in the configuration: use %s_env (an environment variable) or %s_file (a file)", k.Line, where, secret, secret, secret)
			}
		}
		if err := KnownKeys(e, where, keys); err != nil {
			return err
		}
		if fn != nil {
			if err := fn(where, e); err != nil {
				return err
			}
		}
	}
	return nil
}
