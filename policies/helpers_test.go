package policies_test

import (
	"context"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/policies"
)

// compile compiles .proto sources (path → content) into an image.
func compile(t testing.TB, files map[string]string) *image.Image {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	in, err := input.LoadFS(context.Background(), fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	return in.Image
}

// parse parses a policies: YAML list as written in pbregistry.yaml.
func parse(t *testing.T, text string) []policies.Spec {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	specs, err := policies.Parse("pbregistry.yaml", &doc)
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

// lint runs set.Lint on img, failing t on an error.
func lint(t testing.TB, set *policies.Set, img *image.Image, c policies.Context) []compat.Finding {
	t.Helper()
	findings, err := set.Lint(context.Background(), img, c)
	if err != nil {
		t.Fatal(err)
	}
	return findings
}
