// Package input loads what a user points pbcheck at — a directory, a
// single .proto file, a serialized image or a commit of a local git
// repository — into an *image.Image ready for compat.
//
// Load parses the reference (buf's input syntax: path#key=value,…),
// finds the configuration (pbregistry.yaml, buf.yaml, buf.work.yaml) of
// directory and git inputs, lists the .proto files of each module root,
// compiles them once, in parallel, with protocompile, and returns the
// image with each file's ExternalPath set to what buf would print for it.
// Each module of the input carries its own breaking configuration.
package input

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
)

// Options configure Load.
type Options struct {
	// Dir is the working directory relative references and --path values
	// are read from; "" means the process's working directory.
	Dir string
	// Config is buf's --config: the path of a buf.yaml or pbregistry.yaml,
	// or its content inline (YAML or JSON). It replaces the configuration
	// found in the input (and, for images, in Dir).
	Config string
	// Paths and ExcludePaths are buf's --path and --exclude-path. For a
	// directory they are relative to Dir and must be inside the input; for
	// a git input they are relative to the subdir; for an image they are
	// file paths of the image. A path selects a file or every file under
	// a directory; selected files are the input files, and the others
	// only appear as imports when imported. They are not valid for a
	// single .proto file.
	Paths, ExcludePaths []string
	// Stdin is read for the reference "-"; nil means os.Stdin.
	Stdin io.Reader
	// Limits bound each .proto file compiled; the zero value means the
	// defaults.
	Limits Limits
	// ImageLimits bound an image input (its size, after decompression,
	// is checked as it is read); the zero value means image.DefaultLimits.
	ImageLimits image.Limits
	// DeferSourceInfo, when set, is asked with the configuration of a
	// directory, git or binary image input (nil when there is none; the
	// Config override when given) whether to load it without source info
	// (the locations and comments of its elements): directories and git
	// inputs are compiled without it, a binary image's is kept serialized.
	// Source info is most of a compiled file's memory and a tenth of its
	// compile time; a caller that needs it only for the few files it
	// reports on returns true and calls Input.LoadSourceInfo for those
	// files afterwards. Single .proto files and JSON images ignore it.
	DeferSourceInfo func(cfg *config.Config) bool
	// Reusable keeps, in a directory or git input, what a later load
	// needs to reuse its compiled files (Reuse): the digest of each file
	// read.
	Reusable bool
	// Reuse returns an input loaded with Reusable, typically the other
	// side of a comparison; it is called once the input's files are read,
	// before compiling, and may block until that input is loaded (so the
	// two loads overlap), or return nil for none. A file whose source here
	// is byte for byte the one that input compiled, and so are all its
	// imports, recursively, is not compiled again: the image holds that
	// input's descriptor for it. The result is the image a separate
	// compile gives (the same source and imports compile to the same
	// descriptor), for about the work of the files that differ. Single
	// .proto files and images ignore it.
	Reuse func() *Input
}

// Input is a loaded input.
type Input struct {
	// Ref is the parsed reference, with its format resolved.
	Ref Ref
	// Image holds every compiled file, imports flagged.
	Image *image.Image
	// Modules lists the input's modules, each with its input files and
	// breaking configuration. An image input has one module.
	Modules []Module
	// Config is the configuration used: the override from
	// Options.Config, the files found, or nil when there were none.
	Config *config.Config

	// deferred holds the sources of an input compiled without source
	// info (Options.DeferSourceInfo), for LoadSourceInfo.
	deferred *deferredSources
	// compiled is what Options.Reuse takes of an input loaded with
	// Options.Reusable.
	compiled *compiledSources
}

// Module is one module root of an input.
type Module struct {
	// Root is the module root as shown to people (like ExternalPath),
	// "" for images.
	Root string
	// Files are the module's input files, in image order.
	Files []*image.File
	// Breaking is the module's breaking configuration for compat.
	Breaking compat.Config
	// Transitive reports a _TRANSITIVE compatibility level.
	Transitive bool
	// Config is the module's configuration; nil for images.
	Config *config.Module
}

