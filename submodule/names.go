package submodule

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxPathBytes bounds a path in a published tree.
const maxPathBytes = 1024

// ValidatePath returns an error unless p is safe as a path in a published
// tree: relative, slash-separated, no empty, "." or ".." segment, no
// segment that is ".git" in any case (nor its 8.3 short name "git~1"), no
// control character, backslash or colon, valid UTF-8, at most 1024 bytes.
// Only regular files are ever written: never symlinks nor gitlinks.
func ValidatePath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("the path is empty")
	case len(p) > maxPathBytes:
		return fmt.Errorf("path %.40q… is longer than %d bytes", p, maxPathBytes)
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not valid UTF-8", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute: write it relative to the repository root", p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' || r == ':' {
			return fmt.Errorf("path %q contains %q: use letters, digits, '/', '.', '-' and '_'", p, r)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch lower := strings.TrimRight(strings.ToLower(seg), ". "); {
		case seg == "" || seg == "." || seg == "..":
			return fmt.Errorf("path %q has an empty, \".\" or \"..\" segment", p)
		case lower == ".git" || lower == "git~1" || lower == ".gitmodules":
			return fmt.Errorf("path %q has a %q segment, which git reserves", p, seg)
		}
	}
	return nil
}

// ValidateRefName returns an error unless name is a safe ref or tag name
// below refs/ (e.g. "acme/commerce/v3"): the rules of git check-ref-format,
// restricted to letters, digits, '/', '.', '-' and '_'.
func ValidateRefName(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("ref name %q must be 1 to 255 bytes", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("ref name %q contains %q", name, r)
		}
	}
	if strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "//") || strings.Contains(name, "..") || strings.HasPrefix(name, "-") {
		return fmt.Errorf("ref name %q: no leading '/' or '-', trailing '/' or '.', \"//\" or \"..\"", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") || strings.HasSuffix(seg, ".lock") {
			return fmt.Errorf("ref name %q: no segment may start with '.' or end with \".lock\"", name)
		}
	}
	return nil
}
