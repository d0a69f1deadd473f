package image

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
)

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// Gunzip returns data decompressed when it starts like a gzip stream, and
// data itself otherwise. The decompressed size is bounded by
// limits.MaxBytes (its zero value meaning DefaultLimits'): a small stream
// that expands past it — a gzip bomb — is refused with a DecodeError once
// that many bytes came out, without reading further.
func Gunzip(data []byte, limits Limits) ([]byte, error) {
	if !bytes.HasPrefix(data, gzipMagic) {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, &DecodeError{Msg: fmt.Sprintf("starts like gzip data but is not: %v", err)}
	}
	zr.Multistream(false)
	max := limits.Resolved().MaxBytes
	r := io.Reader(zr)
	if max > 0 {
		r = io.LimitReader(zr, int64(max)+1)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, &DecodeError{Msg: fmt.Sprintf("bad gzip data: %v", err)}
	}
	if max > 0 && len(out) > max {
		return nil, &DecodeError{Msg: fmt.Sprintf("the image decompresses to more than %d bytes, the limit: split the module into smaller images", max)}
	}
	return out, nil
}

// DecodeCanonical decodes an image a client sent — a binary
// FileDescriptorSet or buf image, gzip-compressed or not (see Gunzip) —
// within limits, into the canonical form the registry stores and digests:
//
//   - files in a canonical order: sorted by path, then each dependency
//     moved before its dependents (a depth-first walk in path order), so
//     the order the client's tool wrote them in does not matter;
//   - each file re-encoded from its linked descriptor (Image.Encode):
//     deterministic marshalling, buf's image extension reduced to
//     is_import (and is_syntax_unspecified), any other unknown field of a
//     FileDescriptorProto dropped; source info is kept as it was built.
//
// marked reports whether the data carried buf's image extension on any
// file: then each file's IsImport is buf's; otherwise (protoc's
// --descriptor_set_out) every file is an input file and the caller
// decides which are imports (see WithImports). Every error is a
// *DecodeError naming the file at fault when there is one.
func DecodeCanonical(data []byte, limits Limits) (img *Image, marked bool, err error) {
	if data, err = Gunzip(data, limits); err != nil {
		return nil, false, err
	}
	files, imports, marked, err := decodeSet(data, limits)
	if err != nil {
		return nil, false, err
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(files[a].GetName(), files[b].GetName()) })
	sorted := make([]*descriptorpb.FileDescriptorProto, len(files))
	sortedImports := make([]bool, len(files))
	for n, i := range order {
		sorted[n], sortedImports[n] = files[i], imports[i]
	}
	if img, err = link(sorted, sortedImports); err != nil {
		return nil, false, err
	}
	return img, marked, nil
}

// WithImports returns a copy of the image in which each file's IsImport
// is isImport(file); the files and their order are the image's.
func (i *Image) WithImports(isImport func(f *File) bool) *Image {
	files := make([]*File, len(i.files))
	byPath := make(map[string]*File, len(i.files))
	for n, f := range i.files {
		c := *f
		c.IsImport = isImport(f)
		files[n] = &c
		byPath[c.Path()] = &c
	}
	return &Image{files: files, byPath: byPath}
}

// WithExternalPaths returns a copy of the image in which each file whose
// path is a key of paths has that ExternalPath (the path shown to people).
func (i *Image) WithExternalPaths(paths map[string]string) *Image {
	files := make([]*File, len(i.files))
	byPath := make(map[string]*File, len(i.files))
	for n, f := range i.files {
		c := *f
		if p, ok := paths[c.Path()]; ok {
			c.ExternalPath = p
		}
		files[n] = &c
		byPath[c.Path()] = &c
	}
	return &Image{files: files, byPath: byPath}
}
