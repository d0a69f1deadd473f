package witness_test

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/witness"
)

// message builds `message M { <kind> a = 1; }` in proto3.
func message(kind descriptorpb.FieldDescriptorProto_Type) protoreflect.MessageDescriptor {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("m.proto"), Package: proto.String("acme.v1"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M"), Field: []*descriptorpb.FieldDescriptorProto{{
			Name: proto.String("a"), JsonName: proto.String("a"), Number: proto.Int32(1),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: kind.Enum(),
		}}}},
	}, nil)
	if err != nil {
		panic(err)
	}
	return fd.Messages().Get(0)
}

// A field widened from int32 to int64 reads fine for new readers of old
// data, but readers on the previous schema truncate what the new one
// writes: Find shows a message that proves it.
func ExampleFind() {
	previous, current := message(descriptorpb.FieldDescriptorProto_TYPE_INT32), message(descriptorpb.FieldDescriptorProto_TYPE_INT64)

	fmt.Println("backward:", witness.Find(previous, current, witness.Wire, compat.Backward, witness.Options{}))
	w := witness.Find(current, previous, witness.Wire, compat.Forward, witness.Options{})
	fmt.Println(w)
	// Output:
	// backward: <nil>
	// witness (WIRE): acme.v1.M written with the current schema: {"a":"2147483648"} (binary 088080808008)
	//   read with the previous schema: {"a":-2147483648}
	//   value changed: field a: written 2147483648, read -2147483648
}
