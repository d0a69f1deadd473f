// Command pbcheck checks protobuf schemas: breaking changes, lint policies,
// and pushes to a pbregistry server.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "pbcheck: not implemented yet")
	os.Exit(1)
}
