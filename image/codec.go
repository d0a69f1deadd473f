package image

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Serialized images are google.protobuf.FileDescriptorSet messages. buf
// adds, on each FileDescriptorProto, a field numbered bufExtensionField
// holding a buf.alpha.image.v1.ImageFileExtension, whose field
// extIsImport is the file's IsImport. Both are public wire facts, read and
// written here with protowire so no generated code is needed.
const (
	fdsFileField           = 1    // FileDescriptorSet.file
	bufExtensionField      = 8042 // FileDescriptorProto: buf's ImageFileExtension
	extIsImport            = 1    // ImageFileExtension.is_import
	extIsSyntaxUnspecified = 3    // ImageFileExtension.is_syntax_unspecified
)

// DecodeError is returned by Decode and DecodeJSON for data that is not a
// valid image.
type DecodeError struct {
	// File is the path of the file at fault, when there is one.
	File string
	// Msg says what is wrong.
	Msg string
}

// Error returns "image: file "x.proto": message" or "image: message".
func (e *DecodeError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("image: file %q: %s", e.File, e.Msg)
	}
	return "image: " + e.Msg
}

// Decode reads a binary FileDescriptorSet or buf image within
// DefaultLimits. Files may come in any order; the result lists
// dependencies first. Each file's IsImport is read from buf's image
// extension; files without it are not imports. A file importing a file
// absent from the set is an error naming both; so is a file of an edition
// outside Editions.
func Decode(data []byte) (*Image, error) {
	return DecodeWithLimits(data, Limits{})
}

// DecodeWithLimits is Decode within limits; their zero value means
// DefaultLimits. Data past a limit is refused before it is decoded.
func DecodeWithLimits(data []byte, limits Limits) (*Image, error) {
	files, imports, _, err := decodeSet(data, limits)
	if err != nil {
		return nil, err
	}
	return link(files, imports)
}

// decodeSet unmarshals a binary FileDescriptorSet or buf image within
// limits and reads each file's IsImport; marked reports whether any file
// carries buf's image extension.
func decodeSet(data []byte, limits Limits) (files []*descriptorpb.FileDescriptorProto, imports []bool, marked bool, err error) {
	if err := limits.Resolved().check(data); err != nil {
		return nil, nil, false, err
	}
	var set descriptorpb.FileDescriptorSet
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, &set); err != nil {
		return nil, nil, false, &DecodeError{Msg: fmt.Sprintf("not a serialized FileDescriptorSet or buf image: %v", err)}
	}
	imports = make([]bool, len(set.File))
	for i, fd := range set.File {
		isImport, present, err := readIsImport(fd.ProtoReflect().GetUnknown())
		if err != nil {
			return nil, nil, false, &DecodeError{File: fd.GetName(), Msg: err.Error()}
		}
		imports[i] = isImport
		marked = marked || present
	}
	return set.File, imports, marked, nil
}

// DecodeJSON reads a FileDescriptorSet or buf image in protobuf's JSON
// form, as `buf build -o x.json` writes it (with "bufExtension" objects),
// within DefaultLimits.
func DecodeJSON(data []byte) (*Image, error) {
	return DecodeJSONWithLimits(data, Limits{})
}

