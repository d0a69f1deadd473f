package input_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pbregistry/pbregistry/input"
)

// Load a directory holding a buf.yaml v2 whose module lives in proto/:
// paths in the image are module-relative, ExternalPath is what buf prints.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	write := func(name, content string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte(content), 0o644)
	}
	write("buf.yaml", "version: v2\nmodules:\n  - path: proto\nbreaking:\n  use: [WIRE_JSON]\n")
	write("proto/acme/v1/order.proto", `syntax = "proto3";
package acme.v1;
import "google/protobuf/timestamp.proto";
message Order { string id = 1; google.protobuf.Timestamp at = 2; }
`)
	in, err := input.Load(context.Background(), ".", input.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range in.Image.Files() {
		fmt.Println(f.Path(), f.DisplayPath(), f.IsImport)
	}
	fmt.Println(in.Modules[0].Root, in.Modules[0].Breaking.Version, in.Modules[0].Breaking.Use)
	// Output:
	// google/protobuf/timestamp.proto google/protobuf/timestamp.proto true
	// acme/v1/order.proto proto/acme/v1/order.proto false
	// proto v2 [WIRE_JSON]
}
