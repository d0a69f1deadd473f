package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/registry"
)

// getFlags are the flags of `registry get`.
type getFlags struct {
	out   string
	image string
	force bool
}

// set reports whether any flag of `registry get` was given.
func (g *getFlags) set() bool { return g.out != "" || g.image != "" || g.force }

// Outcomes of writing one file.
const (
	fileNew       = "wrote"
	fileUnchanged = "unchanged"
	fileReplaced  = "replaced"
)

// plannedFile is a file to write and what writing it does.
type plannedFile struct {
	path    string // slash-separated, relative to the directory written to
	content []byte
	outcome string
}

// getVersion writes a version's files (its .proto files and
// pbregistry.yaml) under g.out and its compiled FileDescriptorSet to
// g.image. Everything is checked before anything is written: a path the
// registry sent that is not a clean relative path of a module file, a
// path that leads through a symbolic link out of the directory, or an
// existing file that differs (without --force) refuses the whole download.
func getVersion(ctx context.Context, e *env, f *clientFlags, c registryClient, module string, n int64, g getFlags) (int, error) {
	if g.out == "" && g.image == "" {
		return exitError, usagef("get needs --out DIR (the .proto files and pbregistry.yaml) or --image FILE (the compiled FileDescriptorSet), or both")
	}
	name := module
	if n > 0 {
		name = fmt.Sprintf("%s@v%d", module, n)
	}
	var (
		ver   *v1.Version
		files []*v1.File
		// imageOnly: the version was pushed as an image without .proto
		// sources; --out gets its descriptor set as imageOnlyFile.
		imageOnly bool
	)
	if g.out != "" {
		resp, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: module, Version: n, IncludeFiles: true}))
		if err != nil {
			return exitError, rpcError(f.registry, "get "+name, err)
		}
		ver, files = resp.Msg.GetVersion(), resp.Msg.GetFiles()
		warnDeprecated(e.stderr, resp.Msg.GetModule())
		n = ver.GetNumber() // the image, if asked for, is of the same version
		name = fmt.Sprintf("%s@v%d", module, n)
		imageOnly = !slices.ContainsFunc(files, func(f *v1.File) bool { return strings.HasSuffix(f.GetPath(), ".proto") })
		if len(files) > 0 || !imageOnly {
			if err := checkDownloadPaths(files); err != nil {
				return exitError, fmt.Errorf("get %s from %s: %w; refusing it, nothing was written", name, f.registry, err)
			}
		}
	}
	var fds []byte
	if g.image != "" || imageOnly {
		resp, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: module, Version: n}))
		if err != nil {
			return exitError, rpcError(f.registry, "get the descriptor set of "+name, err)
		}
		if ver == nil {
			ver = resp.Msg.GetVersion()
			name = fmt.Sprintf("%s@v%d", module, ver.GetNumber())
		}
		fds = resp.Msg.GetFileDescriptorSet()
		if _, err := image.Decode(fds); err != nil {
			return exitError, fmt.Errorf("get %s from %s: the descriptor set does not decode: %w; nothing was written", name, f.registry, err)
		}
	}
	if imageOnly {
		files = append(files, &v1.File{Path: imageOnlyFile, Content: fds})
		fmt.Fprintf(e.stderr, "%s was pushed as an image without its .proto sources: writing its FileDescriptorSet as %s, an input for pbcheck and buf\n", name, imageOnlyFile)
	}

	var root *os.Root
	var plan []plannedFile
	if g.out != "" {
		if err := os.MkdirAll(g.out, 0o755); err != nil {
			return exitError, fmt.Errorf("get %s: create --out %s: %w", name, g.out, err)
		}
		var err error
		if root, err = os.OpenRoot(g.out); err != nil {
			return exitError, fmt.Errorf("get %s: open --out %s: %w", name, g.out, err)
		}
		defer root.Close()
		if plan, err = planFiles(root, files, g.force); err != nil {
			return exitError, fmt.Errorf("get %s into %s: %w; nothing was written", name, g.out, err)
		}
	}
	var imageOutcome string
	if g.image != "" {
		var err error
		if imageOutcome, err = planImage(g.image, fds, g.force); err != nil {
			return exitError, fmt.Errorf("get %s: %w; nothing was written", name, err)
		}
	}

	if root != nil {
		if err := writePlanned(root, plan); err != nil {
			return exitError, fmt.Errorf("get %s into %s: %w", name, g.out, err)
		}
		fmt.Fprintf(e.stdout, "%s (%s) into %s:\n", name, shortDigest(ver.GetDigest()), g.out)
		for _, p := range plan {
			fmt.Fprintf(e.stdout, "  %-9s %s (%d bytes)\n", p.outcome, p.path, len(p.content))
		}
	}
	if g.image != "" {
		if imageOutcome != fileUnchanged {
			if err := writeImage(g.image, fds); err != nil {
				return exitError, fmt.Errorf("get %s: %w", name, err)
			}
		}
		fmt.Fprintf(e.stdout, "%s the FileDescriptorSet of %s to %s (%d bytes)\n", imageOutcome, name, g.image, len(fds))
	}
	return exitOK, nil
}

