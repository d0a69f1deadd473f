package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The Edition 2024 corpus of testdata/editions (see its README): a module
// before and after breaking changes at every level, in Edition 2024 and
// in an Edition 2023 copy, with images built by buf v1.75.0.
const editionsDir = "../../testdata/editions"

// editionsAbs returns the absolute path of the corpus directory of an
// edition ("2023" or "2024").
func editionsAbs(t *testing.T, edition string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(editionsDir, edition))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// gunzip returns the decompressed content of the gzip file p.
func gunzip(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return data
}

// TestEditionImagesFresh rebuilds the corpus images with buf (the binary
// PBREGISTRY_BUF names) and fails when a committed image differs from
// what buf builds from the sources beside it. With
// PBREGISTRY_UPDATE_EDITIONS=1 it writes the images instead:
//
//	PBREGISTRY_BUF=$(go env GOPATH)/bin/buf PBREGISTRY_UPDATE_EDITIONS=1 go test ./cmd/pbcheck -run TestEditionImagesFresh
func TestEditionImagesFresh(t *testing.T) {
	buf := bufOracle(t)
	if buf == "" {
		t.Skip("PBREGISTRY_BUF is not set: cannot rebuild the images")
	}
	update := os.Getenv("PBREGISTRY_UPDATE_EDITIONS") == "1"
	for _, edition := range []string{"2023", "2024"} {
		for _, side := range []string{"before", "after"} {
			t.Run(edition+"/"+side, func(t *testing.T) {
				dir := editionsAbs(t, edition)
				committed := filepath.Join(dir, side+".binpb.gz")
				built := filepath.Join(t.TempDir(), side+".binpb.gz")
				out := filepath.Join(dir, side)
				cmd := exec.Command(buf, "build", out, "-o", built)
				cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+t.TempDir())
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("buf build %s: %v\n%s", out, err, msg)
				}
				if update {
					data, err := os.ReadFile(built)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(committed, data, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if !bytes.Equal(gunzip(t, built), gunzip(t, committed)) {
					t.Errorf("%s is stale: buf builds another image from %s; rebuild it with PBREGISTRY_UPDATE_EDITIONS=1 (see the test's comment)", committed, out)
				}
			})
		}
	}
}

// spanFindings reduces --error-format json output, pbcheck's or buf's, to
// sorted "path:start_line:start_column:end_line:end_column:RULE" lines.
func spanFindings(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var f struct {
			Path        string `json:"path"`
			StartLine   int    `json:"start_line"`
			StartColumn int    `json:"start_column"`
			EndLine     int    `json:"end_line"`
			EndColumn   int    `json:"end_column"`
			Type        string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("output line %q is not a JSON finding: %v", sc.Text(), err)
		}
		lines = append(lines, fmt.Sprintf("%s:%d:%d:%d:%d:%s", f.Path, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.Type))
	}
	slices.Sort(lines)
	return lines
}

// editionFindings are the findings of after against before for each
// category, the same for both editions except where the 2024 feature
// defaults differ: Invoice.id, a C++ string view by default in 2024,
// changes its string type when it becomes an explicit STRING, which is
// 2023's default.
func editionFindings(edition, category string) []string {
	const inv = "acme/billing/v1/invoice.proto:"
	var out []string
	switch category {
	case "FILE", "PACKAGE":
		out = []string{
			inv + "12:FIELD_NO_DELETE", inv + "15:FIELD_SAME_TYPE", inv + "16:FIELD_SAME_CPP_STRING_TYPE",
			inv + "16:FIELD_SAME_JSON_NAME", inv + "16:FIELD_SAME_NAME", inv + "22:FIELD_SAME_TYPE",
			inv + "29:ENUM_SAME_TYPE", "acme/options/v1/options.proto:10:FIELD_SAME_CARDINALITY",
		}
		if category == "FILE" {
			out = append(out, inv+"1:MESSAGE_NO_DELETE") // Scratch moved to scratch.proto
		}
		if edition == "2024" {
			out = append(out, inv+"14:FIELD_SAME_CPP_STRING_TYPE")
		}
	case "WIRE_JSON":
		out = []string{
			inv + "12:FIELD_NO_DELETE_UNLESS_NAME_RESERVED", inv + "12:FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
			inv + "15:FIELD_WIRE_JSON_COMPATIBLE_TYPE", inv + "16:FIELD_SAME_JSON_NAME", inv + "16:FIELD_SAME_NAME",
			inv + "22:FIELD_WIRE_JSON_COMPATIBLE_TYPE",
		}
	case "WIRE":
		out = []string{inv + "12:FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"}
	}
	slices.Sort(out)
	return out
}

// categories are the breaking categories the corpus is checked with.
var categories = []string{"FILE", "PACKAGE", "WIRE_JSON", "WIRE"}

// categoryConfig returns an inline buf.yaml using one category.
func categoryConfig(category string) string {
	return fmt.Sprintf(`{"version":"v2","breaking":{"use":[%q]}}`, category)
}

