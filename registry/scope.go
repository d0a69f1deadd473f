package registry

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
)

// scope is the set of messages and enums whose data a subject's message
// holds: the message itself and every message and enum reachable from it
// through its fields, nested or not, transitively.
type scope map[protoreflect.FullName]bool

// scopeOf returns the scope of message name in x; empty if x has no such
// message.
func scopeOf(x *image.Index, name string) scope {
	return x.Reachable(protoreflect.FullName(name))
}

// union adds the members of other to s.
func (s scope) union(other scope) scope {
	for k := range other {
		s[k] = true
	}
	return s
}
