package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pbregistry/pbregistry/config"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/registry"
)

// imagePush is what `pbcheck push --image` sends: the image as read
// (binary, gzip-compressed or not; a JSON image converted to binary), and
// the module directory's configuration files with, when sources is set,
// the .proto files under its roots that are files of the image.
type imagePush struct {
	image []byte
	files []*v1.File
}

// readImagePush reads the image at p ("-" for stdin) and the files of the
// module directory dir to send beside it (see moduleFilesFor).
func readImagePush(p string, stdin io.Reader, dir string, sources bool) (*imagePush, error) {
	data, img, marked, err := readImage(p, stdin)
	if err != nil {
		return nil, err
	}
	files, err := moduleFilesFor(dir, img, marked, sources)
	if err != nil {
		return nil, err
	}
	return &imagePush{image: data, files: files}, nil
}

// readImage reads the image at p ("-" for stdin): binary as it is, JSON
// converted to binary. It is decoded here too, within
// image.DefaultLimits, so that a broken image is reported before anything
// is sent, naming the file; marked reports buf's import flags.
func readImage(p string, stdin io.Reader) (data []byte, img *image.Image, marked bool, err error) {
	name := p
	var r io.Reader
	if p == "-" {
		name, r = "standard input", stdin
	} else {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, false, fmt.Errorf("image %s: %w", name, err)
		}
		defer f.Close()
		r = f
	}
	limits := image.DefaultLimits
	data, err = io.ReadAll(io.LimitReader(r, int64(limits.MaxBytes)+1))
	if err != nil {
		return nil, nil, false, fmt.Errorf("image: read %s: %w", name, err)
	}
	if len(data) > limits.MaxBytes {
		return nil, nil, false, fmt.Errorf("image %s is larger than %d bytes, the limit: split the module into smaller images", name, limits.MaxBytes)
	}
	if base := strings.TrimSuffix(p, ".gz"); strings.HasSuffix(base, ".json") {
		// The registry takes binary images: convert buf's JSON form.
		raw, err := image.Gunzip(data, limits)
		if err != nil {
			return nil, nil, false, fmt.Errorf("image %s: %w", name, err)
		}
		if img, err = image.DecodeJSON(raw); err != nil {
			return nil, nil, false, fmt.Errorf("image %s: %w", name, err)
		}
		if data, err = img.Encode(); err != nil {
			return nil, nil, false, fmt.Errorf("image %s: %w", name, err)
		}
	}
	if img, marked, err = image.DecodeCanonical(data, limits); err != nil {
		return nil, nil, false, fmt.Errorf("image %s: %w; build it with `buf build -o image.binpb` or `protoc --include_imports --include_source_info --descriptor_set_out=image.binpb`", name, err)
	}
	return data, img, marked, nil
}

// moduleFilesFor returns the files of the module directory dir to send
// with img: its configuration files and, when sources is set, the .proto
// files under its roots that are files of the image.
func moduleFilesFor(dir string, img *image.Image, marked, sources bool) ([]*v1.File, error) {
	if !sources {
		return readModuleConfig(dir)
	}
	files, _, err := readModule(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (push the image without sources with --sources=false)", err)
	}
	var out []*v1.File
	for _, f := range files {
		if !strings.HasSuffix(f.GetPath(), ".proto") || imageFileOf(img, marked, f.GetPath()) {
			out = append(out, f)
		}
	}
	return out, nil
}

// imageFileOf reports whether the source at path p is one of img's files
// (an input file when the image says which are imports): its import path,
// or p with leading directories (a root such as "proto/") removed.
func imageFileOf(img *image.Image, marked bool, p string) bool {
	for rest := p; ; {
		if f := img.File(rest); f != nil {
			return !marked || !f.IsImport
		}
		_, after, ok := strings.Cut(rest, "/")
		if !ok {
			return false
		}
		rest = after
	}
}

// readModuleConfig returns the configuration files of the module
// directory dir: pbregistry.yaml, buf.yaml and buf.work.yaml, those that
// exist, and its fixtures (testdata/<subject>/<name>.json|.binpb).
func readModuleConfig(dir string) ([]*v1.File, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("module %s is not a directory: give the directory holding pbregistry.yaml", dir)
	}
	fsys := os.DirFS(dir)
	var files []*v1.File
	for _, name := range []string{registry.ConfigFileName, config.BufYAML, config.BufWorkYAML} {
		data, err := fs.ReadFile(fsys, name)
		if err == nil {
			files = append(files, &v1.File{Path: name, Content: data})
		} else if !os.IsNotExist(err) {
			return nil, fmt.Errorf("module %s: %w", dir, err)
		}
	}
	return withFixtures(files, dir)
}

// checkPushRequest returns the CheckPush request for the input of
// `pbcheck breaking --against-registry` and the module directory it was
// read from: the module directory ref; or, when ref is an image (.binpb,
// .json, - …), the image as `pbcheck push --image` in the working
// directory sends it — with the sources of its files when the directory
// holds them, so that the verdict names the digest the push will have.
func checkPushRequest(ref string, stdin io.Reader) (*v1.CheckPushRequest, string, error) {
	r, err := input.ParseRef(ref)
	if err != nil || r.Format != input.FormatBinpb && r.Format != input.FormatJSON {
		files, _, err := readModule(ref)
		if err != nil {
			return nil, ref, err
		}
		return &v1.CheckPushRequest{Files: files}, ref, nil
	}
	data, img, marked, err := readImage(r.Path, stdin)
	if err != nil {
		return nil, ".", err
	}
	files, err := moduleFilesFor(".", img, marked, true)
	if err != nil {
		if files, err = moduleFilesFor(".", img, marked, false); err != nil {
			return nil, ".", err
		}
	}
	return &v1.CheckPushRequest{Image: data, Files: files}, ".", nil
}
