package compat_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// TestFileSamePhpGenericServices covers what no .proto source can write any
// more: php_generic_services, field 42 of FileOptions before
// descriptor.proto dropped it, kept by older compilers' images as an
// unknown field.
func TestFileSamePhpGenericServices(t *testing.T) {
	imageWith := func(value *bool) *image.Image {
		opts := &descriptorpb.FileOptions{}
		if value != nil {
			v := uint64(0)
			if *value {
				v = 1
			}
			raw := protowire.AppendTag(nil, 42, protowire.VarintType)
			opts.ProtoReflect().SetUnknown(protowire.AppendVarint(raw, v))
		}
		fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
			Name:    proto.String("a.proto"),
			Package: proto.String("fixture.v1"),
			Syntax:  proto.String("proto3"),
			Options: opts,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		img, err := image.New([]*image.File{{Descriptor: fd}})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	on, off := true, false
	tests := []struct {
		name           string
		previous, curr *bool
		want           int
	}{
		{"unset to true", nil, &on, 1},
		{"true to unset", &on, nil, 1},
		{"true to false", &on, &off, 1},
		{"unset to false", nil, &off, 0},
		{"true to true", &on, &on, 0},
	}
	cfg := compat.Config{Version: "v1", Use: []string{"FILE_SAME_PHP_GENERIC_SERVICES"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings, err := compat.Check(imageWith(tt.previous), imageWith(tt.curr), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != tt.want {
				t.Fatalf("got %d findings %v, want %d", len(findings), findings, tt.want)
			}
			for _, f := range findings {
				if f.Rule != "FILE_SAME_PHP_GENERIC_SERVICES" || f.Location.Path != "a.proto" {
					t.Errorf("finding %+v: want rule FILE_SAME_PHP_GENERIC_SERVICES at a.proto", f)
				}
			}
		})
	}
}
