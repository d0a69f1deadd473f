package policies

import (
	"fmt"

	"github.com/pbregistry/pbregistry/config"
)

// RequiredField is a field of a subject's message that a policy in force
// requires to exist.
type RequiredField struct {
	// Field is the field's name in the subject's message.
	Field string
	// Policy is the name of the policy that requires it.
	Policy string
}

// fieldPolicies are the built-in policies that require a subject's message
// to have a field, named by their params.field.
var fieldPolicies = []string{"EVENT_ID_FIELD", "EVENT_OCCURRED_AT"}

// RequiredFields returns the fields the policies in force (src merged as
// Compile merges them) require a subject of kind to have: the params.field
// of EVENT_ID_FIELD and EVENT_OCCURRED_AT, where they apply to the kind,
// are enabled, block (severity error) and keep their built-in expression —
// an overridden expression may no longer mean "this field exists". Custom
// policies are CEL expressions whose meaning cannot be read off; they
// require nothing here, nor do policies restricted to some modules or
// packages (whether they apply is not known here).
func RequiredFields(src Sources, kind string) ([]RequiredField, error) {
	if src.NoBuiltins {
		return nil, nil
	}
	builtins := Builtins()
	specs, err := merge(builtins, src.Server, nil)
	if err != nil {
		return nil, err
	}
	locked := make(map[string]config.Pos, len(src.Server))
	for _, s := range src.Server {
		locked[s.Name] = s.Pos
	}
	if specs, err = merge(specs, src.Module, locked); err != nil {
		return nil, err
	}
	var out []RequiredField
	for _, name := range fieldPolicies {
		var builtin, spec *Spec
		for i := range builtins {
			if builtins[i].Name == name {
				builtin = &builtins[i]
			}
		}
		for i := range specs {
			if specs[i].Name == name {
				spec = &specs[i]
			}
		}
		if builtin == nil || spec == nil || spec.Disabled || spec.Severity == "warning" || spec.Expr != builtin.Expr {
			continue
		}
		if (len(spec.Kinds) > 0 && !contains(spec.Kinds, kind)) || len(spec.Modules) > 0 || len(spec.Packages) > 0 {
			continue
		}
		field, ok := spec.Params["field"].(string)
		if !ok || field == "" {
			return nil, &config.Error{Pos: spec.Pos, Msg: fmt.Sprintf("policy %s: params.field is %v, not a field name", name, spec.Params["field"])}
		}
		out = append(out, RequiredField{Field: field, Policy: name})
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// RequiredBySubject returns RequiredFields for each subject of cfg (by
// message), with the server's policies server and cfg's policies: list
// over the built-in ones.
func RequiredBySubject(server []Spec, cfg *config.Config) (map[string][]RequiredField, error) {
	src := Sources{Server: server}
	if cfg == nil {
		return nil, nil
	}
	if cfg.Policies != nil {
		specs, err := Parse(cfg.PoliciesFile, cfg.Policies)
		if err != nil {
			return nil, err
		}
		src.Module = specs
	}
	out := map[string][]RequiredField{}
	for _, subj := range cfg.Subjects {
		fields, err := RequiredFields(src, string(subj.Kind))
		if err != nil {
			return nil, err
		}
		if len(fields) > 0 {
			out[subj.Message] = fields
		}
	}
	return out, nil
}
