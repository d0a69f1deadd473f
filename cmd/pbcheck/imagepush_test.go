package main

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// copyTree copies the directory src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editionModule returns a module directory holding a corpus side's
// sources ("2024", "before") and a pbregistry.yaml for module with the
// breaking: rules of category.
func editionModule(t *testing.T, edition, side, module, category string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join(editionsAbs(t, edition), side), dir)
	writeTree(t, dir, map[string]string{"pbregistry.yaml": "version: v1\nmodule: " + module + "\nbreaking:\n  use: [" + category + "]\n"})
	return dir
}

// editionImagePath returns the image of a corpus side: built by buf into
// a temporary file when buf is given, the committed one otherwise.
func editionImagePath(t *testing.T, buf, edition, side string) string {
	t.Helper()
	if buf == "" {
		return filepath.Join(editionsAbs(t, edition), side+".binpb.gz")
	}
	out := filepath.Join(t.TempDir(), side+".binpb")
	cmd := exec.Command(buf, "build", filepath.Join(editionsAbs(t, edition), side), "-o", out)
	cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+t.TempDir())
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buf build: %v\n%s", err, msg)
	}
	return out
}

// rejectionLine is a line of a refused push's text output:
// `path:line:col: message (RULE + RULE…, level)`.
var rejectionLine = regexp.MustCompile(`^(\S+):(\d+):(\d+): .*\(([A-Z][A-Z0-9_]*(?: \+ [A-Z][A-Z0-9_]*)*), [^()]*\)$`)

// rejectionFindings reduces the text output of a refused push to sorted
// "path:line:col:RULE" lines, one per rule of each finding (a rename
// breaks FIELD_SAME_NAME + FIELD_SAME_JSON_NAME: one finding, two rules).
func rejectionFindings(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		m := rejectionLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		for _, rule := range strings.Split(m[4], " + ") {
			lines = append(lines, strings.Join([]string{m[1], m[2], m[3], rule}, ":"))
		}
	}
	if len(lines) == 0 {
		t.Fatalf("no finding in the output:\n%s", out)
	}
	slices.Sort(lines)
	return lines
}

// lineRules reduces "path:line:col:RULE" lines to sorted "path:line:RULE".
func lineRules(findings []string) []string {
	out := make([]string, len(findings))
	for i, f := range findings {
		parts := strings.Split(f, ":")
		out[i] = parts[0] + ":" + parts[1] + ":" + parts[3]
	}
	slices.Sort(out)
	return out
}

