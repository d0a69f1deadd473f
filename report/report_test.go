package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
)

var sample = []compat.Finding{
	{Rule: "FILE_NO_DELETE", Message: `File "acme/v1/b.proto" was deleted.`},
	{
		Rule:     "FIELD_SAME_TYPE",
		Location: compat.Location{Path: "acme/v1/a.proto", StartLine: 4, StartColumn: 3, EndLine: 4, EndColumn: 8},
		Message:  `Field 1 "a" on message "Foo" changed type from int32 to int64.`,
	},
	{
		Rule:     "PACKAGE_VERSIONED",
		Severity: compat.SeverityWarning,
		Location: compat.Location{Path: "acme/v1/a.proto", StartLine: 2, StartColumn: 1, EndLine: 2, EndColumn: 18},
		Message:  "50%, not: great\nsecond line",
	},
}

func TestWrite(t *testing.T) {
	prefix := func(p string) string { return "proto/" + p }
	tests := []struct {
		format Format
		want   string
	}{
		{FormatText, `<input>:1:1:File "acme/v1/b.proto" was deleted. (FILE_NO_DELETE)
proto/acme/v1/a.proto:4:3:Field 1 "a" on message "Foo" changed type from int32 to int64. (FIELD_SAME_TYPE)
proto/acme/v1/a.proto:2:1:50%, not: great
second line (PACKAGE_VERSIONED, warning)
`},
		{FormatJSON, `{"start_line":1,"start_column":1,"end_line":1,"end_column":1,"type":"FILE_NO_DELETE","message":"File \"acme/v1/b.proto\" was deleted.","severity":"error"}
{"path":"proto/acme/v1/a.proto","start_line":4,"start_column":3,"end_line":4,"end_column":8,"type":"FIELD_SAME_TYPE","message":"Field 1 \"a\" on message \"Foo\" changed type from int32 to int64.","severity":"error"}
{"path":"proto/acme/v1/a.proto","start_line":2,"start_column":1,"end_line":2,"end_column":18,"type":"PACKAGE_VERSIONED","message":"50%, not: great\nsecond line","severity":"warning"}
`},
		{FormatGitHubActions, `::error file=<input>,title=FILE_NO_DELETE::File "acme/v1/b.proto" was deleted.
::error file=proto/acme/v1/a.proto,line=4,col=3,endLine=4,endColumn=8,title=FIELD_SAME_TYPE::Field 1 "a" on message "Foo" changed type from int32 to int64.
::warning file=proto/acme/v1/a.proto,line=2,col=1,endLine=2,endColumn=18,title=PACKAGE_VERSIONED::50%25, not: great%0Asecond line
`},
		{FormatMSVS, `<input>(1,1) : error FILE_NO_DELETE : File "acme/v1/b.proto" was deleted.
proto/acme/v1/a.proto(4,3) : error FIELD_SAME_TYPE : Field 1 "a" on message "Foo" changed type from int32 to int64.
proto/acme/v1/a.proto(2,1) : warning PACKAGE_VERSIONED : 50%, not: great
second line
`},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, sample, prefix); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FormatJUnit, sample[:2], nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<testsuite name="&lt;input&gt;" tests="1" failures="1" errors="0">`,
		`<testcase name="FILE_NO_DELETE">`,
		`<testsuite name="acme/v1/a" tests="1" failures="1" errors="0">`,
		`<testcase name="FIELD_SAME_TYPE_4_3">`,
		`type="FIELD_SAME_TYPE"`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("junit output lacks %s:\n%s", want, buf.String())
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "github-actions") {
		t.Errorf("ParseFormat(yaml) error = %v, want one listing the formats", err)
	}
}

// TestSeverityInEveryFormat: every format tells a warning from an error,
// and a warning never looks like an error: it is marked as a warning, and
// in JUnit it is a passed test case, not a failure.
func TestSeverityInEveryFormat(t *testing.T) {
	errorFinding := compat.Finding{Rule: "FIELD_SAME_TYPE", Location: compat.Location{Path: "a.proto", StartLine: 3, StartColumn: 1}, Message: "changed."}
	warning := errorFinding
	warning.Rule, warning.Severity = "FIELD_WIRE_LOSSLESS_TYPE", compat.SeverityWarning
	tests := []struct {
		format              Format
		errorMark, warnMark string
	}{
		{FormatText, "(FIELD_SAME_TYPE)", "(FIELD_WIRE_LOSSLESS_TYPE, warning)"},
		{FormatJSON, `"severity":"error"`, `"severity":"warning"`},
		{FormatGitHubActions, "::error ", "::warning "},
		{FormatMSVS, ": error FIELD_SAME_TYPE", ": warning FIELD_WIRE_LOSSLESS_TYPE"},
		{FormatJUnit, `<failure message="a.proto:3:1:changed. (FIELD_SAME_TYPE)"`, "<system-out>warning: a.proto:3:1:changed. (FIELD_WIRE_LOSSLESS_TYPE, warning)</system-out>"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var errOut, warnOut bytes.Buffer
			if err := Write(&errOut, tt.format, []compat.Finding{errorFinding}, nil); err != nil {
				t.Fatal(err)
			}
			if err := Write(&warnOut, tt.format, []compat.Finding{warning}, nil); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(errOut.String(), tt.errorMark) {
				t.Errorf("error: %s\nlacks %s", errOut.String(), tt.errorMark)
			}
			if !strings.Contains(warnOut.String(), tt.warnMark) {
				t.Errorf("warning: %s\nlacks %s", warnOut.String(), tt.warnMark)
			}
			for _, errorOnly := range []string{"::error", `"severity":"error"`, ": error ", "<failure", `failures="1"`} {
				if strings.Contains(warnOut.String(), errorOnly) {
					t.Errorf("warning: %s\nlooks like an error (%s)", warnOut.String(), errorOnly)
				}
			}
		})
	}
}