// imageOnlyFile is the file `registry get --out` writes a version's
// descriptor set to when the version was pushed as an image without its
// .proto sources.
const imageOnlyFile = "image.binpb"

// checkDownloadPaths returns an error naming the first file whose path is
// not safe to write under a directory: not a clean, relative,
// slash-separated path; not a .proto file, a configuration file or a
// fixture (what a push may carry); twice in the list; or both a file and a directory.
func checkDownloadPaths(files []*v1.File) error {
	if len(files) == 0 {
		return errors.New("the registry sent no files")
	}
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		p := f.GetPath()
		if problem := unsafePath(p); problem != "" {
			return fmt.Errorf("the registry sent file %q: %s", p, problem)
		}
		if seen[p] {
			return fmt.Errorf("the registry sent file %q twice", p)
		}
		seen[p] = true
	}
	for p := range seen {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if seen[d] {
				return fmt.Errorf("the registry sent %q both as a file and as the directory of %q", d, p)
			}
		}
	}
	return nil
}

// unsafePath says what makes p unsafe to write under a directory, or "".
func unsafePath(p string) string {
	switch {
	case p == "":
		return "the path is empty"
	case !utf8.ValidString(p) || strings.ContainsRune(p, 0):
		return "the path is not valid UTF-8 or holds a NUL byte"
	case strings.Contains(p, `\`):
		return `the path holds '\'`
	case path.IsAbs(p) || filepath.IsAbs(filepath.FromSlash(p)) || filepath.VolumeName(filepath.FromSlash(p)) != "":
		return "the path is absolute"
	case p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.."):
		return "the path leads out of the directory"
	case path.Clean(p) != p || !filepath.IsLocal(filepath.FromSlash(p)):
		return "the path is not clean and relative"
	}
	switch path.Base(p) {
	case registry.ConfigFileName, "buf.yaml", "buf.work.yaml":
		return ""
	}
	if _, fixture := registry.FixtureSubject(p); fixture {
		return ""
	}
	if !strings.HasSuffix(p, ".proto") {
		return "it is neither a .proto file nor pbregistry.yaml, buf.yaml or buf.work.yaml"
	}
	return ""
}

// planFiles says, for each file, whether writing it under root creates,
// replaces or leaves it. It refuses a path that leads out of root (through
// a symbolic link), a symbolic link, directory or special file where a
// file goes, and, without force, an existing file that differs.
func planFiles(root *os.Root, files []*v1.File, force bool) ([]plannedFile, error) {
	plan := make([]plannedFile, 0, len(files))
	var differ []string
	for _, f := range files {
		p := plannedFile{path: f.GetPath(), content: f.GetContent(), outcome: fileNew}
		name := filepath.FromSlash(p.path)
		info, err := root.Lstat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// A parent that escapes the directory is refused when the file
			// is written; check it now so that nothing is written.
			if perr := checkParents(root, p.path); perr != nil {
				return nil, perr
			}
		case err != nil:
			return nil, fmt.Errorf("cannot write %s: %w (does a symbolic link lead out of the directory?)", p.path, err)
		case info.Mode()&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("%s is a symbolic link: refusing to write through it; remove it or choose another --out", p.path)
		case !info.Mode().IsRegular():
			return nil, fmt.Errorf("%s exists and is not a regular file (%s): remove it or choose another --out", p.path, info.Mode().Type())
		default:
			old, err := root.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p.path, err)
			}
			switch {
			case bytes.Equal(old, p.content):
				p.outcome = fileUnchanged
			case force:
				p.outcome = fileReplaced
			default:
				differ = append(differ, p.path)
			}
		}
		plan = append(plan, p)
	}
	switch len(differ) {
	case 0:
	case 1:
		return nil, fmt.Errorf("existing file %s differs from the registry's: pass --force to replace it, or choose an empty --out", differ[0])
	default:
		return nil, fmt.Errorf("%d existing files differ from the registry's: %s: pass --force to replace them, or choose an empty --out",
			len(differ), strings.Join(differ, ", "))
	}
	slices.SortFunc(plan, func(a, b plannedFile) int { return strings.Compare(a.path, b.path) })
	return plan, nil
}