// Load loads the input named by ref; see the package documentation and
// ParseRef for the accepted forms.
func Load(ctx context.Context, ref string, opts Options) (*Input, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	cwd := opts.Dir
	if cwd == "" {
		if cwd, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	if cwd, err = filepath.Abs(cwd); err != nil {
		return nil, err
	}
	override, err := loadOverride(opts.Config, cwd)
	if err != nil {
		return nil, err
	}
	l := &loader{ref: r, cwd: cwd, opts: opts, override: override}
	if r.Format == "" {
		st, err := os.Stat(l.abs(r.Path))
		switch {
		case err != nil:
			return nil, fmt.Errorf("input %q: %s does not exist", ref, r.Path)
		case st.IsDir():
			l.ref.Format = FormatDir
		default:
			return nil, fmt.Errorf("input %q: %s is a file but not a .proto file or an image: use a directory, a .proto file, an image (.binpb, .json) or a git repository (.git), or add #format=binpb|json|protofile|dir|git", ref, r.Path)
		}
	}
	if l.ref.Format == FormatProtoFile && (len(opts.Paths) > 0 || len(opts.ExcludePaths) > 0) {
		return nil, fmt.Errorf("input %q: --path and --exclude-path cannot be used with a single .proto file", ref)
	}
	var in *Input
	switch l.ref.Format {
	case FormatDir:
		in, err = l.loadDir(ctx)
	case FormatProtoFile:
		in, err = l.loadProtoFile(ctx)
	case FormatBinpb, FormatJSON:
		in, err = l.loadImage()
	case FormatGit:
		in, err = l.loadGit(ctx)
	}
	if err != nil {
		return nil, err
	}
	in.Ref = l.ref
	return in, nil
}

type loader struct {
	ref      Ref
	cwd      string
	opts     Options
	override *config.Config
}

// abs returns p resolved against the working directory.
func (l *loader) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.cwd, p)
}

// displayBase returns how a directory is shown: absolute when the
// reference was absolute, else relative to the working directory.
func (l *loader) displayBase(absDir string) string {
	if filepath.IsAbs(l.ref.Path) {
		return filepath.ToSlash(absDir)
	}
	rel, err := filepath.Rel(l.cwd, absDir)
	if err != nil {
		return filepath.ToSlash(absDir)
	}
	return filepath.ToSlash(rel)
}

func loadOverride(s, cwd string) (*config.Config, error) {
	if s == "" {
		return nil, nil
	}
	p := s
	if !filepath.IsAbs(p) {
		p = filepath.Join(cwd, p)
	}
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		return config.Parse(s, data)
	}
	if !strings.ContainsAny(s, ":{\n") {
		return nil, fmt.Errorf("--config %s: no such file, and not YAML or JSON configuration data", s)
	}
	return config.Parse("", []byte(s))
}

func (l *loader) loadDir(ctx context.Context) (*Input, error) {
	absDir := l.abs(l.ref.Path)
	base := l.displayBase(absDir)
	fsys := os.DirFS(absDir)
	cfg := l.override
	if cfg == nil {
		var err error
		if cfg, err = config.Load(fsys, ".", base); err != nil {
			return nil, err
		}
	}
	var filter pathFilter
	for _, p := range l.opts.Paths {
		rel, ok := l.inputRel(absDir, p)
		if !ok {
			return nil, fmt.Errorf("--path %s is not inside input %s: give paths relative to the working directory, inside the input", p, l.ref.Path)
		}
		if rel == "." {
			return nil, fmt.Errorf("--path %s is the input directory itself, which selects everything: remove it", p)
		}
		filter.targets = append(filter.targets, rel)
	}
	for _, p := range l.opts.ExcludePaths {
		if rel, ok := l.inputRel(absDir, p); ok {
			filter.excludes = append(filter.excludes, rel)
		}
	}
	if cfg == nil && l.override == nil {
		// Like buf, a directory without configuration that is a module of
		// an enclosing workspace takes that module's configuration.
		if ancDir, anc, m := l.enclosingModule(absDir); m != nil {
			encl := *anc
			encl.Modules = []config.Module{*m}
			ancBase := l.displayBase(ancDir)
			for i, t := range filter.targets {
				filter.targets[i] = path.Join(m.Dir, t)
			}
			for i, e := range filter.excludes {
				filter.excludes[i] = path.Join(m.Dir, e)
			}
			display := func(p string) string { return joinDisplay(ancBase, p) }
			return l.loadTree(ctx, os.DirFS(ancDir), &encl, filter, display)
		}
	}
	display := func(p string) string { return joinDisplay(base, p) }
	return l.loadTree(ctx, fsys, cfg, filter, display)
}

