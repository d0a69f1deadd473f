package dbttest

import (
	"context"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// shop is the dbt test module of ../dbt/testdata/shop at both versions.
type shop struct {
	v1, v2  *image.Index
	project *dbt.Project
	files   []dbt.File
}

// message returns the message name of the version (1 or 2).
func (s *shop) message(t testing.TB, version int, name string) protoreflect.MessageDescriptor {
	t.Helper()
	idx := s.v1
	if version == 2 {
		idx = s.v2
	}
	m := idx.Message(protoreflect.FullName(name))
	if m == nil {
		t.Fatalf("no message %s in v%d", name, version)
	}
	return m
}

// loadShop generates the project of ../dbt/testdata/shop/v2 over v1 for
// dialect d.
func loadShop(t testing.TB, d dbt.Dialect) *shop {
	t.Helper()
	load := func(dir string) *input.Input {
		in, err := input.Load(context.Background(), filepath.Join("..", "dbt", "testdata", "shop", dir), input.Options{})
		if err != nil {
			t.Fatalf("loading %s: %v", dir, err)
		}
		return in
	}
	v1, v2 := load("v1"), load("v2")
	s := &shop{v1: image.NewIndex(v1.Image), v2: image.NewIndex(v2.Image)}
	p, err := dbt.NewProject(v2.Config, s.v2, []*image.Index{s.v1}, d, dbt.ModuleOptions{Version: "2"})
	if err != nil {
		t.Fatal(err)
	}
	s.project = p
	if s.files, err = dbt.Generate(*p); err != nil {
		t.Fatal(err)
	}
	return s
}

// shopFiles returns the generated project of the shop module for d.
func shopFiles(t testing.TB, d dbt.Dialect) []dbt.File {
	return loadShop(t, d).files
}