// DecodeJSONWithLimits is DecodeJSON within limits; their zero value
// means DefaultLimits. The size is checked before decoding, the number of
// files and of source locations file by file as they are decoded.
func DecodeJSONWithLimits(data []byte, limits Limits) (*Image, error) {
	l := limits.Resolved()
	if l.MaxBytes > 0 && len(data) > l.MaxBytes {
		return nil, &DecodeError{Msg: fmt.Sprintf("the image is %d bytes, more than the limit of %d: split the module into smaller images", len(data), l.MaxBytes)}
	}
	var set struct {
		File []json.RawMessage `json:"file"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, &DecodeError{Msg: fmt.Sprintf("not a JSON FileDescriptorSet or buf image: %v", err)}
	}
	if l.MaxFiles > 0 && len(set.File) > l.MaxFiles {
		return nil, &DecodeError{Msg: fmt.Sprintf("the image has more than %d files, the limit: split the module into smaller images", l.MaxFiles)}
	}
	files := make([]*descriptorpb.FileDescriptorProto, len(set.File))
	imports := make([]bool, len(set.File))
	locations := 0
	for i, raw := range set.File {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, &DecodeError{Msg: fmt.Sprintf("file #%d is not a JSON object: %v", i+1, err)}
		}
		for _, key := range []string{"bufExtension", "buf_extension"} {
			ext, ok := fields[key]
			if !ok {
				continue
			}
			delete(fields, key)
			var e struct {
				IsImport  *bool `json:"isImport"`
				IsImport2 *bool `json:"is_import"`
			}
			if err := json.Unmarshal(ext, &e); err != nil {
				return nil, &DecodeError{Msg: fmt.Sprintf("file #%d: invalid %s: %v", i+1, key, err)}
			}
			imports[i] = (e.IsImport != nil && *e.IsImport) || (e.IsImport2 != nil && *e.IsImport2)
		}
		clean, err := json.Marshal(fields)
		if err != nil {
			return nil, &DecodeError{Msg: fmt.Sprintf("file #%d: %v", i+1, err)}
		}
		fd := new(descriptorpb.FileDescriptorProto)
		if err := protojson.Unmarshal(clean, fd); err != nil {
			return nil, &DecodeError{File: fd.GetName(), Msg: fmt.Sprintf("file #%d is not a FileDescriptorProto: %v", i+1, err)}
		}
		locations += len(fd.GetSourceCodeInfo().GetLocation())
		if l.MaxSourceLocations > 0 && locations > l.MaxSourceLocations {
			return nil, l.tooManyLocations(fd.GetName())
		}
		files[i] = fd
	}
	return link(files, imports)
}

// readIsImport finds buf's image extension in a FileDescriptorProto's
// unknown fields and returns its is_import, and whether the extension is
// there.
func readIsImport(unknown []byte) (isImport, present bool, err error) {
	for len(unknown) > 0 {
		num, typ, n := protowire.ConsumeTag(unknown)
		if n < 0 {
			return false, false, fmt.Errorf("malformed unknown field: %v", protowire.ParseError(n))
		}
		unknown = unknown[n:]
		if num == bufExtensionField && typ == protowire.BytesType {
			ext, n := protowire.ConsumeBytes(unknown)
			if n < 0 {
				return false, false, fmt.Errorf("malformed buf image extension: %v", protowire.ParseError(n))
			}
			unknown = unknown[n:]
			v, err := readExtIsImport(ext)
			if err != nil {
				return false, false, err
			}
			isImport, present = v, true
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, unknown)
		if n < 0 {
			return false, false, fmt.Errorf("malformed unknown field %d: %v", num, protowire.ParseError(n))
		}
		unknown = unknown[n:]
	}
	return isImport, present, nil
}

func readExtIsImport(ext []byte) (bool, error) {
	isImport := false
	for len(ext) > 0 {
		num, typ, n := protowire.ConsumeTag(ext)
		if n < 0 {
			return false, fmt.Errorf("malformed buf image extension: %v", protowire.ParseError(n))
		}
		ext = ext[n:]
		if num == extIsImport && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(ext)
			if n < 0 {
				return false, fmt.Errorf("malformed buf image extension is_import: %v", protowire.ParseError(n))
			}
			ext = ext[n:]
			isImport = v != 0
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, ext)
		if n < 0 {
			return false, fmt.Errorf("malformed buf image extension field %d: %v", num, protowire.ParseError(n))
		}
		ext = ext[n:]
	}
	return isImport, nil
}

// link sorts files dependencies first and links them with protodesc.
func link(files []*descriptorpb.FileDescriptorProto, imports []bool) (img *Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, &DecodeError{Msg: fmt.Sprintf("invalid descriptors: %v", r)}
		}
	}()
	if len(files) == 0 {
		return nil, &DecodeError{Msg: "the image contains no files"}
	}
	index := make(map[string]int, len(files))
	for i, fd := range files {
		name := fd.GetName()
		if name == "" {
			return nil, &DecodeError{Msg: fmt.Sprintf("file #%d has no name", i+1)}
		}
		if _, dup := index[name]; dup {
			return nil, &DecodeError{File: name, Msg: "appears twice: an image holds each file once; build it again with buf build or protoc"}
		}
		index[name] = i
		if err := checkEdition(fd); err != nil {
			return nil, &DecodeError{File: name, Msg: err.Error()}
		}
	}
	// Depth-first topological sort, keeping the input order otherwise.
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]uint8, len(files))
	order := make([]int, 0, len(files))
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			return &DecodeError{File: files[i].GetName(), Msg: "is part of an import cycle"}
		}
		state[i] = visiting
		for _, dep := range files[i].GetDependency() {
			j, ok := index[dep]
			if !ok {
				return &DecodeError{File: files[i].GetName(), Msg: fmt.Sprintf("imports %q, which is not in the image: build the image with its imports (buf build includes them; protoc needs --include_imports)", dep)}
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		// Files imported with `import option` (Edition 2024) define the
		// options the file sets: without them its options cannot be read.
		for _, dep := range files[i].GetOptionDependency() {
			j, ok := index[dep]
			if !ok {
				return &DecodeError{File: files[i].GetName(), Msg: fmt.Sprintf("imports %q with import option, which is not in the image: build the image with its imports (buf build includes them; protoc needs --include_imports)", dep)}
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = done
		order = append(order, i)
		return nil
	}
	for i := range files {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	reg := new(protoregistry.Files)
	out := make([]*File, 0, len(files))
	for _, i := range order {
		fd, err := protodesc.NewFile(files[i], reg)
		if err != nil {
			return nil, &DecodeError{File: files[i].GetName(), Msg: err.Error()}
		}
		if err := reg.RegisterFile(fd); err != nil {
			return nil, &DecodeError{File: files[i].GetName(), Msg: err.Error()}
		}
		out = append(out, &File{Descriptor: fd, IsImport: imports[i]})
	}
	return New(out)
}

// fileDescriptorProtoer is implemented by descriptors that keep the
// FileDescriptorProto they were built from, such as protocompile's.
type fileDescriptorProtoer interface {
	FileDescriptorProto() *descriptorpb.FileDescriptorProto
}

// FileDescriptorProto returns the descriptor proto of f, without copying
// when the descriptor keeps its own (as protocompile's do). The result
// must not be modified.
func (f *File) FileDescriptorProto() *descriptorpb.FileDescriptorProto {
	if p, ok := f.Descriptor.(fileDescriptorProtoer); ok {
		if fdp := p.FileDescriptorProto(); fdp != nil {
			return fdp
		}
	}
	return protodesc.ToFileDescriptorProto(f.Descriptor)
}

// Encode serializes the image as a binary FileDescriptorSet, dependencies
// first, that buf reads as an image: each file carries buf's image
// extension with is_import (and is_syntax_unspecified for files without a
// syntax statement).
func (i *Image) Encode() ([]byte, error) {
	var out []byte
	mo := proto.MarshalOptions{Deterministic: true}
	for _, f := range i.files {
		fdp := f.FileDescriptorProto()
		b, err := mo.Marshal(fdp)
		if err != nil {
			return nil, fmt.Errorf("image: encode %s: %w", f.Path(), err)
		}
		b = appendBufExtension(b, f.IsImport, fdp.Syntax == nil && fdp.Edition == nil && f.Descriptor.Syntax() == protoreflect.Proto2)
		out = protowire.AppendTag(out, fdsFileField, protowire.BytesType)
		out = protowire.AppendBytes(out, b)
	}
	return out, nil
}

// Encode serializes img; see Image.Encode.
func Encode(img *Image) ([]byte, error) {
	if img == nil {
		return nil, errors.New("image: encode nil image")
	}
	return img.Encode()
}

func appendBufExtension(b []byte, isImport, syntaxUnspecified bool) []byte {
	var ext []byte
	ext = protowire.AppendTag(ext, extIsImport, protowire.VarintType)
	ext = protowire.AppendVarint(ext, protowire.EncodeBool(isImport))
	ext = protowire.AppendTag(ext, extIsSyntaxUnspecified, protowire.VarintType)
	ext = protowire.AppendVarint(ext, protowire.EncodeBool(syntaxUnspecified))
	b = protowire.AppendTag(b, bufExtensionField, protowire.BytesType)
	return protowire.AppendBytes(b, ext)
}