// enclosingModule looks, above absDir (up to the working directory when
// absDir is in it), for the nearest configuration, and returns it with
// its module rooted exactly at absDir, if it has one, and its directory.
func (l *loader) enclosingModule(absDir string) (string, *config.Config, *config.Module) {
	stop := l.searchStop(absDir)
	for d := absDir; d != stop && d != filepath.Dir(d); {
		d = filepath.Dir(d)
		if !hasConfig(d) {
			continue
		}
		cfg, err := config.Load(os.DirFS(d), ".", l.displayBase(d))
		if err != nil || cfg == nil {
			return "", nil, nil
		}
		rel, err := filepath.Rel(d, absDir)
		if err != nil {
			return "", nil, nil
		}
		rel = filepath.ToSlash(rel)
		for i := range cfg.Modules {
			if cfg.Modules[i].Dir == rel {
				return d, cfg, &cfg.Modules[i]
			}
		}
		return "", nil, nil
	}
	return "", nil, nil
}

// searchStop returns the directory where the search for an enclosing
// configuration stops: the working directory when p is inside it, else
// the filesystem root.
func (l *loader) searchStop(p string) string {
	if r, err := filepath.Rel(l.cwd, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return l.cwd
	}
	return string(filepath.Separator)
}

// inputRel converts a --path value (relative to the working directory)
// to a path relative to the input directory absDir.
func (l *loader) inputRel(absDir, p string) (string, bool) {
	rel, err := filepath.Rel(absDir, l.abs(p))
	if err != nil {
		return "", false
	}
	return cleanRel(filepath.ToSlash(rel))
}

func joinDisplay(base, p string) string {
	if base == "." || base == "" {
		return p
	}
	return path.Join(base, p)
}

func (l *loader) loadGit(ctx context.Context) (*Input, error) {
	tree, subdir, err := openGit(l.ref, l.cwd)
	if err != nil {
		return nil, err
	}
	fsys := fs.FS(tree)
	if subdir != "." {
		if fsys, err = fs.Sub(tree, subdir); err != nil {
			return nil, err
		}
	}
	display := func(p string) string { return joinDisplay(subdir, p) }
	cfg := l.override
	if cfg == nil {
		if cfg, err = config.Load(fsys, ".", subdir); err != nil {
			return nil, err
		}
	}
	var filter pathFilter
	for _, p := range l.opts.Paths {
		rel, ok := cleanRel(p)
		if !ok {
			return nil, fmt.Errorf("--path %s must be relative to the git input's subdir", p)
		}
		filter.targets = append(filter.targets, rel)
	}
	for _, p := range l.opts.ExcludePaths {
		if rel, ok := cleanRel(p); ok {
			filter.excludes = append(filter.excludes, rel)
		}
	}
	if cfg == nil && l.override == nil && subdir != "." {
		// As for directories: a subdir that is a module of a workspace
		// above it in the tree takes that module's configuration.
		for d := path.Dir(subdir); ; d = path.Dir(d) {
			anc, err := config.Load(tree, d, d)
			if err != nil {
				return nil, err
			}
			if anc != nil {
				rel := relPath(d, subdir)
				for i := range anc.Modules {
					if anc.Modules[i].Dir != rel {
						continue
					}
					encl := *anc
					encl.Modules = []config.Module{anc.Modules[i]}
					for j, t := range filter.targets {
						filter.targets[j] = path.Join(rel, t)
					}
					for j, e := range filter.excludes {
						filter.excludes[j] = path.Join(rel, e)
					}
					sub := fs.FS(tree)
					if d != "." {
						if sub, err = fs.Sub(tree, d); err != nil {
							return nil, err
						}
					}
					return l.loadTree(ctx, sub, &encl, filter, func(p string) string { return joinDisplay(d, p) })
				}
				break
			}
			if d == "." {
				break
			}
		}
	}
	return l.loadTree(ctx, fsys, cfg, filter, display)
}

