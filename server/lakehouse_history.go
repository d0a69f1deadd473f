package server

import (
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/image"
)

// historyDecoder decodes the stored descriptor sets of a module's versions
// for the lakehouse generators, linking each distinct file once: a file
// whose bytes and imports are those of a file decoded for an earlier
// version gets that version's descriptor. A long history changes a few
// files per version, so most versions cost a hash of their files; and the
// generators see the unchanged messages as the same descriptor, which they
// merge once (lakehouse.NewTable drops repeats).
type historyDecoder struct {
	// files holds the linked files by key: the SHA-256 of the file's
	// bytes and of its imports' keys.
	files map[[32]byte]protoreflect.FileDescriptor
	// messages holds each linked file's messages by full name.
	messages map[[32]byte]map[protoreflect.FullName]protoreflect.MessageDescriptor
}

func newHistoryDecoder() *historyDecoder {
	return &historyDecoder{files: map[[32]byte]protoreflect.FileDescriptor{}, messages: map[[32]byte]map[protoreflect.FullName]protoreflect.MessageDescriptor{}}
}

// versionMessages are the messages of one version, by full name: a
// dbt.Messages built from the decoder's per-file maps, without indexing
// every field of every version as image.NewIndex does.
type versionMessages map[protoreflect.FullName]protoreflect.MessageDescriptor

// Message implements dbt.Messages.
func (v versionMessages) Message(name protoreflect.FullName) protoreflect.MessageDescriptor {
	return v[name]
}

// messagesOf returns the messages of a stored descriptor set.
func (d *historyDecoder) messagesOf(data []byte) (versionMessages, error) {
	files, keys, err := d.link(data)
	if err != nil {
		return nil, err
	}
	n := 0
	maps := make([]map[protoreflect.FullName]protoreflect.MessageDescriptor, len(files))
	for i, fd := range files {
		m, ok := d.messages[keys[i]]
		if !ok {
			m = map[protoreflect.FullName]protoreflect.MessageDescriptor{}
			var add func(protoreflect.MessageDescriptors)
			add = func(msgs protoreflect.MessageDescriptors) {
				for j := 0; j < msgs.Len(); j++ {
					m[msgs.Get(j).FullName()] = msgs.Get(j)
					add(msgs.Get(j).Messages())
				}
			}
			add(fd.Messages())
			d.messages[keys[i]] = m
		}
		maps[i] = m
		n += len(m)
	}
	out := make(versionMessages, n)
	for _, m := range maps {
		for name, md := range m {
			out[name] = md
		}
	}
	return out, nil
}

// decode returns the image of a stored descriptor set (written by the
// registry after checking it, so within image.StoredLimits: none).
func (d *historyDecoder) decode(data []byte) (*image.Image, error) {
	files, _, err := d.link(data)
	if err != nil {
		return nil, err
	}
	out := make([]*image.File, len(files))
	for i, fd := range files {
		out[i] = &image.File{Descriptor: fd}
	}
	return image.New(out)
}

// link returns the linked files of a stored descriptor set, dependencies
// first, and their keys.
func (d *historyDecoder) link(data []byte) ([]protoreflect.FileDescriptor, [][32]byte, error) {
	// The set's files, as bytes: FileDescriptorSet.file is field 1.
	var raws [][]byte
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, fmt.Errorf("descriptor set: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, nil, fmt.Errorf("descriptor set: %w", protowire.ParseError(m))
			}
			raws = append(raws, v)
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, nil, fmt.Errorf("descriptor set: %w", protowire.ParseError(m))
		}
		b = b[m:]
	}
	// Each file's name and imports, to link them dependencies first.
	type file struct {
		raw   []byte
		name  string
		deps  []string // imports, then option imports
		key   [32]byte
		state uint8 // 0 unvisited, 1 visiting, 2 done
	}
	files := make([]*file, len(raws))
	byName := make(map[string]*file, len(raws))
	for i, raw := range raws {
		// Only the name and imports key the file: the whole file is
		// unmarshalled only when its key is new.
		f := &file{raw: raw}
		for b := raw; len(b) > 0; {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return nil, nil, fmt.Errorf("descriptor set: file #%d: %w", i+1, protowire.ParseError(n))
			}
			b = b[n:]
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return nil, nil, fmt.Errorf("descriptor set: file #%d: %w", i+1, protowire.ParseError(m))
			}
			if typ == protowire.BytesType {
				v, _ := protowire.ConsumeBytes(b)
				switch num {
				case 1: // name
					f.name = string(v)
				case 3, 15: // dependency, option_dependency
					f.deps = append(f.deps, string(v))
				}
			}
			b = b[m:]
		}
		files[i] = f
		if _, dup := byName[f.name]; dup {
			return nil, nil, fmt.Errorf("descriptor set: file %q appears twice", f.name)
		}
		byName[f.name] = f
	}
	reg := new(protoregistry.Files)
	var out []protoreflect.FileDescriptor
	var keys [][32]byte
	var visit func(f *file) error
	visit = func(f *file) error {
		switch f.state {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("descriptor set: file %q is part of an import cycle", f.name)
		}
		f.state = 1
		h := sha256.New()
		h.Write(f.raw)
		for _, dep := range f.deps {
			g, ok := byName[dep]
			if !ok {
				return fmt.Errorf("descriptor set: file %q imports %q, which is not in the set", f.name, dep)
			}
			if err := visit(g); err != nil {
				return err
			}
			h.Write(g.key[:])
		}
		copy(f.key[:], h.Sum(nil))
		fd, ok := d.files[f.key]
		if !ok {
			var err error
			if fd, err = linkFile(f.raw, reg); err != nil {
				return fmt.Errorf("descriptor set: file %q: %w", f.name, err)
			}
			d.files[f.key] = fd
		}
		if err := reg.RegisterFile(fd); err != nil {
			return fmt.Errorf("descriptor set: file %q: %w", f.name, err)
		}
		f.state = 2
		out = append(out, fd)
		keys = append(keys, f.key)
		return nil
	}
	for _, f := range files {
		if err := visit(f); err != nil {
			return nil, nil, err
		}
	}
	return out, keys, nil
}

// linkFile unmarshals and links one file against reg, which holds its
// imports; invalid descriptors are an error, never a panic.
func linkFile(raw []byte, reg *protoregistry.Files) (fd protoreflect.FileDescriptor, err error) {
	defer func() {
		if r := recover(); r != nil {
			fd, err = nil, fmt.Errorf("invalid descriptors: %v", r)
		}
	}()
	fdp := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(raw, fdp); err != nil {
		return nil, err
	}
	return protodesc.NewFile(fdp, reg)
}
