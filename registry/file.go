package registry

import (
	"path"
	"strings"
	"unicode/utf8"
)

// File is one file of a version: a .proto file (or any other file the
// module ships), by its path relative to the module root.
type File struct {
	// Path is slash-separated and relative to the module root, e.g.
	// "acme/commerce/v1/order.proto".
	Path string
	// Content is the file's bytes, as pushed.
	Content []byte
}

// ValidateFilePath returns an *InvalidArgumentError if p is not a clean,
// relative, slash-separated path. field names the request field for the
// error.
func ValidateFilePath(field, p string) error {
	switch {
	case p == "":
		return invalid(field, "the path is empty")
	case !utf8.ValidString(p):
		return invalid(field, "path %q is not valid UTF-8", p)
	case strings.ContainsRune(p, 0):
		return invalid(field, "path %q contains a NUL byte", p)
	case strings.Contains(p, `\`):
		return invalid(field, "path %q contains '\\': use '/' as the separator", p)
	case strings.HasPrefix(p, "/"):
		return invalid(field, "path %q is absolute: make it relative to the module root", p)
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return invalid(field, "path %q is not clean: write it as %q relative to the module root", p, path.Clean(p))
	}
	return nil
}
