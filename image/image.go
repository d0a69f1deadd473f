// Package image holds a compiled set of .proto files — what buf calls an
// image — the unit that pbregistry compares, pushes and publishes.
//
// An Image is produced by the input package (from a directory, a single
// file, a serialized descriptor set or a git ref) or decoded from bytes, and
// is consumed by compat, policies and the registry. Every file is linked:
// its Descriptor resolves every type it references, including those of its
// imports, which the Image also contains, flagged IsImport.
package image

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// File is one linked .proto file of an Image.
type File struct {
	// Descriptor is the linked file. Its Path is the path relative to the
	// module root, e.g. "acme/billing/v1/invoice.proto".
	Descriptor protoreflect.FileDescriptor
	// IsImport reports whether the file is only present because an input
	// file imports it (a well-known type, a dependency). Checks do not
	// report findings located in imports.
	IsImport bool
	// ExternalPath is the path shown to people for this file: relative to
	// the working directory for files read from disk, so that editors and
	// CI annotations can open it. Empty means Path.
	ExternalPath string
}

// Path returns the file's path relative to its module root.
func (f *File) Path() string { return f.Descriptor.Path() }

// DisplayPath returns ExternalPath, or Path when ExternalPath is empty.
func (f *File) DisplayPath() string {
	if f.ExternalPath != "" {
		return f.ExternalPath
	}
	return f.Path()
}

// Image is an ordered set of linked files, each dependency before its
// dependents, with unique paths.
type Image struct {
	files  []*File
	byPath map[string]*File
}

// New returns an Image of files, which must have unique paths and list every
// dependency before the files that import it.
func New(files []*File) (*Image, error) {
	byPath := make(map[string]*File, len(files))
	for _, f := range files {
		if f == nil || f.Descriptor == nil {
			return nil, fmt.Errorf("image: nil file")
		}
		if _, dup := byPath[f.Path()]; dup {
			return nil, fmt.Errorf("image: file %q appears twice", f.Path())
		}
		byPath[f.Path()] = f
	}
	return &Image{files: files, byPath: byPath}, nil
}

// Files returns every file of the image, imports included, dependencies first.
func (i *Image) Files() []*File { return i.files }

// File returns the file at path, or nil.
func (i *Image) File(path string) *File { return i.byPath[path] }

// InputFiles returns the files that are not imports.
func (i *Image) InputFiles() []*File {
	out := make([]*File, 0, len(i.files))
	for _, f := range i.files {
		if !f.IsImport {
			out = append(out, f)
		}
	}
	return out
}
