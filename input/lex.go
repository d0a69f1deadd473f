package input

import "bytes"

// The lexical helpers below are shared by the scans that run on a .proto
// source before it is parsed (limits.go, edition.go). They skip what the
// compiler's lexer skips, the same way, and leave every error to it.

// commentEnd reports whether a comment starts at data[i] and returns the
// offset just past it: past the newline ending a // comment, past the */
// ending a /* comment, or len(data) when the comment runs to the end.
func commentEnd(data []byte, i int) (int, bool) {
	if data[i] != '/' || i+1 >= len(data) {
		return 0, false
	}
	switch data[i+1] {
	case '/':
		end := bytes.IndexByte(data[i+2:], '\n')
		if end < 0 {
			return len(data), true
		}
		return i + 2 + end + 1, true
	case '*':
		end := bytes.Index(data[i+2:], []byte("*/"))
		if end < 0 {
			return len(data), true
		}
		return i + 2 + end + 2, true
	}
	return 0, false
}

// stringClose returns the offset of the quote closing the string literal
// that starts at data[i] (a ' or "), or, for a string left unterminated,
// the offset of the end of its line or of data, where the compiler
// reports it. Escaped quotes do not close the string.
func stringClose(data []byte, i int) int {
	q := data[i]
	j := i + 1
	for j < len(data) && data[j] != q && data[j] != '\n' {
		if data[j] == '\\' && j+1 < len(data) && data[j+1] != '\n' {
			j++
		}
		j++
	}
	return j
}

// isSpace reports whether c is whitespace to the compiler's lexer.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return true
	}
	return false
}

// skipSpace returns the offset of the first byte at or after i that is
// neither whitespace nor in a comment (len(data) when there is none).
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		if isSpace(data[i]) {
			i++
			continue
		}
		end, ok := commentEnd(data, i)
		if !ok {
			return i
		}
		i = end
	}
	return i
}
