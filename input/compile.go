package input

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/pbregistry/pbregistry/image"
)

// sourceFile is one .proto file to compile.
type sourceFile struct {
	path   string // module-relative, the path in the image
	fsPath string // path in the fs.FS
	module int    // index of its module
}

// sources is a set of module roots in an fs.FS, ready to compile.
type sources struct {
	fsys    fs.FS
	name    string // how messages name the input
	limits  Limits
	roots   []string // fs paths of the module roots, in module order
	display func(fsPath string) string
	// targets are the input files, by module-relative path.
	targets map[string]*sourceFile
	order   []string // target paths, sorted

	mu      sync.Mutex
	imports map[string]string // module-relative path → fs path, for files read as imports
	missing map[string]bool   // paths the resolver could not find
	content map[string][]byte // target sources read ahead, until compiled
	// compiled holds the files compiled by earlier chunks, by path.
	compiled map[string]protoreflect.FileDescriptor
	// refused holds a diagnostic per file read that passes a limit.
	refused []Diagnostic
	// ctx is the context of the compile under way: the resolver stops
	// serving files once it is done.
	ctx context.Context
	// noSourceInfo compiles without source info (Options.DeferSourceInfo).
	noSourceInfo bool
	// reuse is Options.Reuse; shared, the files of its input this
	// compile uses as they are (shareFrom).
	reuse  func() *Input
	shared map[string]protoreflect.FileDescriptor
	// digests are the digests of the files read, kept when record is set,
	// for a later load to reuse this one.
	record  bool
	digests map[string]digest
}

// compile compiles the targets and returns the image: targets are input
// files, everything they import is an import.
//
// Targets are compiled in dependency order, in chunks that share one
// symbol table, each chunk reusing the files compiled before it: handing
// protocompile thousands of files at once makes its import-cycle check
// quadratic. When a chunk fails, everything is compiled again in one go so
// that every error is reported, as if nothing had been compiled before.
//
// Every file is checked against s.limits before it is parsed; files past
// a limit are reported as a CompileError and nothing is compiled. When
// ctx is done, compile stops reading and resolving files and returns an
// error wrapping ctx's error (and its cause): the compiler cannot be
// interrupted inside a file, so the files it is working on finish in the
// background, and nothing more is started.
func (s *sources) compile(ctx context.Context) (*image.Image, error) {
	if len(s.order) == 0 {
		return nil, errors.New("no .proto files to compile")
	}
	s.ctx = ctx
	if err := ctx.Err(); err != nil {
		return nil, s.stopped(ctx)
	}
	if err := s.readTargets(ctx); err != nil {
		return nil, err
	}
	if err := s.refusal(); err != nil {
		return nil, err
	}
	if s.reuse != nil {
		if prev := s.reuse(); prev != nil && prev.compiled != nil {
			s.shared = s.shareFrom(prev.compiled)
		}
	}
	s.sortByImports()
	chunk := chunkPerProc * runtime.GOMAXPROCS(0)
	if len(s.order) > chunk {
		s.compiled = make(map[string]protoreflect.FileDescriptor, len(s.order)+64)
		sym := &linker.Symbols{}
		var roots []protoreflect.FileDescriptor
		ok := true
		for start := 0; start < len(s.order) && ok; start += chunk {
			var batch []string
			for _, p := range s.order[start:min(start+chunk, len(s.order))] {
				if s.compiled[p] == nil {
					batch = append(batch, p)
				}
			}
			if len(batch) == 0 {
				continue
			}
			files, diags, err := s.run(ctx, batch, sym)
			if ctx.Err() != nil {
				return nil, s.stopped(ctx)
			}
			if err := s.refusal(); err != nil {
				return nil, err
			}
			if err != nil || len(diags) > 0 {
				ok = false
				break
			}
			for _, f := range files {
				s.remember(f)
				roots = append(roots, f)
			}
		}
		if ok {
			return s.assemble(roots)
		}
		s.compiled = nil
	}
	files, diags, err := s.run(ctx, s.order, nil)
	if ctx.Err() != nil {
		return nil, s.stopped(ctx)
	}
	if err := s.refusal(); err != nil {
		return nil, err
	}
	if err != nil || len(diags) > 0 {
		if err != nil && !errors.Is(err, reporter.ErrInvalidSource) {
			var ewp reporter.ErrorWithPos
			if !errors.As(err, &ewp) {
				return nil, err
			}
			pos := ewp.GetPosition()
			diags = append(diags, Diagnostic{Path: s.displayOf(pos.Filename), Line: pos.Line, Col: pos.Col, Message: ewp.Unwrap().Error()})
		}
		// protocompile stops a file at its first unresolvable import and
		// does not report it when other files had errors: find them all.
		diags = append(diags, s.missingImports(diags)...)
		slices.SortStableFunc(diags, func(a, b Diagnostic) int {
			return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Message, b.Message))
		})
		return nil, &CompileError{Diagnostics: slices.Compact(diags)}
	}
	roots := make([]protoreflect.FileDescriptor, len(files))
	for i, f := range files {
		roots[i] = f
	}
	return s.assemble(roots)
}

