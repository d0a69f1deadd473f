package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// readFixtures returns the fixtures of the module in fsys (its directory
// dir, for errors): the files testdata/<subject>/<name>.json and .binpb
// beside pbregistry.yaml, at those paths, sorted. Other files under
// testdata/ are not sent; the registry parses each fixture against its
// subject and bounds their count and size with the push's file limits.
func readFixtures(fsys fs.FS, dir string) ([]*v1.File, error) {
	subjects, err := fs.ReadDir(fsys, registry.FixtureDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("module %s: read %s: %w", dir, registry.FixtureDir, err)
	}
	var files []*v1.File
	for _, s := range subjects {
		if !s.IsDir() {
			continue
		}
		sub := path.Join(registry.FixtureDir, s.Name())
		entries, err := fs.ReadDir(fsys, sub)
		if err != nil {
			return nil, fmt.Errorf("module %s: read %s: %w", dir, sub, err)
		}
		for _, e := range entries {
			p := path.Join(sub, e.Name())
			if _, ok := registry.FixtureSubject(p); !ok || !e.Type().IsRegular() {
				continue
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return nil, fmt.Errorf("module %s: read fixture %s: %w", dir, p, err)
			}
			files = append(files, &v1.File{Path: p, Content: data})
		}
	}
	return files, nil
}

// withFixtures appends the fixtures of the module in dir to files.
func withFixtures(files []*v1.File, dir string) ([]*v1.File, error) {
	fixtures, err := readFixtures(os.DirFS(dir), dir)
	if err != nil {
		return nil, err
	}
	return append(files, fixtures...), nil
}