// relPath returns p relative to dir; p is inside dir.
func relPath(dir, p string) string {
	if dir == "." {
		return p
	}
	return strings.TrimPrefix(p, dir+"/")
}

// loadTree compiles the modules of cfg found in fsys (rooted at the input
// directory), keeping the files filter selects.
func (l *loader) loadTree(ctx context.Context, fsys fs.FS, cfg *config.Config, filter pathFilter, display func(string) string) (*Input, error) {
	found := cfg
	if cfg == nil {
		cfg = config.Default()
	}
	if err := checkFilter(filter); err != nil {
		return nil, err
	}
	roots := make([]string, len(cfg.Modules))
	contains := make([]func(string) bool, len(cfg.Modules))
	for i := range cfg.Modules {
		m := &cfg.Modules[i]
		roots[i] = m.Dir
		contains[i] = m.Contains
		for _, t := range filter.targets {
			if t == m.Dir {
				return nil, fmt.Errorf("--path %s is a module root: give the module directory as the input instead", display(t))
			}
		}
	}
	all, err := walkRoots(fsys, roots, contains, display)
	if err != nil {
		return nil, err
	}
	s := &sources{fsys: fsys, name: l.ref.Raw, limits: l.opts.Limits, roots: roots, display: display, targets: all}
	s.noSourceInfo = l.opts.DeferSourceInfo != nil && l.opts.DeferSourceInfo(found)
	s.record = l.opts.Reusable
	s.reuse = l.opts.Reuse
	if !filter.empty() {
		s.targets = make(map[string]*sourceFile, len(all))
		for p, f := range all {
			if filter.keep(f.fsPath) {
				s.targets[p] = f
			}
		}
	}
	if len(s.targets) == 0 {
		if !filter.empty() {
			return nil, fmt.Errorf("input %q: no .proto file matches --path/--exclude-path: paths are relative to the working directory for directories, to the subdir for git inputs", l.ref.Raw)
		}
		return nil, fmt.Errorf("input %q: no .proto files found under %s", l.ref.Raw, strings.Join(displayAll(roots, display), ", "))
	}
	s.order = make([]string, 0, len(s.targets))
	for p := range s.targets {
		s.order = append(s.order, p)
	}
	slices.Sort(s.order)
	img, err := s.compile(ctx)
	if err != nil {
		return nil, err
	}
	in := &Input{Image: img, Config: found}
	if s.noSourceInfo {
		in.deferred = newDeferredSources(s, img)
	}
	if s.record {
		in.compiled = &compiledSources{digests: s.digests, files: make(map[string]protoreflect.FileDescriptor, len(img.Files()))}
		for _, f := range img.Files() {
			in.compiled.files[f.Path()] = f.Descriptor
		}
	}
	byModule := make([][]*image.File, len(cfg.Modules))
	for _, f := range img.Files() {
		if t, ok := s.targets[f.Path()]; ok && !f.IsImport {
			byModule[t.module] = append(byModule[t.module], f)
		}
	}
	for i := range cfg.Modules {
		m := &cfg.Modules[i]
		in.Modules = append(in.Modules, Module{
			Root:       display(m.Dir),
			Files:      byModule[i],
			Breaking:   m.Breaking.CompatConfig(),
			Transitive: m.Breaking.Transitive(),
			Config:     m,
		})
	}
	return in, nil
}

func displayAll(ps []string, display func(string) string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = display(p)
	}
	return out
}

// configNames are the files that make a directory a module or workspace
// root for a single .proto file.
var configNames = []string{config.FileName, config.BufYAML, config.BufWorkYAML}

