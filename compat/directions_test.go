package compat_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

var printTable = flag.Bool("print-directions", false, "print the directions table computed from testdata/directions")

// layer is a column group of docs/compatibility.md's table: the rules that
// guard one layer.
type layer struct {
	name string
	use  []string
}

var layers = []layer{
	{"WIRE", []string{compat.CategoryWire, compat.CategoryWireLossless}},
	{"WIRE_JSON", []string{compat.CategoryWireJSON, compat.CategoryWireJSONLossless}},
}

// directionsRow is a row of the table: a change kind and, per column, the
// rules that report it.
type directionsRow struct {
	id    string
	cells []string // WIRE B, WIRE F, WIRE_JSON B, WIRE_JSON F, source
	line  int
}

// TestDirectionsTable checks every cell of the change × layer × direction
// table in docs/compatibility.md: each row names a fixture under
// testdata/directions, each cell the rules that report the change at that
// layer and level ("—" when none does).
func TestDirectionsTable(t *testing.T) {
	rows := readDirectionsTable(t, "../docs/compatibility.md")
	fixtures, _ := filepath.Glob("../testdata/directions/*.txtar")
	if !*printTable && len(rows) != len(fixtures) {
		t.Errorf("docs/compatibility.md has %d rows, testdata/directions has %d fixtures: every fixture needs a row", len(rows), len(fixtures))
	}
	if *printTable {
		rows = rows[:0]
		for _, f := range fixtures {
			rows = append(rows, directionsRow{id: strings.TrimSuffix(filepath.Base(f), ".txtar")})
		}
	}
	for _, row := range rows {
		t.Run(row.id, func(t *testing.T) {
			prev, curr := loadTxtar(t, filepath.Join("../testdata/directions", row.id+".txtar"))
			got := computeCells(t, prev, curr)
			if *printTable {
				fmt.Printf("| %s | %s |\n", row.id, strings.Join(got, " | "))
				return
			}
			names := []string{"WIRE BACKWARD", "WIRE FORWARD", "WIRE_JSON BACKWARD", "WIRE_JSON FORWARD", "source"}
			for i := range names {
				if got[i] != row.cells[i] {
					t.Errorf("docs/compatibility.md:%d: %s: %s is %q, the engine reports %q", row.line, row.id, names[i], row.cells[i], got[i])
				}
			}
		})
	}
}

// TestFullIsBufBehaviour checks that FULL keeps every finding, and that
// BACKWARD and FORWARD each keep a subset of it.
func TestFullIsBufBehaviour(t *testing.T) {
	fixtures, _ := filepath.Glob("../testdata/directions/*.txtar")
	for _, f := range fixtures {
		prev, curr := loadTxtar(t, f)
		for _, l := range layers {
			full := ruleSet(t, prev, curr, l.use, compat.LevelFull)
			for _, level := range []compat.Level{compat.LevelBackward, compat.LevelForward} {
				for _, id := range ruleSet(t, prev, curr, l.use, level) {
					if !slices.Contains(full, id) {
						t.Errorf("%s: %s %s reports %s, which FULL does not", filepath.Base(f), l.name, level, id)
					}
				}
			}
			if none := ruleSet(t, prev, curr, l.use, compat.LevelNone); len(none) != 0 {
				t.Errorf("%s: NONE reports %v", filepath.Base(f), none)
			}
		}
	}
}

func computeCells(t *testing.T, prev, curr *image.Image) []string {
	var cells []string
	for _, l := range layers {
		for _, level := range []compat.Level{compat.LevelBackward, compat.LevelForward} {
			cells = append(cells, cell(ruleSet(t, prev, curr, l.use, level)))
		}
	}
	return append(cells, cell(ruleSet(t, prev, curr, []string{compat.CategoryFile}, compat.LevelFull)))
}

func cell(ids []string) string {
	if len(ids) == 0 {
		return "—"
	}
	return strings.Join(ids, ", ")
}

func ruleSet(t *testing.T, prev, curr *image.Image, use []string, level compat.Level) []string {
	t.Helper()
	findings, err := compat.Check(prev, curr, compat.Config{Use: use, Level: level})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.Rule)
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// readDirectionsTable parses the rows of the table in the markdown file:
// `| [id](...) | description | c1 | c2 | c3 | c4 | c5 |`.
func readDirectionsTable(t *testing.T, path string) []directionsRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []directionsRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if !strings.HasPrefix(text, "| [") {
			continue
		}
		parts := strings.Split(strings.Trim(text, "| "), " | ")
		if len(parts) != 7 {
			t.Fatalf("%s:%d: want 7 columns, got %d", path, n, len(parts))
		}
		id := parts[0][1:strings.Index(parts[0], "]")]
		var cells []string
		for _, c := range parts[2:] {
			cells = append(cells, strings.ReplaceAll(strings.TrimRight(c, " †"), "`", ""))
		}
		rows = append(rows, directionsRow{id: id, cells: cells, line: n})
	}
	return rows
}

// loadTxtar compiles the previous/ and current/ files of a txtar archive.
func loadTxtar(t *testing.T, path string) (prev, curr *image.Image) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var name string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "-- "), " --")
			continue
		}
		if name != "" {
			files[name] += line
		}
	}
	return compileSide(t, files, "previous/"), compileSide(t, files, "current/")
}

func compileSide(t *testing.T, files map[string]string, prefix string) *image.Image {
	t.Helper()
	sources := map[string]string{}
	var paths []string
	for name, content := range files {
		if rel, ok := strings.CutPrefix(name, prefix); ok {
			sources[rel] = content
			paths = append(paths, rel)
		}
	}
	sort.Strings(paths)
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: func(p string) (io.ReadCloser, error) {
				if s, ok := sources[p]; ok {
					return io.NopCloser(strings.NewReader(s)), nil
				}
				return nil, os.ErrNotExist
			},
		}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	res, err := c.Compile(context.Background(), paths...)
	if err != nil {
		t.Fatalf("compile %s: %v", prefix, err)
	}
	var out []*image.File
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor, isImport bool)
	add = func(fd protoreflect.FileDescriptor, isImport bool) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor, true)
		}
		out = append(out, &image.File{Descriptor: fd, IsImport: isImport})
	}
	for _, r := range res {
		add(r, false)
	}
	img, err := image.New(out)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
