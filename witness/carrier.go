package witness

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// CarrierName is the full name of the messages Carrier builds.
const CarrierName protoreflect.FullName = "pbregistry.witness.Carrier"

// Carrier returns a message, CarrierName, with one field `value = 1` of
// enum type e (explicit presence), so that a change of an enum can be
// witnessed even where no message of the module holds it: build one for
// the writer's enum and one for the reader's, and Find between them.
func Carrier(e protoreflect.EnumDescriptor) (protoreflect.MessageDescriptor, error) {
	files := new(protoregistry.Files)
	if err := register(files, e.ParentFile()); err != nil {
		return nil, fmt.Errorf("witness carrier of %s: %w", e.FullName(), err)
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("pbregistry/witness/carrier.proto"),
		Package:    proto.String(string(CarrierName.Parent())),
		Dependency: []string{e.ParentFile().Path()},
		Syntax:     proto.String("editions"),
		Edition:    descriptorpb.Edition_EDITION_2023.Enum(),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String(string(CarrierName.Name())),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name:     proto.String("value"),
				JsonName: proto.String("value"),
				Number:   proto.Int32(1),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_ENUM.Enum(),
				TypeName: proto.String("." + string(e.FullName())),
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, files)
	if err != nil {
		return nil, fmt.Errorf("witness carrier of %s: %w", e.FullName(), err)
	}
	return fd.Messages().Get(0), nil
}

// register adds fd and its imports to files.
func register(files *protoregistry.Files, fd protoreflect.FileDescriptor) error {
	if _, err := files.FindFileByPath(fd.Path()); err == nil {
		return nil
	}
	imports := fd.Imports()
	for i := 0; i < imports.Len(); i++ {
		if err := register(files, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	return files.RegisterFile(fd)
}