func (l *loader) loadProtoFile(ctx context.Context) (*Input, error) {
	absFile := l.abs(l.ref.Path)
	st, err := os.Stat(absFile)
	if err != nil {
		return nil, fmt.Errorf("input %q: %s does not exist", l.ref.Raw, l.ref.Path)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("input %q: %s is a directory, not a .proto file: remove #format=protofile", l.ref.Raw, l.ref.Path)
	}
	// The module root is the nearest ancestor holding a configuration
	// file, searched up to the working directory when the file is in it;
	// without one, the file's directory.
	fileDir := filepath.Dir(absFile)
	rootDir := ""
	stop := l.searchStop(absFile)
	for d := fileDir; ; d = filepath.Dir(d) {
		if hasConfig(d) {
			rootDir = d
			break
		}
		if d == stop || d == filepath.Dir(d) {
			break
		}
	}
	if rootDir == "" {
		rootDir = fileDir
	}
	base := l.displayBase(rootDir)
	fsys := os.DirFS(rootDir)
	cfg := l.override
	if cfg == nil {
		if cfg, err = config.Load(fsys, ".", base); err != nil {
			return nil, err
		}
	}
	found := cfg
	if cfg == nil {
		cfg = config.Default()
	}
	relFile, _ := filepath.Rel(rootDir, absFile)
	relFile = filepath.ToSlash(relFile)
	display := func(p string) string { return joinDisplay(base, p) }
	mi := -1
	for i, m := range cfg.Modules {
		if within(m.Dir, relFile) && (mi < 0 || len(m.Dir) > len(cfg.Modules[mi].Dir)) {
			mi = i
		}
	}
	if mi < 0 {
		return nil, fmt.Errorf("input %q: %s is outside every module root of %s (%s): move it into a root or add its directory to the configuration", l.ref.Raw, l.ref.Path, strings.Join(found.Files, ", "), strings.Join(displayAll(moduleDirs(cfg), display), ", "))
	}
	m := &cfg.Modules[mi]
	rel := relFile
	if m.Dir != "." {
		rel = relFile[len(m.Dir)+1:]
	}
	if !m.Contains(rel) {
		return nil, fmt.Errorf("input %q: %s is excluded from module %s by its configuration", l.ref.Raw, l.ref.Path, display(m.Dir))
	}
	s := &sources{
		fsys:    fsys,
		name:    l.ref.Raw,
		limits:  l.opts.Limits,
		roots:   moduleDirs(cfg),
		display: display,
		targets: map[string]*sourceFile{rel: {path: rel, fsPath: relFile, module: mi}},
		order:   []string{rel},
	}
	img, err := s.compile(ctx)
	if err != nil {
		return nil, err
	}
	files := img.InputFiles()
	return &Input{Image: img, Config: found, Modules: []Module{{
		Root:       display(m.Dir),
		Files:      files,
		Breaking:   m.Breaking.CompatConfig(),
		Transitive: m.Breaking.Transitive(),
		Config:     m,
	}}}, nil
}

func moduleDirs(cfg *config.Config) []string {
	out := make([]string, len(cfg.Modules))
	for i, m := range cfg.Modules {
		out[i] = m.Dir
	}
	return out
}

