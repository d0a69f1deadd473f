package compat_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
)

// TestParity checks, for every fixture of testdata/breaking, that compat
// reports the same findings as buf breaking: same path, start and end line
// and column, and rule ID (messages are worded differently on purpose).
//
// buf is the binary PBREGISTRY_BUF names; without it the test is skipped,
// except under CI, where it fails. A fixture whose README has the line
// "flags: --exclude-imports" runs buf with that flag and compat with
// Config.ExcludeImports.
func TestParity(t *testing.T) {
	buf := bufBinary(t)
	home := t.TempDir() // buf's cache, kept away from the user's
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			if reason := f.skipsParity(); reason != "" {
				t.Skip("parity: skip " + reason)
			}
			t.Parallel()
			want := runBuf(t, buf, home, f)
			var got []string
			for _, finding := range f.check(t) {
				got = append(got, parityKey(finding.Location)+":"+finding.Rule)
			}
			slices.Sort(got)
			if onlyOurs, onlyBufs := difference(got, want), difference(want, got); len(onlyOurs)+len(onlyBufs) > 0 {
				t.Errorf("findings differ from buf's\n--- only compat\n%s\n--- only buf\n%s",
					strings.Join(onlyOurs, "\n"), strings.Join(onlyBufs, "\n"))
			}
		})
	}
}

// TestParityCatalog checks that compat's catalog has buf's rules, with the
// same categories, default flag, deprecation and replacements, in every
// configuration version; pbregistry's own LOSSLESS rules are the only
// extra ones.
func TestParityCatalog(t *testing.T) {
	buf := bufBinary(t)
	for _, version := range []string{"v1beta1", "v1", "v2"} {
		out, err := exec.Command(buf, "config", "ls-breaking-rules", "--version", version, "--include-deprecated", "--format", "json").Output()
		if err != nil {
			t.Fatalf("buf config ls-breaking-rules --version %s: %v", version, err)
		}
		type bufRule struct {
			ID           string   `json:"id"`
			Categories   []string `json:"categories"`
			Default      bool     `json:"default"`
			Deprecated   bool     `json:"deprecated"`
			Replacements []string `json:"replacements"`
		}
		bufRules := make(map[string]bufRule)
		for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
			var r bufRule
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatalf("buf rule %q: %v", line, err)
			}
			bufRules[r.ID] = r
		}
		sorted := func(ss []string) []string {
			ss = slices.Clone(ss)
			slices.Sort(ss)
			return ss
		}
		for _, r := range compat.Rules(version) {
			b, ok := bufRules[r.ID]
			delete(bufRules, r.ID)
			switch {
			case !ok && (slices.Contains(r.Categories, compat.CategoryWireLossless) || slices.Contains(r.Categories, compat.CategoryWireJSONLossless)):
			case !ok:
				t.Errorf("%s: compat has %s, buf does not", version, r.ID)
			case !slices.Equal(sorted(r.Categories), sorted(b.Categories)) || r.Default != b.Default || r.Deprecated != b.Deprecated ||
				!slices.Equal(sorted(r.Replacements), sorted(b.Replacements)):
				t.Errorf("%s %s: compat categories %v default %t deprecated %t replacements %v; buf %v %t %t %v", version, r.ID,
					r.Categories, r.Default, r.Deprecated, r.Replacements, b.Categories, b.Default, b.Deprecated, b.Replacements)
			}
		}
		for id := range bufRules {
			t.Errorf("%s: buf has %s, compat does not", version, id)
		}
	}
}

// bufBinary returns the buf binary PBREGISTRY_BUF names, or skips the test
// (fails it under CI) when it is not set.
func bufBinary(t *testing.T) string {
	t.Helper()
	buf := os.Getenv("PBREGISTRY_BUF")
	if buf == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PBREGISTRY_BUF is not set: CI must run the parity tests against buf")
		}
		t.Skip("PBREGISTRY_BUF is not set; set it to a buf v1.75.0 binary to run the parity tests")
	}
	return buf
}

// parityKey is what parity compares: path, span and rule.
func parityKey(loc compat.Location) string {
	return fmt.Sprintf("%s:%d:%d:%d:%d", loc.Path, loc.StartLine, loc.StartColumn, loc.EndLine, loc.EndColumn)
}

// bufFinding is one line of buf's --error-format json.
type bufFinding struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line"`
	StartColumn int    `json:"start_column"`
	EndLine     int    `json:"end_line"`
	EndColumn   int    `json:"end_column"`
	Type        string `json:"type"`
}

// runBuf runs buf breaking on a fixture and returns its findings' keys,
// sorted.
func runBuf(t *testing.T, buf, home string, f fixture) []string {
	t.Helper()
	current, err := filepath.Abs(f.current())
	if err != nil {
		t.Fatal(err)
	}
	previous, err := filepath.Abs(f.previous())
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"breaking", ".", "--against", previous, "--error-format", "json"}
	if f.excludeImports() {
		args = append(args, "--exclude-imports")
	}
	cmd := exec.Command(buf, args...)
	cmd.Dir = current
	cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+filepath.Join(home, "cache"), "HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	// buf exits 100 when it reports findings.
	if exit := (*exec.ExitError)(nil); err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 100) {
		t.Fatalf("buf breaking: %v\n%s", err, stderr.String())
	}
	var keys []string
	scanner := bufio.NewScanner(&stdout)
	for scanner.Scan() {
		line := bytes.TrimSpace(scanner.Bytes())
		if len(line) == 0 {
			continue
		}
		var bf bufFinding
		if err := json.Unmarshal(line, &bf); err != nil {
			t.Fatalf("buf output %q: %v", line, err)
		}
		loc := compat.Location{Path: bf.Path, StartLine: bf.StartLine, StartColumn: bf.StartColumn, EndLine: bf.EndLine, EndColumn: bf.EndColumn}
		if bf.Path == "" {
			loc = compat.Location{} // buf prints 1:1:1:1 for findings without a file
		}
		keys = append(keys, parityKey(loc)+":"+bf.Type)
	}
	slices.Sort(keys)
	return keys
}

// difference returns the keys of a (sorted) not matched in b (sorted), as a
// multiset difference.
func difference(a, b []string) []string {
	var out []string
	j := 0
	for _, k := range a {
		for j < len(b) && b[j] < k {
			j++
		}
		if j < len(b) && b[j] == k {
			j++
			continue
		}
		out = append(out, k)
	}
	return out
}