// stopped returns the error for a compile stopped because ctx is done.
func (s *sources) stopped(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%s: compiling stopped before it finished: %w: %w", s.name, cause, err)
	}
	return fmt.Errorf("%s: compiling stopped before it finished: %w", s.name, err)
}

// refuse checks the source of a file read for the compiler: its edition
// must be one the compiler parses, and it must be within the limits. It
// records one diagnostic for a file that fails, the edition's first.
func (s *sources) refuse(fsPath string, data []byte) bool {
	d, bad := checkEdition(s.display(fsPath), data)
	if !bad {
		d, bad = s.limits.check(s.display(fsPath), data)
	}
	if bad {
		s.mu.Lock()
		s.refused = append(s.refused, d)
		s.mu.Unlock()
	}
	return bad
}

// refusal returns a CompileError listing the files past a limit, if any.
func (s *sources) refusal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refused) == 0 {
		return nil
	}
	diags := slices.Clone(s.refused)
	slices.SortFunc(diags, func(a, b Diagnostic) int { return cmp.Compare(a.Path, b.Path) })
	return &CompileError{Diagnostics: slices.CompactFunc(diags, func(a, b Diagnostic) bool { return a == b })}
}

// chunkPerProc is the number of files compiled together per processor.
const chunkPerProc = 32

// run compiles paths with protocompile, collecting every reported error.
// sym, when not nil, is shared with earlier runs.
func (s *sources) run(ctx context.Context, paths []string, sym *linker.Symbols) (files linker.Files, diags []Diagnostic, err error) {
	s.mu.Lock()
	if s.imports == nil {
		s.imports = map[string]string{}
	}
	s.missing = nil
	s.mu.Unlock()
	var dmu sync.Mutex
	rep := reporter.NewReporter(func(e reporter.ErrorWithPos) error {
		pos := e.GetPosition()
		d := Diagnostic{Path: s.displayOf(pos.Filename), Line: pos.Line, Col: pos.Col, Message: e.Unwrap().Error()}
		dmu.Lock()
		diags = append(diags, d)
		dmu.Unlock()
		return nil // keep going: report every error
	}, nil)
	mode := protocompile.SourceInfoStandard
	if s.noSourceInfo {
		mode = protocompile.SourceInfoNone
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(protocompile.ResolverFunc(s.find)),
		MaxParallelism: runtime.GOMAXPROCS(0),
		Reporter:       rep,
		SourceInfoMode: mode,
		Symbols:        sym,
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compiler failure (please report it): %v", r)
		}
	}()
	files, err = c.Compile(ctx, paths...)
	return files, diags, err
}

// remember records fd and everything it imports as compiled, so later
// chunks link against them instead of compiling them again.
func (s *sources) remember(fd protoreflect.FileDescriptor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if s.compiled[fd.Path()] != nil {
			return
		}
		s.compiled[fd.Path()] = fd
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			visit(imports.Get(i).FileDescriptor)
		}
	}
	visit(fd)
}

// find resolves a module-relative path for the compiler: a target, or a
// file under one of the roots (an import). Other paths are not found, and
// the standard imports wrapper then serves the well-known types.
func (s *sources) find(name string) (protocompile.SearchResult, error) {
	if s.ctx != nil {
		if err := s.ctx.Err(); err != nil {
			return protocompile.SearchResult{}, err
		}
	}
	if fd := s.shared[name]; fd != nil {
		return protocompile.SearchResult{Desc: fd}, nil
	}
	s.mu.Lock()
	if fd := s.compiled[name]; fd != nil {
		s.mu.Unlock()
		return protocompile.SearchResult{Desc: fd}, nil
	}
	data, read := s.content[name]
	delete(s.content, name) // each file is resolved once
	s.mu.Unlock()
	if f, ok := s.targets[name]; ok {
		if !read {
			var err error
			if data, err = fs.ReadFile(s.fsys, f.fsPath); err != nil {
				return protocompile.SearchResult{}, err
			}
		}
		if s.record {
			s.recordDigest(name, data)
		}
		return protocompile.SearchResult{Source: bytes.NewReader(data)}, nil
	}
	if !fs.ValidPath(name) {
		return protocompile.SearchResult{}, fs.ErrNotExist
	}
	for _, root := range s.roots {
		p := path.Join(root, name)
		data, err := fs.ReadFile(s.fsys, p)
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.imports[name] = p
		s.mu.Unlock()
		if s.record {
			s.recordDigest(name, data)
		}
		if s.refuse(p, data) {
			return protocompile.SearchResult{}, fmt.Errorf("%s passes a limit of the compiler", s.display(p))
		}
		return protocompile.SearchResult{Source: bytes.NewReader(data)}, nil
	}
	s.mu.Lock()
	if s.missing == nil {
		s.missing = map[string]bool{}
	}
	s.missing[name] = true
	s.mu.Unlock()
	return protocompile.SearchResult{}, fs.ErrNotExist
}

