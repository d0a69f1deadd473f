package lakehouse_test

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// invoice returns a version of message acme.billing.v1.Invoice with fields.
func invoice(fields ...*descriptorpb.FieldDescriptorProto) protoreflect.MessageDescriptor {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("acme/billing/v1/invoice.proto"),
		Package:     proto.String("acme.billing.v1"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Invoice"), Field: fields}},
	}, nil)
	if err != nil {
		panic(err)
	}
	return fd.Messages().Get(0)
}

func field(name string, number int32, typ descriptorpb.FieldDescriptorProto_Type) *descriptorpb.FieldDescriptorProto {
	return &descriptorpb.FieldDescriptorProto{
		Name: proto.String(name), Number: proto.Int32(number), Type: typ.Enum(),
		Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
	}
}

// The column model of the latest version over its history: field 2 was
// deleted, so its column is deprecated and still read.
func ExampleNewTable() {
	v1 := invoice(
		field("id", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING),
		field("amount_cents", 2, descriptorpb.FieldDescriptorProto_TYPE_INT64),
	)
	v2 := invoice(
		field("id", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING),
		field("total_micros", 3, descriptorpb.FieldDescriptorProto_TYPE_UINT64),
	)
	t, err := lakehouse.NewTable(v2, []protoreflect.MessageDescriptor{v1}, []string{"id"})
	if err != nil {
		panic(err)
	}
	fmt.Println("table", t.Name)
	for _, c := range t.Columns {
		fmt.Println(c.Name, c.Kind, c.Path[0].JSONKeys, "key:", c.Key, "deprecated:", c.Deprecated)
	}
	// Output:
	// table invoice
	// id string [id] key: true deprecated: false
	// total_micros uint64 [totalMicros total_micros] key: false deprecated: false
	// amount_cents int64 [amountCents amount_cents] key: false deprecated: true
}
