package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readConsole returns the steps of the console block between
// <!-- name:begin --> and <!-- name:end --> in the file at path: each
// `$ command` with the output lines shown under it.
func readConsole(t *testing.T, path, name string) []quickstartStep {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(data), "<!-- "+name+":begin -->")
	block, _, ok2 := strings.Cut(block, "<!-- "+name+":end -->")
	if !ok || !ok2 {
		t.Fatalf("%s has no %s block", path, name)
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

// TestFindingsDoc runs the console block of docs/findings.md against a
// registryd with the doc's configuration (a server-wide policy), with the
// built pbcheck, a free port for localhost:8080 and a temporary directory
// for /tmp/: every output line the doc shows must be printed, in order,
// so that the doc's findings are the binaries' findings word for word.
func TestFindingsDoc(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	steps := readConsole(t, filepath.Join(root, "docs", "findings.md"), "findings")
	if len(steps) < 10 {
		t.Fatalf("docs/findings.md shows %d commands", len(steps))
	}
	p := startRegistryd(t, nil, "--data-dir", t.TempDir(), "--config", filepath.Join(root, "testdata", "registry", "findings-registryd.yaml"))
	tmp := t.TempDir()
	addr := strings.TrimPrefix(p.url, "http://")
	var exports []string
	for _, step := range steps {
		cmd := strings.ReplaceAll(step.command, "/tmp/", tmp+"/")
		cmd = strings.ReplaceAll(cmd, "localhost:8080", addr)
		tool, _, _ := strings.Cut(cmd, " ")
		switch tool {
		case "export":
			exports = append(exports, cmd)
			continue
		case "pbcheck":
			cmd = pbcheckBin + strings.TrimPrefix(cmd, tool)
		}
		c := exec.Command("bash", "-c", strings.Join(append(exports, cmd), "\n"))
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
				t.Errorf("$ %s\n%s\ndocs/findings.md shows the line:\n%s", step.command, out, want)
				break
			}
			i++
		}
	}
}
