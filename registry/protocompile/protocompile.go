// Package protocompile is the registry's compile stage built on the
// built-in compiler (package input, over github.com/bufbuild/protocompile):
// a registry.Compiler that turns a push's files into an image, so that the
// core registry package links no compiler. Compose it into a service with
// registry.ServiceOptions.Compiler.
package protocompile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/registry"
)

// Compiler compiles pushes with package input: pbregistry.yaml and buf.yaml
// give the roots and the breaking: configuration, and each file is checked
// against input's default limits before it is parsed. The zero value is
// ready to use.
type Compiler struct {
	// Limits bound each file; the zero value means input's defaults.
	Limits input.Limits
}

// Compile implements registry.Compiler.
func (c Compiler) Compile(ctx context.Context, module string, files fs.FS) (registry.Compiled, error) {
	in, err := input.LoadFSWithLimits(ctx, files, "push to "+module, c.Limits)
	if err != nil {
		var compileErr *input.CompileError
		if errors.As(err, &compileErr) {
			return registry.Compiled{}, fmt.Errorf("the files do not compile:\n%s", compileErr.Error())
		}
		return registry.Compiled{}, err
	}
	out := registry.Compiled{Image: in.Image, Breaking: compat.Config{Version: "v2"}}
	if len(in.Modules) > 0 {
		out.Breaking = in.Modules[0].Breaking
	}
	return out, nil
}

var _ registry.Compiler = Compiler{}
