package registry_test

import (
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
)

// Two pushes of the same files, listed in another order and made from
// another build, have the same digest: the second is the first's version.
func ExampleDigest() {
	config := []byte("version: v1\n")
	first, _ := registry.Digest([]registry.File{
		{Path: "acme/v1/order.proto", Content: []byte("syntax = \"proto3\";\n")},
		{Path: "acme/v1/money.proto", Content: []byte("syntax = \"proto3\";\n")},
	}, config)
	again, _ := registry.Digest([]registry.File{
		{Path: "acme/v1/money.proto", Content: []byte("syntax = \"proto3\";\n")},
		{Path: "acme/v1/order.proto", Content: []byte("syntax = \"proto3\";\n")},
	}, config)
	fmt.Println(first == again, len(first))
	// Output: true 71
}
