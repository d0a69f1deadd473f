package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// bufVersion is the buf release the corpus is checked against.
const bufVersion = "1.75.0"

// findBuf returns the buf binary to use as the oracle: $PBREGISTRY_BUF, else
// buf on PATH or in GOPATH/bin; the test is skipped when none is v1.75.0.
func findBuf(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("PBREGISTRY_BUF")}
	if p, err := exec.LookPath("buf"); err == nil {
		cands = append(cands, p)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		cands = append(cands, filepath.Join(strings.TrimSpace(string(out)), "bin", "buf"))
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if out, err := exec.Command(c, "--version").Output(); err == nil && strings.TrimSpace(string(out)) == bufVersion {
			return c
		}
	}
	t.Skipf("buf %s not found (set PBREGISTRY_BUF or run scripts/test, which installs it)", bufVersion)
	return ""
}

// bufFinding is the part of a buf --error-format json line the test uses.
type bufFinding struct {
	Path    string `json:"path"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// TestChangesMatchBuf checks changes.txt against buf itself: every breaking
// change is reported by buf with its expected rule in its file, and buf
// reports nothing in files that only have compatible changes.
// BENCH_GEN_FILES overrides the corpus size.
func TestChangesMatchBuf(t *testing.T) {
	buf := findBuf(t)
	files := testFiles
	if v := os.Getenv("BENCH_GEN_FILES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("BENCH_GEN_FILES=%q: %v", v, err)
		}
		files = n
	}
	dir := t.TempDir()
	if _, err := Generate(dir, Config{Files: files, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buf, "breaking", "current", "--against", "previous", "--error-format", "json")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 100 {
		t.Fatalf("buf breaking: want exit code 100 (breaking changes found), got %v\n%s", err, stderr.String())
	}
	var findings []bufFinding
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var f bufFinding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("buf output line %q: %v", sc.Text(), err)
		}
		f.Path = strings.TrimPrefix(f.Path, "current/")
		findings = append(findings, f)
	}
	changes := parseChanges(t, filepath.Join(dir, "changes.txt"))

	breakingFiles := map[string]bool{}
	for _, ch := range changes {
		if !ch.Breaking() {
			continue
		}
		breakingFiles[ch.File] = true
		found := slices.ContainsFunc(findings, func(f bufFinding) bool {
			if f.Type != ch.Rule {
				return false
			}
			if ch.Rule == "FILE_NO_DELETE" { // reported without a path
				return strings.Contains(f.Message, strconv.Quote(ch.File))
			}
			return f.Path == ch.File
		})
		if !found {
			t.Errorf("%s %s %s: buf reports no %s there", ch.Kind, ch.File, ch.Element, ch.Rule)
		}
	}
	byRule := map[string]int{}
	for _, f := range findings {
		byRule[f.Type]++
		if f.Path != "" && !breakingFiles[f.Path] {
			t.Errorf("buf reports %s in %s, which has no breaking change: %s", f.Type, f.Path, f.Message)
		}
	}
	t.Logf("%d changes, %d buf findings: %v", len(changes), len(findings), byRule)
}

// parseChanges reads changes.txt back.
func parseChanges(t *testing.T, path string) []Change {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Change
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 5 {
			t.Fatalf("changes.txt line %q: want at least 5 tab-separated columns", line)
		}
		ch := Change{Kind: cols[1], File: cols[2], Element: cols[3]}
		if cols[0] == "breaking" {
			ch.Rule = cols[4]
		}
		out = append(out, ch)
	}
	return out
}
