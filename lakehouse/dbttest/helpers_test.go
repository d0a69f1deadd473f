package dbttest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// shopFiles returns the generated project of ../dbt/testdata/shop/v2 over
// v1 for dialect d.
func shopFiles(t testing.TB, d dbt.Dialect) []dbt.File {
	t.Helper()
	load := func(dir string) *input.Input {
		in, err := input.Load(context.Background(), filepath.Join("..", "dbt", "testdata", "shop", dir), input.Options{})
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
	files, err := dbt.Generate(*p)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
