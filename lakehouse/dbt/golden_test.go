package dbt_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// shopProject returns the project of testdata/shop/v2 over v1.
func shopProject(t testing.TB, d dbt.Dialect) *dbt.Project {
	t.Helper()
	load := func(dir string) *input.Input {
		in, err := input.Load(context.Background(), filepath.Join("testdata", "shop", dir), input.Options{})
		if err != nil {
			t.Fatalf("loading %s: %v", dir, err)
		}
		return in
	}
	v1, v2 := load("v1"), load("v2")
	p, err := dbt.NewProject(v2.Config, image.NewIndex(v2.Image), []*image.Index{image.NewIndex(v1.Image)}, d, dbt.ModuleOptions{Version: "2"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGolden compares every generated file of every dialect with
// testdata/golden/<dialect>/; run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, d := range dbt.Dialects {
		t.Run(string(d), func(t *testing.T) {
			files, err := dbt.Generate(*shopProject(t, d))
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "golden", string(d))
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
			}
			var want []string
			for _, f := range files {
				want = append(want, f.Path)
				path := filepath.Join(dir, filepath.FromSlash(f.Path))
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				golden, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create the golden files)", err)
				}
				if !bytes.Equal(golden, f.Data) {
					t.Errorf("%s differs from its golden file (go test -update rewrites it):\n%s", f.Path, f.Data)
				}
			}
			var have []string
			_ = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					have = append(have, filepath.ToSlash(rel))
				}
				return nil
			})
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Errorf("golden files %v, generated %v", have, want)
			}
		})
	}
}

// TestDeterministic generates twice, the second time with the models in
// reverse order, and wants the same bytes.
func TestDeterministic(t *testing.T) {
	for _, d := range dbt.Dialects {
		p := shopProject(t, d)
		a, err := dbt.Generate(*p)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(p.Models)
		b, err := dbt.Generate(*p)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d files, then %d", d, len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two runs", d, a[i].Path)
			}
		}
	}
}
