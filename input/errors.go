package input

import (
	"fmt"
	"strings"
)

// Diagnostic is one compile error, located in a file.
type Diagnostic struct {
	// Path is the file's display path (its ExternalPath: relative to the
	// working directory for files read from disk).
	Path string
	// Line and Col are 1-based; zero when unknown.
	Line, Col int
	// Message says what is wrong.
	Message string
}

// String returns "path:line:col: message".
func (d Diagnostic) String() string {
	switch {
	case d.Line == 0:
		return fmt.Sprintf("%s: %s", d.Path, d.Message)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", d.Path, d.Line, d.Col, d.Message)
	}
}

// CompileError is returned by Load when .proto files do not compile. It
// holds every error found, not only the first.
type CompileError struct {
	// Diagnostics are sorted by path, line and column.
	Diagnostics []Diagnostic
}

// Error returns one "path:line:col: message" line per diagnostic.
func (e *CompileError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
