package policies

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// keyPaths resolves a pbtable's primary-key entries against its message
// md (nil when the schema has no such message). Each dot-separated step
// names a field of the message the previous step holds; resolving stops at
// the first step that names no field. Whether a path makes a valid key
// (singular, scalar, no oneof) is for the policies to judge.
func (b *builder) keyPaths(md protoreflect.MessageDescriptor, keys []string) []*KeyPath {
	if len(keys) == 0 {
		return nil
	}
	out := make([]*KeyPath, len(keys))
	for i, key := range keys {
		kp := &KeyPath{Path: key, Leaf: &Field{}}
		steps := strings.Split(key, ".")
		in := md
		for j, step := range steps {
			if in == nil {
				break
			}
			fd := in.Fields().ByName(protoreflect.Name(step))
			if fd == nil {
				break
			}
			kp.Fields = append(kp.Fields, b.field(fd))
			if j == len(steps)-1 {
				kp.Found, kp.Leaf = true, kp.Fields[j]
			}
			// A map field holds its entry message: a path through it
			// resolves, and the policies refuse it as a map.
			in = fd.Message()
		}
		out[i] = kp
	}
	return out
}