// TestEditionsBreakingImages runs pbcheck breaking on the corpus images,
// Edition 2024 and 2023, for each category, and checks the findings; buf
// breaking on the same images, when PBREGISTRY_BUF names buf, must
// report the same rules at the same spans.
func TestEditionsBreakingImages(t *testing.T) {
	buf := bufOracle(t)
	for _, edition := range []string{"2024", "2023"} {
		for _, category := range categories {
			t.Run(edition+"/"+category, func(t *testing.T) {
				dir := editionsAbs(t, edition)
				args := []string{"breaking", "after.binpb.gz", "--against", "before.binpb.gz", "--config", categoryConfig(category), "--error-format", "json"}
				code, stdout, stderr := pbcheck(t, dir, nil, args...)
				if code != exitFindings {
					t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFindings, stdout, stderr)
				}
				if got, want := jsonFindings(t, stdout), editionFindings(edition, category); !slices.Equal(got, want) {
					t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if buf == "" {
					return
				}
				cmd := exec.Command(buf, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+t.TempDir())
				var out, errOut bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errOut
				var ee *exec.ExitError
				if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
					t.Fatalf("buf breaking: %v\n%s", err, errOut.String())
				}
				if got, want := spanFindings(t, stdout), spanFindings(t, out.String()); !slices.Equal(got, want) {
					t.Errorf("pbcheck:\n%s\nbuf:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
}

// TestEdition2024Sources: the Edition 2024 sources, checked as
// directories by pbcheck breaking and pbcheck lint, get one error per
// file, at its edition declaration, saying to pass an image; as COMPILE
// findings in the JSON format.
//
// When a protocompile release that parses Edition 2024 is served and
// required, this test is the one to flip: the sources then give the
// findings of TestEditionsBreakingImages (see testdata/editions/README.md).
func TestEdition2024Sources(t *testing.T) {
	dir := editionsAbs(t, "2024")
	const msg = `edition "2024" cannot be compiled here: the built-in compiler (protocompile v0.14.1) parses editions up to 2023; build an image with ` +
		"`buf build -o image.binpb` or `protoc` ≥ v32 `--include_imports --include_source_info --descriptor_set_out=image.binpb` and pass the image instead"
	files := []string{"acme/billing/v1/invoice.proto", "acme/billing/v1/scratch.proto", "acme/options/v1/options.proto"}
	var want strings.Builder
	for _, f := range files {
		fmt.Fprintf(&want, "after/%s:1:1: %s\n", f, msg)
	}
	for _, args := range [][]string{
		{"breaking", "after", "--against", "before.binpb.gz"},
		{"lint", "after"},
	} {
		code, stdout, stderr := pbcheck(t, dir, nil, args...)
		if code != exitError || stdout != want.String() || stderr != "" {
			t.Errorf("pbcheck %s: exit %d\nstdout:\n%s\nstderr: %s\nwant exit %d, stdout:\n%s", strings.Join(args, " "), code, stdout, stderr, exitError, want.String())
		}
	}
	code, stdout, _ := pbcheck(t, dir, nil, "breaking", "after", "--against", "before.binpb.gz", "--error-format", "json")
	var wantJSON []string
	for _, f := range files {
		wantJSON = append(wantJSON, "after/"+f+":1:COMPILE")
	}
	if got := jsonFindings(t, stdout); code != exitError || !slices.Equal(got, wantJSON) {
		t.Errorf("json: exit %d, findings %v, want %v", code, got, wantJSON)
	}
}

// editionsLintConfig makes Invoice an event, so the built-in event
// policies apply.
const editionsLintConfig = `{"version":"v1","module":"acme/billing","subjects":[{"message":"acme.billing.v1.Invoice","kind":"event"}]}`

// TestEdition2023SourceAndImage: the Edition 2023 copy gives the same
// output, byte for byte, checked from its sources with the built-in
// compiler and from the images buf built of them, for pbcheck breaking
// in every category and for pbcheck lint.
func TestEdition2023SourceAndImage(t *testing.T) {
	dir := filepath.Join(editionsAbs(t, "2023"), "after")
	type run struct {
		name          string
		source, image []string
	}
	var runs []run
	for _, category := range categories {
		runs = append(runs, run{category,
			[]string{"breaking", ".", "--against", "../before", "--config", categoryConfig(category), "--error-format", "json"},
			[]string{"breaking", "../after.binpb.gz", "--against", "../before.binpb.gz", "--config", categoryConfig(category), "--error-format", "json"},
		})
	}
	runs = append(runs, run{"lint",
		[]string{"lint", ".", "--config", editionsLintConfig},
		[]string{"lint", "../after.binpb.gz", "--config", editionsLintConfig},
	})
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			srcCode, srcOut, srcErr := pbcheck(t, dir, nil, r.source...)
			imgCode, imgOut, imgErr := pbcheck(t, dir, nil, r.image...)
			if srcCode != exitFindings || srcOut == "" {
				t.Fatalf("sources: exit %d, want findings\nstdout: %s\nstderr: %s", srcCode, srcOut, srcErr)
			}
			if imgCode != srcCode || imgOut != srcOut {
				t.Errorf("image: exit %d\n%s%s\nsources: exit %d\n%s", imgCode, imgOut, imgErr, srcCode, srcOut)
			}
		})
	}
}

// TestEdition2024Lint runs pbcheck lint on the Edition 2024 image: the
// policies see Invoice, an exported message, as they do in the 2023 copy,
// located where buf's source info puts it (after "export").
func TestEdition2024Lint(t *testing.T) {
	dir := editionsAbs(t, "2024")
	code, stdout, stderr := pbcheck(t, dir, nil, "lint", "after.binpb.gz", "--config", editionsLintConfig)
	want := "acme/billing/v1/invoice.proto:12:8:event acme.billing.v1.Invoice has no string field event_id: add one to identify each event. (EVENT_ID_FIELD)\n" +
		"acme/billing/v1/invoice.proto:12:8:event acme.billing.v1.Invoice has no google.protobuf.Timestamp field occurred_at: add one saying when the event occurred. (EVENT_OCCURRED_AT)\n"
	if code != exitFindings || stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d, stdout:\n%s", code, stdout, stderr, exitFindings, want)
	}
}
