package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pbcheck runs the command in dir and returns its exit code and outputs.
func pbcheck(t *testing.T, dir string, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, bytes.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const invoiceV1 = `syntax = "proto3";
package acme.billing.v1;
message Invoice {
  string id = 1;
  int32 amount = 2;
  string note = 3;
}
`

const invoiceV2 = `syntax = "proto3";
package acme.billing.v1;
message Invoice {
  string id = 1;
  int64 amount = 2;
}
`

func pairDir(t *testing.T) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"previous/acme/billing/v1/invoice.proto": invoiceV1,
		"current/acme/billing/v1/invoice.proto":  invoiceV2,
	})
	return dir
}

func TestBreakingFormatsAndExitCodes(t *testing.T) {
	dir := pairDir(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{
			name:     "text, default FILE rules",
			args:     []string{"breaking", "current", "--against", "previous"},
			wantCode: exitFindings,
			want: `current/acme/billing/v1/invoice.proto:3:1:Field 3 "note" on message "Invoice" was deleted. (FIELD_NO_DELETE)
current/acme/billing/v1/invoice.proto:5:3:Field 2 "amount" on message "Invoice" changed type from int32 to int64. (FIELD_SAME_TYPE)
`,
		},
		{
			name:     "json",
			args:     []string{"breaking", "current", "--against", "previous", "--error-format", "json", "--use", "FIELD_SAME_TYPE"},
			wantCode: exitFindings,
			want: `{"path":"current/acme/billing/v1/invoice.proto","start_line":5,"start_column":3,"end_line":5,"end_column":8,"type":"FIELD_SAME_TYPE","message":"Field 2 \"amount\" on message \"Invoice\" changed type from int32 to int64.","severity":"error"}
`,
		},
		{
			name:     "github-actions",
			args:     []string{"breaking", "current", "--against=previous", "--error-format=github-actions", "--use=FIELD_SAME_TYPE"},
			wantCode: exitFindings,
			want: `::error file=current/acme/billing/v1/invoice.proto,line=5,col=3,endLine=5,endColumn=8,title=FIELD_SAME_TYPE::Field 2 "amount" on message "Invoice" changed type from int32 to int64.
`,
		},
		{
			name:     "except removes a rule",
			args:     []string{"breaking", "current", "--against", "previous", "--except", "FIELD_SAME_TYPE", "--except", "FIELD_NO_DELETE"},
			wantCode: exitOK,
		},
		{
			name:     "BACKWARD keeps only what breaks new readers",
			args:     []string{"breaking", "current", "--against", "previous", "--use", "WIRE,WIRE_LOSSLESS", "--compatibility", "BACKWARD"},
			wantCode: exitFindings,
			want: `current/acme/billing/v1/invoice.proto:3:1:Field 3 "note" on message "Invoice" was deleted without reserving its number. (FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED)
`,
		},
		{
			name:     "FORWARD also reports the widening",
			args:     []string{"breaking", "current", "--against", "previous", "--use", "WIRE,WIRE_LOSSLESS", "--compatibility", "FORWARD"},
			wantCode: exitFindings,
			want: `current/acme/billing/v1/invoice.proto:3:1:Field 3 "note" on message "Invoice" was deleted without reserving its number. (FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED)
current/acme/billing/v1/invoice.proto:5:3:Field 2 "amount" on message "Invoice" changed type from int32 to int64: int64 values that do not fit in int32 are truncated, so readers still on the previous schema cannot read data written with the current one (FORWARD). (FIELD_WIRE_LOSSLESS_TYPE)
`,
		},
		{
			name:     "same schema is clean",
			args:     []string{"breaking", "previous", "--against", "previous"},
			wantCode: exitOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pbcheck(t, dir, nil, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if stdout != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, tt.want)
			}
		})
	}
}

func TestBreakingErrors(t *testing.T) {
	dir := pairDir(t)
	writeTree(t, dir, map[string]string{
		"broken/acme/a.proto": "syntax = \"proto3\";\npackage acme;\nmessage A {\n  int32 a = 1\n}\n",
		"broken/acme/b.proto": "syntax = \"proto3\";\npackage acme;\nimport \"missing.proto\";\n",
	})
	tests := []struct {
		name       string
		args       []string
		wantStdout []string
		wantStderr []string
	}{
		{"no against", []string{"breaking", "current"}, nil, []string{"--against is required"}},
		{"unknown rule", []string{"breaking", "current", "--against", "previous", "--use", "FIELD_SAME_TYP"}, nil, []string{`unknown breaking rule or category "FIELD_SAME_TYP"`, "did you mean FIELD_SAME_TYPE"}},
		{"unknown format", []string{"breaking", "current", "--against", "previous", "--error-format", "yaml"}, nil, []string{"github-actions"}},
		{"unknown level", []string{"breaking", "current", "--against", "previous", "--compatibility", "SIDEWAYS"}, nil, []string{"NONE, BACKWARD, FORWARD or FULL"}},
		{"missing input", []string{"breaking", "nowhere", "--against", "previous"}, nil, []string{"nowhere"}},
		{"compile errors, all of them", []string{"breaking", "broken", "--against", "previous"},
			[]string{"broken/acme/a.proto:5:1: ", "broken/acme/b.proto:3:8: "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pbcheck(t, dir, nil, tt.args...)
			if code != exitError {
				t.Errorf("exit code %d, want %d", code, exitError)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// gitIn runs the real git CLI in dir with a fixed identity, failing the
// test if it fails.
func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestBreakingAgainstGit checks a pull request the way CI does: the working
// tree against the main branch of the repository, read by go-git from a
// repository the real git CLI wrote.
func TestBreakingAgainstGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: ", err)
	}
	dir := t.TempDir()
	gitRun := func(args ...string) { t.Helper(); gitIn(t, dir, args...) }
	writeTree(t, dir, map[string]string{
		"proto/acme/billing/v1/invoice.proto": invoiceV1,
		"proto/buf.yaml":                      "version: v2\nbreaking:\n  use: [WIRE_JSON]\n",
	})
	gitRun("init", "-q", "-b", "main")
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "v1")
	writeTree(t, dir, map[string]string{"proto/acme/billing/v1/invoice.proto": invoiceV2})

	code, stdout, stderr := pbcheck(t, dir, nil, "breaking", "proto", "--against", ".git#branch=main,subdir=proto")
	if code != exitFindings {
		t.Fatalf("exit code %d, want %d; stderr: %s", code, exitFindings, stderr)
	}
	want := `proto/acme/billing/v1/invoice.proto:3:1:Field 3 "note" on message "Invoice" was deleted without reserving its name. (FIELD_NO_DELETE_UNLESS_NAME_RESERVED)
proto/acme/billing/v1/invoice.proto:3:1:Field 3 "note" on message "Invoice" was deleted without reserving its number. (FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED)
proto/acme/billing/v1/invoice.proto:5:3:Field 2 "amount" on message "Invoice" changed type from int32 to int64: readers still on the previous schema cannot read data written with the current one (FORWARD). (FIELD_WIRE_JSON_COMPATIBLE_TYPE)
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
}
