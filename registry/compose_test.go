package registry_test

import (
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/protocompile"
)

// compose completes opts with the stages registryd composes a service
// with: the built-in compiler and the built-in policies (no server-wide
// ones) when opts sets none.
func compose(opts registry.ServiceOptions) registry.ServiceOptions {
	if opts.Compiler == nil {
		opts.Compiler = protocompile.Compiler{}
	}
	if opts.Policies == nil {
		opts.Policies = cel.NewEngine(nil, policies.Limits{})
	}
	return opts
}
