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
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

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

	// image is set for an image input: files are decoded again, not
	// compiled; fsPath then lists the files that have source info.
	image *imageSourceInfo

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
			var fd protoreflect.FileDescriptor
			var err error
			if d.image != nil {
				fd, err = d.decodeOne(p)
			} else {
				fd, err = d.compileOne(gctx, p)
			}
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

// Field numbers of the descriptor protos the image stripping walks.
const (
	fdsFileField       = 1 // FileDescriptorSet.file
	fdpNameField       = 1 // FileDescriptorProto.name
	fdpSourceInfoField = 9 // FileDescriptorProto.source_code_info
	sciLocationField   = 1 // SourceCodeInfo.location
)

// stripSourceInfo returns data, a serialized FileDescriptorSet or buf
// image, without the source_code_info of its files, that field's bytes by
// file name (sub-slices of data), and the number of source locations
// removed. ok is false when data does not parse as expected, or names a
// file twice: the caller then decodes data as it is, and the decoder
// reports what is wrong.
func stripSourceInfo(data []byte) (out []byte, info map[string][]byte, locations int, ok bool) {
	out = make([]byte, 0, len(data))
	info = map[string][]byte{}
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, 0, false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, nil, 0, false
		}
		field := b[:n+m]
		b = b[n+m:]
		if num != fdsFileField || typ != protowire.BytesType {
			out = append(out, field...)
			continue
		}
		file, _ := protowire.ConsumeBytes(field[n:])
		var name string
		var sci []byte
		kept := make([]byte, 0, len(file))
		for f := file; len(f) > 0; {
			fnum, ftyp, fn := protowire.ConsumeTag(f)
			if fn < 0 {
				return nil, nil, 0, false
			}
			fm := protowire.ConsumeFieldValue(fnum, ftyp, f[fn:])
			if fm < 0 {
				return nil, nil, 0, false
			}
			switch {
			case fnum == fdpNameField && ftyp == protowire.BytesType:
				v, _ := protowire.ConsumeBytes(f[fn:])
				name = string(v)
				kept = append(kept, f[:fn+fm]...)
			case fnum == fdpSourceInfoField && ftyp == protowire.BytesType:
				v, _ := protowire.ConsumeBytes(f[fn:])
				if sci != nil {
					return nil, nil, 0, false // merged messages: leave them to the decoder
				}
				sci = v
				for l := v; len(l) > 0; {
					lnum, ltyp, ln := protowire.ConsumeTag(l)
					if ln < 0 {
						return nil, nil, 0, false
					}
					lm := protowire.ConsumeFieldValue(lnum, ltyp, l[ln:])
					if lm < 0 {
						return nil, nil, 0, false
					}
					if lnum == sciLocationField {
						locations++
					}
					l = l[ln+lm:]
				}
			default:
				kept = append(kept, f[:fn+fm]...)
			}
			f = f[fn+fm:]
		}
		if _, dup := info[name]; dup || name == "" {
			return nil, nil, 0, false
		}
		info[name] = sci
		out = protowire.AppendTag(out, fdsFileField, protowire.BytesType)
		out = protowire.AppendBytes(out, kept)
	}
	return out, info, locations, true
}

// imageSourceInfo is what LoadSourceInfo needs of an image decoded without
// source info: each file's source_code_info as serialized, and a registry
// of the files as first decoded, built on first use.
type imageSourceInfo struct {
	raw  map[string][]byte
	once sync.Once
	reg  *protoregistry.Files
	err  error
}

func newDeferredImage(img *image.Image, raw map[string][]byte) *deferredSources {
	d := &deferredSources{
		files:    make(map[string]*image.File, len(img.Files())),
		original: make(map[string]protoreflect.FileDescriptor, len(img.Files())),
		loaded:   map[string]bool{},
		image:    &imageSourceInfo{raw: raw},
		fsPath:   map[string]string{},
	}
	for _, f := range img.Files() {
		d.files[f.Path()] = f
		d.original[f.Path()] = f.Descriptor
		if len(raw[f.Path()]) > 0 {
			d.fsPath[f.Path()] = f.Path() // has source info to load
		}
	}
	return d
}

// decodeOne rebuilds the image file at p with its source info.
func (d *deferredSources) decodeOne(p string) (protoreflect.FileDescriptor, error) {
	im := d.image
	im.once.Do(func() {
		im.reg = new(protoregistry.Files)
		var visit func(fd protoreflect.FileDescriptor) error
		seen := map[string]bool{}
		visit = func(fd protoreflect.FileDescriptor) error {
			if seen[fd.Path()] {
				return nil
			}
			seen[fd.Path()] = true
			imports := fd.Imports()
			for i := 0; i < imports.Len(); i++ {
				if err := visit(imports.Get(i).FileDescriptor); err != nil {
					return err
				}
			}
			return im.reg.RegisterFile(fd)
		}
		for _, f := range d.original {
			if im.err = visit(f); im.err != nil {
				return
			}
		}
	})
	if im.err != nil {
		return nil, fmt.Errorf("source info of %s: %w", p, im.err)
	}
	fdp := protodesc.ToFileDescriptorProto(d.original[p])
	fdp.SourceCodeInfo = new(descriptorpb.SourceCodeInfo)
	if err := proto.Unmarshal(im.raw[p], fdp.SourceCodeInfo); err != nil {
		return nil, fmt.Errorf("source info of %s: %w", p, err)
	}
	fd, err := protodesc.NewFile(fdp, im.reg)
	if err != nil {
		return nil, fmt.Errorf("source info of %s: %w", p, err)
	}
	return fd, nil
}
