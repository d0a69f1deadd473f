package registry_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreLinksNoHeavyMachinery: the domain and its store backends link no
// compiler, expression language or git implementation; those come in
// through the Compiler and PolicyEngine a service is composed with. (The
// compat engine resolves editions features with protocompile's small
// protoutil package, which is not the compiler.)
func TestCoreLinksNoHeavyMachinery(t *testing.T) {
	forbidden := []string{"github.com/bufbuild/protocompile", "github.com/bufbuild/protocompile/parser",
		"github.com/bufbuild/protocompile/linker", "github.com/bufbuild/protocompile/ast", "cel.dev/cel-go",
		"github.com/go-git/go-git/v5", "github.com/pbregistry/pbregistry/input", "github.com/pbregistry/pbregistry/policies"}
	for _, pkg := range []string{".", "./sqlite", "./postgres"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f || (strings.HasPrefix(dep, f+"/") && !strings.HasPrefix(dep, "github.com/bufbuild/protocompile/")) {
					t.Errorf("registry%s links %s", strings.TrimPrefix(pkg, "."), dep)
				}
			}
		}
	}
}
