package input

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"sync"

	"github.com/bufbuild/protocompile"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
)

// deferredSources is what LoadSourceInfo needs of an input compiled
// without source info: where each file's source is, and the files as
// first compiled, which the files compiled again link against.
type deferredSources struct {
	fsys   fs.FS
	fsPath map[string]string // module-relative path → fs path, targets and imports read
	files  map[string]*image.File
	// original holds each file's descriptor as first compiled: the
	// imports served to a file compiled again, never replaced, so that
	// every compile sees one consistent set of dependencies.
	original map[string]protoreflect.FileDescriptor

	mu     sync.Mutex
	loaded map[string]bool
}

func newDeferredSources(s *sources, img *image.Image) *deferredSources {
	d := &deferredSources{
		fsys:     s.fsys,
		fsPath:   make(map[string]string, len(s.targets)+len(s.imports)),
		files:    make(map[string]*image.File, len(img.Files())),
		original: make(map[string]protoreflect.FileDescriptor, len(img.Files())),
		loaded:   map[string]bool{},
	}
	for p, t := range s.targets {
		d.fsPath[p] = t.fsPath
	}
	s.mu.Lock()
	for p, fp := range s.imports {
		d.fsPath[p] = fp
	}
	s.mu.Unlock()
	for _, f := range img.Files() {
		d.files[f.Path()] = f
		d.original[f.Path()] = f.Descriptor
	}
	return d
}

// SourceInfoDeferred reports whether the input was compiled without
// source info (Options.DeferSourceInfo) and LoadSourceInfo can add it.
func (in *Input) SourceInfoDeferred() bool { return in.deferred != nil }

// LoadSourceInfo gives the files at paths (module-relative, as the image
// names them; every file of the image read from source when paths is nil)
// of an input compiled without source info (Options.DeferSourceInfo) the
// source info a normal load gives them: each is compiled again from its
// source, with source info, linked against the files as first compiled,
// and its Descriptor replaced in place in the image (and so in
// Modules[].Files). The new descriptors describe the same elements with
// the same names, options and features; only SourceLocations differ.
// Paths not in the image, files not read from source (well-known types)
// and files already loaded are skipped; for other inputs it does nothing.
// It is not safe to call concurrently with readers of the image.
func (in *Input) LoadSourceInfo(ctx context.Context, paths []string) error {
	d := in.deferred
	if d == nil {
		return nil
	}
	if paths == nil {
		for p := range d.fsPath {
			paths = append(paths, p)
		}
	}
	var todo []string
	d.mu.Lock()
	for _, p := range paths {
		if _, ok := d.fsPath[p]; ok && d.files[p] != nil && !d.loaded[p] {
			d.loaded[p] = true
			todo = append(todo, p)
		}
	}
	d.mu.Unlock()
	slices.Sort(todo)
	todo = slices.Compact(todo)
	compiled := make([]protoreflect.FileDescriptor, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for i, p := range todo {
		g.Go(func() error {
			fd, err := d.compileOne(gctx, p)
			if err != nil {
				return err
			}
			compiled[i] = fd
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		d.mu.Lock()
		for _, p := range todo {
			delete(d.loaded, p)
		}
		d.mu.Unlock()
		return err
	}
	for i, p := range todo {
		d.files[p].Descriptor = compiled[i]
	}
	return nil
}

// compileOne compiles the file at p from its source with source info,
// every import served as first compiled.
func (d *deferredSources) compileOne(ctx context.Context, p string) (fd protoreflect.FileDescriptor, err error) {
	resolve := func(name string) (protocompile.SearchResult, error) {
		if name == p {
			data, err := fs.ReadFile(d.fsys, d.fsPath[p])
			if err != nil {
				return protocompile.SearchResult{}, err
			}
			return protocompile.SearchResult{Source: bytes.NewReader(data)}, nil
		}
		if fd := d.original[name]; fd != nil {
			return protocompile.SearchResult{Desc: fd}, nil
		}
		return protocompile.SearchResult{}, fs.ErrNotExist
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(protocompile.ResolverFunc(resolve)),
		MaxParallelism: 1,
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("source info of %s: compiler failure (please report it): %v", p, r)
		}
	}()
	files, err := c.Compile(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("source info of %s: %w", p, err)
	}
	return files[0], nil
}
