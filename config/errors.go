package config

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Pos is a position in a configuration file, with 1-based line and column.
// The zero Pos has no position.
type Pos struct {
	// File is the path of the configuration file, as given to the parser.
	File string
	// Line and Col are 1-based; zero when unknown.
	Line, Col int
}

// String returns "file:line:col", or less when parts are unknown.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Error is a problem in a configuration file, located at Pos.
type Error struct {
	// Pos is where the problem is.
	Pos Pos
	// Msg says what is wrong and what to do about it.
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string {
	if e.Pos.File == "" && e.Pos.Line == 0 {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorAt returns an *Error at the position of node n in file; other
// packages reading YAML configuration (policies) report errors with it.
func ErrorAt(file string, n *yaml.Node, format string, args ...any) *Error {
	return &Error{Pos: PosAt(file, n), Msg: fmt.Sprintf(format, args...)}
}

// PosAt returns the position of node n in file (the file alone for a nil n).
func PosAt(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)`)

// syntaxError turns a YAML parser error into an *Error naming the line.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	pos := Pos{File: file}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		pos.Col = 1
		if m[2] != "" {
			pos.Col, _ = strconv.Atoi(m[2])
		}
		msg = m[3]
	} else {
		msg = trimYAMLPrefix(msg)
	}
	return &Error{Pos: pos, Msg: "invalid YAML: " + msg + ": fix the syntax of this file"}
}

func trimYAMLPrefix(s string) string {
	const p = "yaml: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
