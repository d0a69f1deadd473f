// Package report prints findings in the formats CI systems and people read:
// text, json, github-actions, junit and msvs. The text, json and
// github-actions shapes follow buf's, so tooling built around
// `buf breaking` and `buf lint` keeps working.
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pbregistry/pbregistry/compat"
)

// Format is an output format.
type Format string

// The formats Write supports.
const (
	FormatText          Format = "text"
	FormatJSON          Format = "json"
	FormatGitHubActions Format = "github-actions"
	FormatJUnit         Format = "junit"
	FormatMSVS          Format = "msvs"
)

// Formats lists every supported format, in documentation order.
var Formats = []Format{FormatText, FormatJSON, FormatGitHubActions, FormatJUnit, FormatMSVS}

// ParseFormat parses a --error-format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown error format %q: use one of %s", s, strings.Join(names, ", "))
}

// noPath is printed in place of a path for findings that have none, such
// as the deletion of a whole file.
const noPath = "<input>"

// Write prints findings to w in format. displayPath maps a finding's
// module-relative path to the path to show (relative to the working
// directory); nil shows paths as they are.
func Write(w io.Writer, format Format, findings []compat.Finding, displayPath func(string) string) error {
	if displayPath == nil {
		displayPath = func(p string) string { return p }
	}
	lines := make([]line, len(findings))
	for i, f := range findings {
		lines[i] = newLine(f, displayPath)
	}
	switch format {
	case FormatText, "":
		return writeEach(w, lines, line.text)
	case FormatJSON:
		return writeEach(w, lines, line.json)
	case FormatGitHubActions:
		return writeEach(w, lines, line.githubActions)
	case FormatMSVS:
		return writeEach(w, lines, line.msvs)
	case FormatJUnit:
		return writeJUnit(w, lines)
	}
	_, err := ParseFormat(string(format))
	return err
}

// line is a finding ready to print.
type line struct {
	path                                       string // "" when none
	startLine, startColumn, endLine, endColumn int
	rule, message                              string
	severity                                   compat.Severity
}

func newLine(f compat.Finding, displayPath func(string) string) line {
	l := line{
		rule: f.Rule, message: f.Message, severity: f.Severity,
		startLine: f.Location.StartLine, startColumn: f.Location.StartColumn,
		endLine: f.Location.EndLine, endColumn: f.Location.EndColumn,
	}
	if f.Location.Path != "" {
		l.path = displayPath(f.Location.Path)
	}
	return l
}

func atLeast1(n int) int { return max(n, 1) }

func (l line) displayPath() string {
	if l.path == "" {
		return noPath
	}
	return l.path
}

func writeEach(w io.Writer, lines []line, format func(line) string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(format(l))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// text is `path:line:column:message (RULE_ID)` as buf prints it, and
// `… (RULE_ID, warning)` for a warning, which does not fail the check.
func (l line) text() string {
	rule := l.rule
	if l.severity == compat.SeverityWarning {
		rule += ", warning"
	}
	return fmt.Sprintf("%s:%d:%d:%s (%s)", l.displayPath(), atLeast1(l.startLine), atLeast1(l.startColumn), l.message, rule)
}

// jsonLine has buf's keys, in buf's order, and severity ("error" or
// "warning"), which buf does not print and tools built for buf ignore.
type jsonLine struct {
	Path        string `json:"path,omitempty"`
	StartLine   int    `json:"start_line"`
	StartColumn int    `json:"start_column"`
	EndLine     int    `json:"end_line"`
	EndColumn   int    `json:"end_column"`
	Type        string `json:"type"`
	Message     string `json:"message"`
	Severity    string `json:"severity"`
}

func (l line) json() string {
	jl := jsonLine{
		Path:      l.path,
		StartLine: atLeast1(l.startLine), StartColumn: atLeast1(l.startColumn),
		EndLine: atLeast1(l.endLine), EndColumn: atLeast1(l.endColumn),
		Type: l.rule, Message: l.message, Severity: l.severity.String(),
	}
	b, _ := json.Marshal(jl) // cannot fail: strings and ints only
	return string(b)
}

// githubActions is a workflow command that annotates the pull request.
func (l line) githubActions() string {
	var b strings.Builder
	b.WriteString("::")
	b.WriteString(l.severity.String())
	b.WriteString(" file=")
	b.WriteString(escapeProperty(l.displayPath()))
	if l.path != "" && l.startLine > 0 {
		fmt.Fprintf(&b, ",line=%d", l.startLine)
		if l.startColumn > 0 {
			fmt.Fprintf(&b, ",col=%d", l.startColumn)
		}
		if l.endLine > 0 {
			fmt.Fprintf(&b, ",endLine=%d", l.endLine)
			if l.endColumn > 0 {
				fmt.Fprintf(&b, ",endColumn=%d", l.endColumn)
			}
		}
	}
	b.WriteString(",title=")
	b.WriteString(escapeProperty(l.rule))
	b.WriteString("::")
	b.WriteString(escapeData(l.message))
	return b.String()
}

// escapeData escapes a workflow command's message.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// msvs is Visual Studio's `path(line,column) : error RULE : message`.
func (l line) msvs() string {
	return fmt.Sprintf("%s(%d,%d) : %s %s : %s", l.displayPath(), atLeast1(l.startLine), atLeast1(l.startColumn), l.severity, l.rule, l.message)
}

// writeJUnit writes one test suite per file and one test case per
// finding, named after the rule and position: a failed one for an error,
// a passed one whose output says "warning: …" for a warning, which must
// not fail the build.
func writeJUnit(w io.Writer, lines []line) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Failure   *failure `xml:"failure"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName xml.Name    `xml:"testsuites"`
		Suites  []testsuite `xml:"testsuite"`
	}
	var out testsuites
	index := make(map[string]int)
	for _, l := range lines {
		name := strings.TrimSuffix(l.displayPath(), ".proto")
		i, ok := index[name]
		if !ok {
			i = len(out.Suites)
			index[name] = i
			out.Suites = append(out.Suites, testsuite{Name: name})
		}
		caseName := l.rule
		if l.path != "" {
			caseName += "_" + strconv.Itoa(atLeast1(l.startLine)) + "_" + strconv.Itoa(atLeast1(l.startColumn))
		}
		s := &out.Suites[i]
		s.Tests++
		if l.severity == compat.SeverityWarning {
			s.Cases = append(s.Cases, testcase{Name: caseName, SystemOut: "warning: " + l.text()})
			continue
		}
		s.Failures++
		s.Cases = append(s.Cases, testcase{Name: caseName, Failure: &failure{Message: l.text(), Type: l.rule}})
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
