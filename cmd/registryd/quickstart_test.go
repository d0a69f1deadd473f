package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// quickstartStep is a command of README's quickstart and the output it
// shows.
type quickstartStep struct {
	command string
	want    []string
}

// readQuickstart returns the steps of the console block between
// <!-- quickstart:begin --> and <!-- quickstart:end --> in readme.
func readQuickstart(t *testing.T, readme string) []quickstartStep {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(data), "<!-- quickstart:begin -->")
	block, _, ok2 := strings.Cut(block, "<!-- quickstart:end -->")
	if !ok || !ok2 {
		t.Fatalf("%s has no quickstart block", readme)
	}
	var steps []quickstartStep
	for _, line := range strings.Split(block, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
		case strings.HasPrefix(line, "$ "):
			steps = append(steps, quickstartStep{command: strings.TrimPrefix(line, "$ ")})
		case len(steps) > 0 && line != "":
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, line)
		}
	}
	return steps
}

// linePattern turns a shown output line into a regexp, "…" matching
// anything.
func linePattern(line string) *regexp.Regexp {
	parts := strings.Split(line, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// TestQuickstart runs README's quickstart as written, against a registryd
// started as README says (go run ./cmd/registryd is this binary, with a
// data directory of its own and a free port): `pbcheck` is the built
// pbcheck (so `go install ./cmd/pbcheck` is skipped, and exit codes are
// the binary's own, not `go run`'s), localhost:8080 the server's address, /tmp/ a
// temporary directory. Each command's output must show the lines README
// shows, in order. Commands of tools that are not installed (grpcurl and
// buf, unless PBREGISTRY_GRPCURL and PBREGISTRY_BUF name them, as
// scripts/test does) are skipped.
func TestQuickstart(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	steps := readQuickstart(t, filepath.Join(root, "README.md"))
	if len(steps) < 5 {
		t.Fatalf("the quickstart has %d commands", len(steps))
	}
	p := startRegistryd(t, nil, "--data-dir", t.TempDir())
	tmp := t.TempDir()
	addr := strings.TrimPrefix(p.url, "http://")
	tools := map[string]string{}
	for _, tool := range []string{"grpcurl", "buf", "curl", "sed", "cp"} {
		if path, err := exec.LookPath(tool); err == nil {
			tools[tool] = path
		}
	}
	if b := os.Getenv("PBREGISTRY_BUF"); b != "" {
		tools["buf"] = b
	}
	if g := os.Getenv("PBREGISTRY_GRPCURL"); g != "" {
		tools["grpcurl"] = g
	}
	var exports []string
	for _, step := range steps {
		cmd := strings.ReplaceAll(step.command, "/tmp/", tmp+"/")
		cmd = strings.ReplaceAll(cmd, "localhost:8080", addr)
		tool, _, _ := strings.Cut(cmd, " ")
		if cmd == "go install ./cmd/pbcheck" {
			continue // pbcheckBin is that binary
		}
		if tool == "pbcheck" {
			cmd = pbcheckBin + strings.TrimPrefix(cmd, tool)
		}
		if tool == "export" {
			exports = append(exports, cmd)
			continue
		}
		if tool == "grpcurl" || tool == "buf" || tool == "curl" {
			path, ok := tools[tool]
			if !ok {
				t.Logf("skipping (%s is not installed): %s", tool, step.command)
				continue
			}
			cmd = path + strings.TrimPrefix(cmd, tool)
		}
		script := strings.Join(append(exports, cmd), "\n")
		c := exec.Command("bash", "-c", script)
		c.Dir = root
		out, _ := c.CombinedOutput()
		got := strings.Split(strings.ReplaceAll(string(out), tmp+"/", "/tmp/"), "\n")
		i := 0
		for _, want := range step.want {
			re := linePattern(want)
			for i < len(got) && !re.MatchString(got[i]) {
				i++
			}
			if i == len(got) {
				t.Errorf("$ %s\n%s\nREADME shows the line:\n%s", step.command, out, want)
				break
			}
			i++
		}
	}
}