// TestImagePushMatchesBuf pushes the Edition 2024 corpus as images that
// buf builds (import option, export/local visibility, 2024 feature
// defaults) to a registry served over HTTP with `pbcheck push --image`:
// version 1, the same image again (the same version), then the breaking
// version 2, which the registry rejects with the findings buf breaking
// reports on the same two images with the same rules — WIRE, WIRE_JSON
// and FILE, set in pbregistry.yaml — at the same spans.
func TestImagePushMatchesBuf(t *testing.T) {
	buf := bufOracle(t)
	t.Setenv(envRegistryURL, startRegistry(t))
	before, after := editionImagePath(t, buf, "2024", "before"), editionImagePath(t, buf, "2024", "after")
	for _, category := range []string{"WIRE", "WIRE_JSON", "FILE"} {
		t.Run(category, func(t *testing.T) {
			module := "acme/" + strings.ToLower(strings.ReplaceAll(category, "_", "-"))
			v1 := editionModule(t, "2024", "before", module, category)
			checkRun(t, v1, []string{"push", "--image", before}, exitOK, []string{module + ": version 1 created"}, nil)
			checkRun(t, v1, []string{"push", "--image", before}, exitOK, []string{module + ": version 1 already holds this content"}, nil)

			v2 := editionModule(t, "2024", "after", module, category)
			code, stdout, stderr := pbcheck(t, v2, nil, "push", "--image", after)
			if code != exitFindings {
				t.Fatalf("push v2: exit %d, want %d\n%s%s", code, exitFindings, stdout, stderr)
			}
			got := rejectionFindings(t, stdout)
			if want := editionFindings("2024", category); !slices.Equal(lineRules(got), want) {
				t.Errorf("registry findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if buf == "" {
				return
			}
			cmd := exec.Command(buf, "breaking", after, "--against", before, "--config", categoryConfig(category), "--error-format", "json")
			cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+t.TempDir())
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			var ee *exec.ExitError
			if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
				t.Fatalf("buf breaking: %v\n%s", err, errOut.String())
			}
			// One finding per change: a rename is FIELD_SAME_NAME +
			// FIELD_SAME_JSON_NAME, located where the first rule is; buf
			// reports each rule at its own span. Every rule is at buf's
			// line, and each finding at the span buf gives its rule.
			bufSpans := spanFindings(t, out.String())
			var want []string
			for _, f := range bufSpans {
				parts := strings.Split(f, ":") // path:line:col:end_line:end_col:RULE
				want = append(want, parts[0]+":"+parts[1]+":"+parts[5])
			}
			slices.Sort(want)
			if got := lineRules(got); !slices.Equal(got, want) {
				t.Errorf("registry:\n%s\nbuf breaking:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			_, jsonOut, _ := pbcheck(t, v2, nil, "push", "--image", after, "--error-format", "json")
			for _, f := range spanFindings(t, jsonOut) {
				if !slices.Contains(bufSpans, f) {
					t.Errorf("registry finding %s: buf breaking reports no such span:\n%s", f, strings.Join(bufSpans, "\n"))
				}
			}
		})
	}
}

// TestImagePushCLI: `pbcheck push --image` reads the image from standard
// input with "-", compressed or not; `pbcheck breaking <image>
// --against-registry` gives the verdict the push would get; --sources=false pushes the image
// without the .proto files, and `registry get --out` then writes the
// version's descriptor set as image.binpb, which pbcheck reads back as
// the same schema; a broken image is refused before anything is sent,
// naming it.
func TestImagePushCLI(t *testing.T) {
	t.Setenv(envRegistryURL, startRegistry(t))
	gzImage := filepath.Join(editionsAbs(t, "2024"), "before.binpb.gz")
	raw := gunzip(t, gzImage)

	dir := editionModule(t, "2024", "before", "acme/stdin", "FILE")
	code, stdout, stderr := pbcheck(t, dir, raw, "push", "--image", "-")
	if code != exitOK || !strings.Contains(stdout, "acme/stdin: version 1 created") {
		t.Fatalf("push --image -: exit %d\n%s%s", code, stdout, stderr)
	}
	zipped, err := os.ReadFile(gzImage)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = pbcheck(t, dir, zipped, "push", "--image", "-")
	if code != exitOK || !strings.Contains(stdout, "acme/stdin: version 1 already holds this content") {
		t.Errorf("push --image - (gzip): exit %d\n%s%s", code, stdout, stderr)
	}

	// pbcheck breaking --against-registry takes an image too: the dry run
	// of the push.
	checkRun(t, dir, []string{"breaking", gzImage, "--against-registry"}, exitOK, []string{"holds this content already as version 1"}, nil)
	afterDir := editionModule(t, "2024", "after", "acme/stdin", "FILE")
	afterImage := filepath.Join(editionsAbs(t, "2024"), "after.binpb.gz")
	checkRun(t, afterDir, []string{"breaking", afterImage, "--against-registry"}, exitFindings,
		[]string{"acme/billing/v1/invoice.proto:1:1:", "(MESSAGE_NO_DELETE)", "acme/options/v1/options.proto:10:3:"}, nil)

	// Without sources: only the configuration is sent, and get --out
	// writes the image.
	bare := t.TempDir()
	writeTree(t, bare, map[string]string{"pbregistry.yaml": "version: v1\nmodule: acme/bare\n"})
	checkRun(t, bare, []string{"push", "--image", gzImage, "--sources=false"}, exitOK, []string{"acme/bare: version 1 created"}, nil)
	out := filepath.Join(t.TempDir(), "out")
	checkRun(t, bare, []string{"registry", "get", "acme/bare", "--out", out}, exitOK,
		[]string{"pushed as an image without its .proto sources", "wrote     image.binpb", "wrote     pbregistry.yaml"}, nil)
	if _, err := os.Stat(filepath.Join(out, "acme")); err == nil {
		t.Errorf("get --out wrote .proto files for a push without sources")
	}
	checkRun(t, out, []string{"breaking", "image.binpb", "--against", gzImage}, exitOK, nil, nil)
	checkRun(t, out, []string{"lint", "image.binpb"}, exitOK, nil, nil)

	// A source push of the module reads the .proto files, which the
	// built-in compiler cannot parse: the error says to pass an image.
	checkRun(t, dir, []string{"push"}, exitError, []string{`edition "2024" cannot be compiled here`, "pass the image instead"}, nil)

	// Broken images are refused locally, naming the image.
	garbage := filepath.Join(t.TempDir(), "garbage.binpb")
	if err := os.WriteFile(garbage, []byte("\xff\xff not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkRun(t, dir, []string{"push", "--image", garbage}, exitError, []string{"image " + garbage, "not a serialized FileDescriptorSet"}, nil)
	checkRun(t, dir, []string{"push", "--sources=false"}, exitError, []string{"--sources=false applies to --image only"}, nil)
}

// TestImagePushGenerators: for a module pushed as an Edition 2024 image
// with a pbtable subject, the registry's pbtable DDL and dbt project
// (generated from the stored image) equal, byte for byte, what pbcheck
// pbtable ddl and pbcheck dbt write offline from the same image.
func TestImagePushGenerators(t *testing.T) {
	url := startRegistry(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join(editionsAbs(t, "2024"), "before"), dir)
	writeTree(t, dir, map[string]string{"pbregistry.yaml": "version: v1\nmodule: acme/gen\nsubjects:\n" +
		"  - message: acme.billing.v1.Invoice\n    kind: pbtable\n    primary_key: [id]\n"})
	img := filepath.Join(editionsAbs(t, "2024"), "before.binpb.gz")
	checkRun(t, dir, []string{"push", "--registry", url, "--image", img}, exitOK, []string{"acme/gen: version 1 created"}, nil)

	code, remote, stderr := pbcheck(t, dir, nil, "pbtable", "ddl", "--registry", url, "acme/gen@1")
	if code != exitOK {
		t.Fatalf("pbtable ddl --registry: exit %d\n%s", code, stderr)
	}
	code, local, stderr := pbcheck(t, dir, nil, "pbtable", "ddl", img)
	if code != exitOK || local != remote || !strings.Contains(local, "acme.billing.v1.Invoice") {
		t.Errorf("pbtable ddl of the image (exit %d, %s) differs from the registry's:\n%s\nregistry:\n%s", code, stderr, local, remote)
	}

	remoteDir, localDir := filepath.Join(t.TempDir(), "remote"), filepath.Join(t.TempDir(), "local")
	checkRun(t, dir, []string{"dbt", "--registry", url, "acme/gen@1", "--dialect", "duckdb", "--out", remoteDir}, exitOK, nil, nil)
	checkRun(t, dir, []string{"dbt", img, "--dialect", "duckdb", "--out", localDir, "--module-version", "1"}, exitOK, nil, nil)
	remoteFiles, localFiles := readTree(t, remoteDir), readTree(t, localDir)
	if len(localFiles) == 0 || !maps.Equal(remoteFiles, localFiles) {
		t.Errorf("dbt project of the image differs from the registry's:\nlocal %v\nregistry %v", slices.Sorted(maps.Keys(localFiles)), slices.Sorted(maps.Keys(remoteFiles)))
	}
}