func hasConfig(dir string) bool {
	for _, n := range configNames {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

func (l *loader) loadImage() (*Input, error) {
	// An image is read, and decompressed, up to the size limit of images
	// and no further: a small gzip file may expand without end.
	maxBytes := l.opts.ImageLimits.Resolved().MaxBytes
	if maxBytes <= 0 {
		maxBytes = math.MaxInt64 - 1
	}
	var r io.Reader
	if l.ref.Path == "-" {
		r = l.opts.Stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(l.abs(l.ref.Path))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("input %q: %s does not exist", l.ref.Raw, l.ref.Path)
		}
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", l.ref.Raw, err)
		}
		defer f.Close()
		r = f
	}
	if l.ref.Gzip {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("input %q: not gzip data: %v", l.ref.Raw, err)
		}
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(maxBytes)+1))
	if err != nil {
		if l.ref.Gzip {
			return nil, fmt.Errorf("input %q: bad gzip data: %v", l.ref.Raw, err)
		}
		return nil, fmt.Errorf("input %q: %w", l.ref.Raw, err)
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("input %q: the image is larger than %d bytes, the limit: split the module into smaller images", l.ref.Raw, maxBytes)
	}
	// A binary image decoded without source info keeps its files'
	// source_code_info serialized, for LoadSourceInfo; within the limit of
	// source locations only, so that past it the decoder refuses it as
	// before.
	var sourceInfo map[string][]byte
	if l.ref.Format != FormatJSON && l.deferImageSourceInfo() {
		if stripped, raw, locations, ok := stripSourceInfo(data); ok {
			if max := l.opts.ImageLimits.Resolved().MaxSourceLocations; max <= 0 || locations <= max {
				data, sourceInfo = stripped, raw
			}
		}
	}
	var img *image.Image
	if l.ref.Format == FormatJSON {
		img, err = image.DecodeJSONWithLimits(data, l.opts.ImageLimits)
	} else {
		img, err = image.DecodeWithLimits(data, l.opts.ImageLimits)
	}
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", l.ref.Raw, err)
	}
	if img, err = filterImage(img, l.opts.Paths, l.opts.ExcludePaths); err != nil {
		return nil, fmt.Errorf("input %q: %w", l.ref.Raw, err)
	}
	var deferred *deferredSources
	if sourceInfo != nil {
		deferred = newDeferredImage(img, sourceInfo)
	}
	// Like buf, an image takes its breaking configuration from --config or
	// from the configuration in the working directory.
	cfg := l.override
	if cfg == nil {
		if cfg, err = config.Load(os.DirFS(l.cwd), ".", ""); err != nil {
			return nil, err
		}
	}
	breaking := (*config.Breaking)(nil)
	if cfg != nil {
		breaking = cfg.Breaking
		if breaking == nil {
			breaking = config.DefaultBreaking(cfg.Modules[0].Breaking.Version)
		}
	}
	return &Input{Image: img, Config: cfg, deferred: deferred, Modules: []Module{{
		Files:      img.InputFiles(),
		Breaking:   breaking.CompatConfig(),
		Transitive: breaking.Transitive(),
	}}}, nil
}

// deferImageSourceInfo asks Options.DeferSourceInfo about an image input,
// with the configuration it takes (--config, or the working directory's);
// when that configuration cannot be read, it does not defer, and loading
// reports the error as usual.
func (l *loader) deferImageSourceInfo() bool {
	if l.opts.DeferSourceInfo == nil {
		return false
	}
	cfg := l.override
	if cfg == nil {
		var err error
		if cfg, err = config.Load(os.DirFS(l.cwd), ".", ""); err != nil {
			return false
		}
	}
	return l.opts.DeferSourceInfo(cfg)
}

// filterImage applies --path and --exclude-path to an image the way buf
// does: selected files (imports included) become the input files, their
// dependencies stay as imports, and the rest is dropped.
func filterImage(img *image.Image, paths, excludes []string) (*image.Image, error) {
	if len(paths) == 0 && len(excludes) == 0 {
		return img, nil
	}
	var f pathFilter
	for _, p := range paths {
		c, _ := cleanRel(p)
		f.targets = append(f.targets, c)
	}
	for _, p := range excludes {
		c, _ := cleanRel(p)
		f.excludes = append(f.excludes, c)
	}
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	selected := map[string]bool{}
	for _, file := range img.Files() {
		// Without --path, only input files can be selected.
		if len(f.targets) == 0 && file.IsImport {
			continue
		}
		if f.keep(file.Path()) {
			selected[file.Path()] = true
		}
	}
	if len(selected) == 0 {
		return nil, errors.New("no file of the image matches --path/--exclude-path: paths of an image are the paths of its files, like acme/v1/a.proto")
	}
	needed := map[string]bool{}
	var mark func(fd string)
	mark = func(p string) {
		if needed[p] {
			return
		}
		needed[p] = true
		imports := img.File(p).Descriptor.Imports()
		for i := 0; i < imports.Len(); i++ {
			mark(imports.Get(i).Path())
		}
	}
	for p := range selected {
		mark(p)
	}
	var out []*image.File
	for _, file := range img.Files() {
		if !needed[file.Path()] {
			continue
		}
		nf := *file
		nf.IsImport = !selected[file.Path()]
		out = append(out, &nf)
	}
	return image.New(out)
}
