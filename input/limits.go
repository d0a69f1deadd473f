package input

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// DefaultMaxOptionValueDepth is the default of Limits.MaxOptionValueDepth.
//
// It is buf's limit: buf (v1.75) refuses an option value nested deeper
// than 100, counted the same way and reported at the same line and
// column ("expression nesting depth must be at most 100"), a limit
// protocompile's new parser takes from protoc. So a file refused here
// does not build with buf either, while real option values
// (google.api.http, protovalidate, OpenAPI annotations) nest fewer than
// ten levels. Up to it the compiler's cost stays small; past it, the
// option interpreter of protocompile v0.14.1, which copies the whole path
// of every nested value, needs memory quadratic in the depth: 2.7 GB of
// heap for a 208 KB file 16,000 levels deep (see
// docs/upstream/protocompile-nested-option-values.md).
const DefaultMaxOptionValueDepth = 100

// Limits bound what one .proto file may ask of the compiler. They are
// checked by a lexical scan of each file before it is parsed, so a file
// past a limit costs a read and a scan, not a compile. The zero value
// means the defaults: the limits are on for every input.
type Limits struct {
	// MaxOptionValueDepth is the deepest nesting of message literals and
	// lists ({…}, <…> and […]) allowed in one option value; the value's
	// own braces are level 1. 0 means DefaultMaxOptionValueDepth; a
	// negative value turns the check off.
	MaxOptionValueDepth int
}

// optionValueDepth returns the depth limit in force, or 0 for none.
func (l Limits) optionValueDepth() int {
	switch {
	case l.MaxOptionValueDepth == 0:
		return DefaultMaxOptionValueDepth
	case l.MaxOptionValueDepth < 0:
		return 0
	default:
		return l.MaxOptionValueDepth
	}
}

// check scans the source of a .proto file against the limits and returns
// a diagnostic for the first place that passes one, located like the
// compiler's own (1-based line, column counting runes and tab stops of
// 8); path is the file's display path.
func (l Limits) check(path string, data []byte) (Diagnostic, bool) {
	limit := l.optionValueDepth()
	if limit == 0 {
		return Diagnostic{}, false
	}
	// The compiler drops a byte order mark before counting columns.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	off, ok := deepOptionValue(data, limit)
	if !ok {
		return Diagnostic{}, false
	}
	line, col := position(data, off)
	return Diagnostic{Path: path, Line: line, Col: col, Message: fmt.Sprintf(
		"option value nests message literals and lists more than %d deep (the limit): flatten the value or split it into several options; deeper values are refused because compiling them takes memory that grows with the square of the depth",
		limit)}, true
}

// deepOptionValue returns the offset of the first opening bracket that
// nests an option value deeper than limit. An option value starts at a
// '{' following '=' (option (x) = {…} and [(x) = {…}]); inside it every
// '{', '<' and '[' opens a level and every '}', '>' and ']' closes one.
// Strings and comments are skipped; everything else is left to the
// compiler, which reports syntax errors.
func deepOptionValue(data []byte, limit int) (int, bool) {
	depth := 0
	afterEquals := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if isSpace(c) {
			continue
		}
		switch c {
		case '/':
			if end, ok := commentEnd(data, i); ok {
				if end >= len(data) {
					return 0, false
				}
				i = end - 1
				continue
			}
		case '"', '\'':
			i = stringClose(data, i)
		case '=':
			if depth == 0 {
				afterEquals = true
				continue
			}
		case '{', '<', '[':
			if depth > 0 || (c == '{' && afterEquals) {
				depth++
				if depth > limit {
					return i, true
				}
			}
		case '}', '>', ']':
			if depth > 0 {
				depth--
			}
		}
		afterEquals = false
	}
	return 0, false
}

// position returns the 1-based line and column of offset off in data,
// counting columns as the compiler does: runes, tabs to the next multiple
// of 8.
func position(data []byte, off int) (line, col int) {
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	for _, b := range data[start:off] {
		switch {
		case b == '\t':
			col += 8 - col%8
		case utf8.RuneStart(b):
			col++
		}
	}
	return line, col + 1
}
