package registry

import (
	"strings"
	"time"
)

// MaxModuleNameLength is the longest module name accepted.
const MaxModuleNameLength = 200

// Module is a named set of .proto files, pushed as a unit from a build,
// e.g. "acme/commerce". Each accepted push is one Version.
type Module struct {
	// Name is the module's name: segments of letters, digits, '.', '_'
	// and '-', separated by '/'.
	Name string
	// LatestVersion is the number of the module's latest version, 0 while
	// it has none.
	LatestVersion int64
	// CreatedAt is when the module's first version was accepted.
	CreatedAt time.Time
	// UpdatedAt is when its latest version was accepted.
	UpdatedAt time.Time
	// Deprecation is an admin's deprecation of the module, or nil.
	Deprecation *ModuleDeprecation
}

// ValidateModuleName returns an *InvalidArgumentError if name is not a valid
// module name.
func ValidateModuleName(name string) error {
	if name == "" {
		return invalid("module", "the module name is empty: name the module, e.g. \"acme/commerce\"")
	}
	if len(name) > MaxModuleNameLength {
		return invalid("module", "the module name %.40q… is longer than %d bytes", name, MaxModuleNameLength)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return invalid("module", "module name %q has an empty, \".\" or \"..\" segment: use names like \"acme/commerce\"", name)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return invalid("module", "module name %q contains %q: use letters, digits, '.', '_', '-' and '/'", name, r)
			}
		}
	}
	return nil
}