// importRE matches an import statement's path.
var importRE = regexp.MustCompile(`(?m)^\s*import\s+(?:public\s+|weak\s+|option\s+)?("[^"\n]*"|'[^'\n]*')`)

// missingImports returns a diagnostic for each import statement, in the
// files read, of a file that resolved nowhere, except where known already
// holds one. It runs only when compilation failed.
func (s *sources) missingImports(known []Diagnostic) []Diagnostic {
	s.mu.Lock()
	missing := make(map[string]bool, len(s.missing))
	for name := range s.missing {
		if !isStandardImport(name) {
			missing[name] = true
		}
	}
	files := make([]string, 0, len(s.targets)+len(s.imports))
	for _, t := range s.targets {
		files = append(files, t.fsPath)
	}
	for _, p := range s.imports {
		files = append(files, p)
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	at := make(map[[3]any]bool, len(known))
	for _, d := range known {
		at[[3]any{d.Path, d.Line, d.Col}] = true
	}
	var out []Diagnostic
	for _, fsPath := range files {
		data, err := fs.ReadFile(s.fsys, fsPath)
		if err != nil {
			continue
		}
		for _, m := range importRE.FindAllSubmatchIndex(data, -1) {
			name := string(data[m[2]+1 : m[3]-1])
			if !missing[name] {
				continue
			}
			line := 1 + bytes.Count(data[:m[2]], []byte("\n"))
			col := m[2] - (bytes.LastIndexByte(data[:m[2]], '\n') + 1) + 1
			d := Diagnostic{Path: s.display(fsPath), Line: line, Col: col,
				Message: fmt.Sprintf("imported file %q does not exist in any module root (%s)", name, strings.Join(displayAll(s.roots, s.display), ", "))}
			if !at[[3]any{d.Path, d.Line, d.Col}] {
				out = append(out, d)
			}
		}
	}
	return out
}

// isStandardImport reports whether protocompile serves name itself.
func isStandardImport(name string) bool {
	if _, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
		return true
	}
	return name == "google/protobuf/cpp_features.proto" || name == "google/protobuf/java_features.proto"
}

// displayOf returns the display path of a module-relative path.
func (s *sources) displayOf(name string) string {
	if f, ok := s.targets[name]; ok {
		return s.display(f.fsPath)
	}
	s.mu.Lock()
	p, ok := s.imports[name]
	s.mu.Unlock()
	if ok {
		return s.display(p)
	}
	return name
}

// assemble orders the compiled files and their imports dependencies first.
func (s *sources) assemble(files []protoreflect.FileDescriptor) (*image.Image, error) {
	out := make([]*image.File, 0, len(files)+16)
	seen := make(map[string]bool, len(files)+16)
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		p := fd.Path()
		if seen[p] {
			return
		}
		seen[p] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			visit(imports.Get(i).FileDescriptor)
		}
		f := &image.File{Descriptor: fd}
		if t, ok := s.targets[p]; ok {
			f.ExternalPath = s.display(t.fsPath)
		} else {
			f.IsImport = true
			if fp, ok := s.imports[p]; ok {
				f.ExternalPath = s.display(fp)
			}
		}
		out = append(out, f)
	}
	for _, f := range files {
		visit(f)
	}
	return image.New(out)
}

// walkRoots lists the .proto files of each module root, applying the
// module's includes and excludes. It fails on a path found in two roots.
func walkRoots(fsys fs.FS, roots []string, contains []func(string) bool, displayDir func(string) string) (map[string]*sourceFile, error) {
	out := map[string]*sourceFile{}
	for i, root := range roots {
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root && errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("module root %s does not exist: create it or fix the configuration", displayDir(root))
				}
				return err
			}
			if d.IsDir() {
				// Another module's root nested in this one belongs to it.
				if p != root && slices.Contains(roots, p) {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".proto") || !d.Type().IsRegular() {
				return nil
			}
			rel := p
			if root != "." {
				rel = p[len(root)+1:]
			}
			if !contains[i](rel) {
				return nil
			}
			if prev, dup := out[rel]; dup {
				return fmt.Errorf("%s and %s have the same path %q in their module roots (%s and %s): a path must be unique across roots, rename or exclude one", displayDir(prev.fsPath), displayDir(p), rel, displayDir(roots[prev.module]), displayDir(root))
			}
			out[rel] = &sourceFile{path: rel, fsPath: p, module: i}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