// checkParents returns an error if an existing parent directory of p
// under root cannot be entered without leaving root, or is not a
// directory.
func checkParents(root *os.Root, p string) error {
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		info, err := root.Stat(filepath.FromSlash(d))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cannot write %s: %w (does a symbolic link lead out of the directory?)", p, err)
		}
		if !info.IsDir() {
			return fmt.Errorf("cannot write %s: %s exists and is not a directory", p, d)
		}
		return nil
	}
	return nil
}

// writePlanned writes the new and replaced files of plan under root: each
// into a temporary file next to it first, then, once all are written,
// renamed into place; on a failure before the renames, the temporary files
// and the directories it created are removed.
func writePlanned(root *os.Root, plan []plannedFile) (err error) {
	var temps, created []string
	defer func() {
		if err == nil {
			return
		}
		for _, t := range temps {
			root.Remove(t)
		}
		for _, d := range slices.Backward(created) {
			root.Remove(d) // only if still empty
		}
	}()
	var targets []string
	for _, p := range plan {
		if p.outcome == fileUnchanged {
			continue
		}
		name := filepath.FromSlash(p.path)
		if err := mkdirTracked(root, filepath.Dir(name), &created); err != nil {
			return err
		}
		tmp := filepath.Join(filepath.Dir(name), fmt.Sprintf(".%s.pbcheck-%d.tmp", filepath.Base(name), os.Getpid()))
		file, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write %s: %w", p.path, err)
		}
		temps = append(temps, tmp)
		_, werr := file.Write(p.content)
		if cerr := file.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write %s: %w", p.path, werr)
		}
		targets = append(targets, name)
	}
	for i, t := range targets {
		if err := root.Rename(temps[i], t); err != nil {
			return fmt.Errorf("write %s: %w (files before it in the list are written)", filepath.ToSlash(t), err)
		}
	}
	temps = nil
	return nil
}

// mkdirTracked creates dir and its missing parents under root, appending
// the ones it created to created, parents first.
func mkdirTracked(root *os.Root, dir string, created *[]string) error {
	if dir == "." {
		return nil
	}
	if _, err := root.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirTracked(root, filepath.Dir(dir), created); err != nil {
		return err
	}
	if err := root.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create directory %s: %w", filepath.ToSlash(dir), err)
	}
	*created = append(*created, dir)
	return nil
}

// planImage says whether writing data to file creates, replaces or
// leaves it, refusing to replace a file that differs without force.
func planImage(file string, data []byte, force bool) (string, error) {
	info, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fileNew, nil
	case err != nil:
		return "", fmt.Errorf("--image %s: %w", file, err)
	case !info.Mode().IsRegular():
		return "", fmt.Errorf("--image %s exists and is not a regular file", file)
	}
	old, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--image %s: %w", file, err)
	}
	switch {
	case bytes.Equal(old, data):
		return fileUnchanged, nil
	case force:
		return fileReplaced, nil
	}
	return "", fmt.Errorf("--image %s exists and differs from the registry's descriptor set: pass --force to replace it", file)
}

// writeImage writes data to file through a temporary file in the same
// directory, so that file is never half-written.
func writeImage(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--image %s: %w", file, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".pbcheck-*.tmp")
	if err != nil {
		return fmt.Errorf("--image %s: %w", file, err)
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), file)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--image %s: %w", file, werr)
	}
	return nil
}
