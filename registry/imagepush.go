package registry

import (
	"fmt"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
)

// An image push sends the module compiled — a FileDescriptorSet or buf
// image with source info, as `buf build` or `protoc --include_imports
// --include_source_info --descriptor_set_out` write it — instead of the
// .proto files: for schemas the built-in compiler cannot parse (Edition
// 2024 and later). It replaces exactly the compile step of a source push,
// which yields the image and the module's breaking: configuration; the
// check, the commit and every later feature are those of a source push.
//
// prepareImage, called by prepare for a PushRequest with an Image:
//
//  1. bounds the image by the push limits: its size, compressed and
//     decompressed, by limits.max_total_bytes; its files by
//     limits.max_files; its source locations by image.DefaultLimits
//     (what they cost to load, not their bytes, is the danger);
//  2. decodes and validates it (image.DecodeCanonical: protodesc linking,
//     known editions, every dependency present, each file once) into its
//     canonical form — files sorted, dependencies first, deterministic
//     encoding, source info kept — so that the same schema gives the same
//     bytes whatever tool or order wrote it;
//  3. matches the .proto sources sent beside it (optional; kept for
//     display, downloads and stack repositories) to the image's files, by
//     import path under the module's roots, and decides which files are
//     imports: buf's flags when the image has them, else the files
//     without a source (when sources were sent) or the well-known types;
//  4. reads the breaking: configuration from pbregistry.yaml (and buf.yaml)
//     as a compile would, and computes the digest, ImageDigest over the
//     canonical image, the sources and pbregistry.yaml: the same image
//     pushed twice is the same content, answered with its version.
//
// Anything wrong is an *InvalidArgumentError on field "image" or "files",
// before the store is read: nothing is written.

// imageLimits are the image.Limits of an image push under l.
func (l Limits) imageLimits() image.Limits {
	return image.Limits{MaxBytes: l.MaxTotalBytes, MaxFiles: l.MaxFiles}
}

// prepareImage validates and canonicalizes an image push's image and
// sets p's image, breaking configuration, declared subjects, canonical
// image bytes and digest.
func (s *Service) prepareImage(p *prepared) error {
	raw := p.req.Image
	if max := s.limits.MaxTotalBytes; max > 0 && len(raw) > max {
		return invalid("image", "the image is %d bytes, more than the limit of %d (limits.max_total_bytes): split the module", len(raw), max)
	}
	img, marked, err := image.DecodeCanonical(raw, s.limits.imageLimits())
	if err != nil {
		return invalid("image", "the image is not valid: %v", strings.TrimPrefix(err.Error(), "image: "))
	}
	sources, err := matchSources(img, p.files)
	if err != nil {
		return err
	}
	img, err = markImports(img, marked, sources)
	if err != nil {
		return err
	}
	img = img.WithExternalPaths(sources)
	cfg, err := s.imageConfig(p)
	if err != nil {
		return err
	}
	canonical, err := img.Encode()
	if err != nil {
		return fmt.Errorf("push %s: encode image: %w", p.module, err)
	}
	digest, err := ImageDigest(canonical, p.files, p.config)
	if err != nil {
		return err
	}
	p.image, p.imageBytes, p.digest = img, canonical, digest
	p.moduleCfg = compat.Config{Version: "v2"}
	if len(cfg.Modules) > 0 {
		p.moduleCfg = cfg.Modules[0].Breaking.CompatConfig()
	}
	p.declared = SubjectSpecsOf(p.cfg)
	return nil
}

// imageConfig reads the configuration of an image push as a source push's
// compile does: pbregistry.yaml, with buf.yaml and buf.work.yaml when
// they were sent; the default configuration when none was.
func (s *Service) imageConfig(p *prepared) (*config.Config, error) {
	fsys := make(fstest.MapFS, len(p.files)+1)
	for _, f := range p.files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Content, Mode: 0o444}
	}
	if p.config != nil {
		fsys[ConfigFileName] = &fstest.MapFile{Data: p.config, Mode: 0o444}
	}
	cfg, err := config.Load(fsys, ".", "")
	if err != nil {
		return nil, invalid("files", "%v", err)
	}
	if cfg == nil {
		cfg = config.Default()
	}
	return cfg, nil
}

// matchSources returns, for each file of img that a .proto source was
// sent for, that source's path: the file's import path itself, or a path
// ending in "/" + its import path (under a root such as "proto/"), the
// shortest when several match. A source that matches no file is an
// error: the sources describe the image, nothing else.
func matchSources(img *image.Image, files []File) (map[string]string, error) {
	out := map[string]string{}
	for i, f := range files {
		if !strings.HasSuffix(f.Path, ".proto") {
			continue
		}
		matched := false
		for rest := f.Path; ; {
			if file := img.File(rest); file != nil {
				if prev, ok := out[rest]; !ok || len(f.Path) < len(prev) {
					out[rest] = f.Path
				}
				matched = true
				break
			}
			_, after, ok := strings.Cut(rest, "/")
			if !ok {
				break
			}
			rest = after
		}
		if !matched {
			return nil, invalid(fmt.Sprintf("files[%d].path", i), "source %s is not a file of the image: send the .proto sources of the image's files, "+
				"at their import paths under the module's roots, or none", f.Path)
		}
	}
	return out, nil
}

// markImports decides which files of an image push are imports: buf's
// flags when the image carries them (marked); else, when sources were
// sent, the files without one; else the files protoc ships
// (google/protobuf/*.proto). With sources, each input file
// must have one, and no import may: the stored sources are the module.
func markImports(img *image.Image, marked bool, sources map[string]string) (*image.Image, error) {
	switch {
	case marked:
	case len(sources) > 0:
		img = img.WithImports(func(f *image.File) bool { _, ok := sources[f.Path()]; return !ok })
	default:
		img = img.WithImports(func(f *image.File) bool { return isWellKnown(f.Path()) })
	}
	var inputs int
	var missing []string
	for _, f := range img.Files() {
		_, hasSource := sources[f.Path()]
		switch {
		case f.IsImport && hasSource:
			return nil, invalid("files", "source %s is the image's file %s, which the image marks as an import (a dependency, not part of the module): do not send it", sources[f.Path()], f.Path())
		case !f.IsImport:
			inputs++
			if len(sources) > 0 && !hasSource {
				missing = append(missing, f.Path())
			}
		}
	}
	if inputs == 0 {
		return nil, invalid("image", "every file of the image is an import: build the image from the module's own files")
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, invalid("files", "the image's file %s has no source among the files sent (%d of %d files have none): send the .proto source of every file of the module, or none",
			missing[0], len(missing), inputs)
	}
	return img, nil
}

// isWellKnown reports whether path is one of the files protoc ships
// (google/protobuf/: the well-known types, descriptor.proto and the
// language features), which it writes into a descriptor set without
// saying that they are imports.
func isWellKnown(path string) bool { return strings.HasPrefix(path, "google/protobuf/") }
