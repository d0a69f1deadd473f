package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
)

// testFiles is the corpus size used by the tests: small enough to be quick,
// big enough that every kind of change finds a target.
const testFiles = 400

// readTree returns every regular file under dir, relative path to content.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	cfg := Config{Files: testFiles, Seed: 7}
	if _, err := Generate(a, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(b, cfg); err != nil {
		t.Fatal(err)
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("runs wrote %d and %d files", len(ta), len(tb))
	}
	for p, content := range ta {
		if !bytes.Equal(content, tb[p]) {
			t.Errorf("%s differs between two runs with the same seed", p)
		}
	}
	other := t.TempDir()
	if _, err := Generate(other, Config{Files: testFiles, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(readTree(t, other)["changes.txt"], ta["changes.txt"]) {
		t.Error("seeds 7 and 8 produced the same changes")
	}
}

// compileModule compiles every .proto file of a module directory with
// protocompile and returns the errors and warnings it reported.
func compileModule(t *testing.T, dir string) (errs, warns []string) {
	t.Helper()
	var files []string
	for p := range readTree(t, dir) {
		if strings.HasSuffix(p, ".proto") {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		t.Fatalf("%s: no .proto files", dir)
	}
	rep := reporter.NewReporter(
		func(err reporter.ErrorWithPos) error { errs = append(errs, err.Error()); return nil },
		func(err reporter.ErrorWithPos) { warns = append(warns, err.Error()) },
	)
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{dir}}),
		Reporter: rep,
	}
	if _, err := c.Compile(context.Background(), files...); err != nil && len(errs) == 0 {
		errs = append(errs, err.Error())
	}
	return errs, warns
}

func TestBothModulesCompile(t *testing.T) {
	dir := t.TempDir()
	stats, err := Generate(dir, Config{Files: testFiles, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files != testFiles {
		t.Errorf("previous has %d files, want %d", stats.Files, testFiles)
	}
	for _, mod := range []string{"previous", "current"} {
		errs, warns := compileModule(t, filepath.Join(dir, mod))
		for _, e := range errs {
			t.Errorf("%s: %s", mod, e)
		}
		for _, w := range warns {
			t.Errorf("%s: warning: %s", mod, w)
		}
	}
}

func TestEveryKindOfChangeIsApplied(t *testing.T) {
	c := Build(Config{Files: testFiles, Seed: 1})
	changes := Mutate(c, 1)
	got := map[string]int{}
	for _, ch := range changes {
		got[ch.Kind]++
		if ch.File == "" || ch.Element == "" {
			t.Errorf("change %+v lacks a file or an element", ch)
		}
	}
	for _, group := range [][]mutation{fileMutations, breakingMutations, compatibleMutations} {
		for _, m := range group {
			if got[m.kind] == 0 {
				t.Errorf("no %s change was applied", m.kind)
			}
		}
	}
}

func TestCorpusShape(t *testing.T) {
	c := Build(Config{Files: testFiles, Seed: 1})
	s := Count(c, nil)
	if s.Proto2 == 0 || s.Editions == 0 || s.Services == 0 || s.Extensions == 0 {
		t.Errorf("corpus lacks a feature: %+v", s)
	}
	for _, f := range c.Files {
		if f == c.Options {
			continue
		}
		n := 0
		for _, imp := range Imports(f) {
			if !strings.HasPrefix(imp, "google/protobuf/") {
				n++
			}
		}
		if n < 1 && f.Index > 3 || n > 8 {
			t.Errorf("%s imports %d project files, want 1 to 8", f.Path, n)
		}
		for _, imp := range Imports(f) {
			for _, g := range c.Files {
				if g.Path == imp && g.Index >= f.Index {
					t.Errorf("%s imports %s which is not earlier in the topological order", f.Path, imp)
				}
			}
		}
	}
}

// TestNoPackageImportCycle checks that neither corpus has packages importing
// each other in a cycle: buf lint's default rules forbid it (so real linted
// repositories have none), and its cycle search does not finish on a corpus
// this size that has them.
func TestNoPackageImportCycle(t *testing.T) {
	c := Build(Config{Files: testFiles, Seed: 1})
	if cycle := packageCycle(c); cycle != nil {
		t.Fatalf("previous: package import cycle %v", cycle)
	}
	Mutate(c, 1)
	if cycle := packageCycle(c); cycle != nil {
		t.Fatalf("current: package import cycle %v", cycle)
	}
}

// packageCycle returns the packages of one import cycle among c's files,
// or nil when the package import graph is acyclic.
func packageCycle(c *Corpus) []string {
	pkgOf := map[string]string{}
	for _, f := range c.Files {
		if !f.Deleted {
			pkgOf[f.Path] = f.Package
		}
	}
	edges := map[string]map[string]bool{}
	for _, f := range c.Files {
		if f.Deleted {
			continue
		}
		for _, imp := range Imports(f) {
			if p, ok := pkgOf[imp]; ok && p != f.Package {
				if edges[f.Package] == nil {
					edges[f.Package] = map[string]bool{}
				}
				edges[f.Package][p] = true
			}
		}
	}
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(p string) []string
	visit = func(p string) []string {
		state[p] = onPath
		path = append(path, p)
		for q := range edges[p] {
			switch state[q] {
			case onPath:
				i := slices.Index(path, q)
				return append(slices.Clone(path[i:]), q)
			case unvisited:
				if cycle := visit(q); cycle != nil {
					return cycle
				}
			}
		}
		path = path[:len(path)-1]
		state[p] = done
		return nil
	}
	for p := range edges {
		if state[p] == unvisited {
			if cycle := visit(p); cycle != nil {
				return cycle
			}
		}
	}
	return nil
}
