package image

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
)

// Editions are the protobuf editions whose files an Image can hold: the
// editions the Go protobuf runtime supports. A decoded file of another
// edition is refused with a DecodeError.
var Editions = []descriptorpb.Edition{descriptorpb.Edition_EDITION_2023, descriptorpb.Edition_EDITION_2024}

// checkEdition checks the syntax and edition a file declares: proto2,
// proto3, or editions with an edition of Editions. The Go protobuf
// runtime accepts some other editions (unstable ones, and any edition
// for files under cmd/protoc-gen-go/testdata/, where it then panics or
// exits the process), and none of them is a released schema.
func checkEdition(fd *descriptorpb.FileDescriptorProto) error {
	if fd.GetSyntax() != "editions" {
		return nil // proto2, proto3, or an invalid syntax that protodesc reports
	}
	if fd.Edition == nil {
		return fmt.Errorf(`has syntax "editions" but no edition: build the image with buf build or protoc, which set it`)
	}
	e := fd.GetEdition()
	if slices.Contains(Editions, e) {
		return nil
	}
	names := make([]string, len(Editions))
	for i, ed := range Editions {
		names[i] = strings.TrimPrefix(ed.String(), "EDITION_")
	}
	name := e.String()
	if _, known := descriptorpb.Edition_name[int32(e)]; !known {
		name = fmt.Sprintf("number %d, unknown to this build", int32(e))
	}
	return fmt.Errorf("has edition %s, which pbregistry cannot read: it reads proto2, proto3 and editions %s; if the edition is newer, upgrade pbregistry", name, strings.Join(names, ", "))
}
