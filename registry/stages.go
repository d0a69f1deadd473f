package registry

import (
	"context"
	"io/fs"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
)

// Compiler is the compile stage of a push: it turns the pushed files into
// an image. Package registry/protocompile implements it with the built-in
// compiler; the registry itself links no compiler.
type Compiler interface {
	// Compile compiles the files of a push to module: .proto files,
	// pbregistry.yaml and buf.yaml at their paths. An error other than
	// ctx's says, for the pusher, which file and line are wrong and what
	// to do; the Service returns it as an *InvalidArgumentError.
	Compile(ctx context.Context, module string, files fs.FS) (Compiled, error)
}

// Compiled is what the compile stage gives the check.
type Compiled struct {
	// Image is the compiled schema.
	Image *image.Image
	// Breaking is the module's breaking: configuration (buf.yaml's or
	// pbregistry.yaml's), applied to the elements no subject holds.
	Breaking compat.Config
}

// PolicyEngine is the policy stage of a push: it evaluates the policies in
// force — built-in, server-wide and the module's own — on a pushed schema
// and its changes. Package registry/cel implements it with CEL; the
// registry itself links no expression language.
type PolicyEngine interface {
	// Settings returns how cfg (nil: a module without pbregistry.yaml)
	// sets the policies a module may change — the built-in ones and its
	// own — for CheckImages to govern. An error names the file and line
	// of a malformed policy.
	Settings(cfg *config.Config) ([]PolicySetting, error)
	// Evaluate returns the policies' findings on e.Image and, when
	// e.Baseline is set, on its changes. A policy that exceeds a cost
	// limit, or a malformed one, is an *InvalidArgumentError naming it;
	// when ctx is done, evaluation stops with ctx's error.
	Evaluate(ctx context.Context, e PolicyEvaluation) ([]compat.Finding, error)
}

// PolicyEvaluation is what the policies of a push are evaluated on.
type PolicyEvaluation struct {
	// Module is the module pushed to; Principal who pushes.
	Module, Principal string
	// Config is the push's pbregistry.yaml, parsed (nil: none), and
	// ConfigBytes its bytes, by which an engine may cache the policies
	// it compiles.
	Config      *config.Config
	ConfigBytes []byte
	// Baseline is the module's latest version (nil for a new module);
	// Image is the pushed schema.
	Baseline, Image *image.Image
	// Subjects are the subjects in force.
	Subjects []SubjectSpec
}

// PolicySetting is how a module's configuration sets one policy: whether
// it is in force and how severe its findings are. CheckImages compares the
// settings before and after a change (POLICY_NO_WEAKEN).
type PolicySetting struct {
	// Name is the policy's rule ID.
	Name string
	// Disabled reports that the policy is off.
	Disabled bool
	// Warning reports that its findings do not block.
	Warning bool
}
