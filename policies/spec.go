package policies

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/config"
)

// Target is the kind of element a policy is evaluated on.
type Target string

// The targets.
const (
	TargetFile      Target = "file"
	TargetMessage   Target = "message"
	TargetField     Target = "field"
	TargetEnum      Target = "enum"
	TargetEnumValue Target = "enum_value"
	TargetService   Target = "service"
	TargetMethod    Target = "method"
	// TargetChange policies are evaluated on each change between the
	// previous and the current schema.
	TargetChange Target = "change"
)

// Targets lists every target.
var Targets = []Target{TargetFile, TargetMessage, TargetField, TargetEnum, TargetEnumValue, TargetService, TargetMethod, TargetChange}

// Spec is a policy as configured: in pbregistry.yaml's policies:, in
// registryd's configuration, or built in.
type Spec struct {
	// Name is the policy's rule ID in findings, e.g. "EVENT_ID_FIELD".
	Name string
	// Target is the kind of element it is evaluated on.
	Target Target
	// Expr is the CEL expression; it must be true for the element to
	// comply.
	Expr string
	// Kinds restricts the policy to elements held by subjects of these
	// kinds ("pbtable", "event", "log"); empty means everywhere.
	Kinds []string
	// Modules restricts it to modules matching these globs ("acme/*").
	Modules []string
	// Packages restricts it to packages matching these globs
	// ("acme.billing.*"; "acme.**" for every package under acme).
	Packages []string
	// Severity is "error" (blocks) or "warning" (reported).
	Severity string
	// Message is what a finding says; MessageExpr, a CEL expression
	// returning a string, may build it from the element instead.
	Message     string
	MessageExpr string
	// Description documents the policy.
	Description string
	// Params are values the expressions read as params.<name>.
	Params map[string]any
	// Disabled turns the policy off.
	Disabled bool

	// Pos is where the policy was written; ExprPos and MessageExprPos
	// where its expressions start, with the YAML style of their scalars.
	Pos            config.Pos
	ExprPos        exprPos
	MessageExprPos exprPos
	// set records the keys written, for overrides of built-ins.
	set map[string]bool
}

// exprPos locates an expression in its configuration file.
type exprPos struct {
	config.Pos
	style yaml.Style
}

// namePattern is what a policy name must match: it is a rule ID.
var namePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// specKeys are the keys a policy entry may have.
var specKeys = []string{"name", "target", "expr", "kinds", "modules", "packages", "severity", "message", "message_expr", "description", "params", "disabled"}

// Parse reads a policies: node (a sequence of mappings) of file. Positions
// point into file, so errors name the line and column.
func Parse(file string, node *yaml.Node) ([]Spec, error) {
	if node == nil {
		return nil, nil
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind != yaml.SequenceNode {
		return nil, config.ErrorAt(file, node, "policies must be a list of policies, each with a name, a target and an expr")
	}
	var specs []Spec
	seen := make(map[string]config.Pos)
	for _, item := range node.Content {
		spec, err := parseSpec(file, item)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[spec.Name]; dup {
			return nil, config.ErrorAt(file, item, "policy %s is defined twice (first at %s): merge the entries", spec.Name, first)
		}
		seen[spec.Name] = spec.Pos
		specs = append(specs, spec)
	}
	return specs, nil
}

func parseSpec(file string, n *yaml.Node) (Spec, error) {
	s := Spec{Pos: config.PosAt(file, n), set: make(map[string]bool)}
	if n.Kind != yaml.MappingNode {
		return s, config.ErrorAt(file, n, "a policy must be a mapping with name, target and expr")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(specKeys, k.Value) {
			return s, config.ErrorAt(file, k, "unknown policy key %q (valid: %s)", k.Value, strings.Join(specKeys, ", "))
		}
		s.set[k.Value] = true
		var err error
		switch k.Value {
		case "name":
			s.Name, err = scalarValue(file, v)
		case "target":
			var t string
			t, err = scalarValue(file, v)
			s.Target = Target(t)
			if err == nil && !slices.Contains(Targets, s.Target) {
				err = config.ErrorAt(file, v, "unknown target %q: use one of %s", t, joinTargets())
			}
		case "expr":
			s.Expr, err = scalarValue(file, v)
			s.ExprPos = exprPos{Pos: config.PosAt(file, v), style: v.Style}
		case "message_expr":
			s.MessageExpr, err = scalarValue(file, v)
			s.MessageExprPos = exprPos{Pos: config.PosAt(file, v), style: v.Style}
		case "message":
			s.Message, err = scalarValue(file, v)
		case "description":
			s.Description, err = scalarValue(file, v)
		case "severity":
			s.Severity, err = scalarValue(file, v)
			if err == nil && s.Severity != "error" && s.Severity != "warning" {
				err = config.ErrorAt(file, v, "unknown severity %q: use error or warning", s.Severity)
			}
		case "kinds":
			s.Kinds, err = list(file, v)
			for _, kind := range s.Kinds {
				if k := config.SubjectKind(kind); err == nil && !k.Valid() {
					err = config.ErrorAt(file, v, "unknown kind %q: use pbtable, event or log", kind)
				}
			}
		case "modules":
			s.Modules, err = list(file, v)
		case "packages":
			s.Packages, err = list(file, v)
		case "disabled":
			err = v.Decode(&s.Disabled)
			if err != nil {
				err = config.ErrorAt(file, v, "disabled must be true or false")
			}
		case "params":
			if v.Kind != yaml.MappingNode {
				err = config.ErrorAt(file, v, "params must be a mapping of names to values")
				break
			}
			err = v.Decode(&s.Params)
			if err != nil {
				err = config.ErrorAt(file, v, "params: %v", err)
			}
		}
		if err != nil {
			return s, err
		}
	}
	switch {
	case s.Name == "":
		return s, config.ErrorAt(file, n, "a policy needs a name, e.g. name: EVENT_HAS_TRACE_ID")
	case !namePattern.MatchString(s.Name):
		return s, config.ErrorAt(file, n, "policy name %q must be UPPER_SNAKE_CASE: it is the rule ID of its findings", s.Name)
	}
	return s, nil
}

func joinTargets() string {
	names := make([]string, len(Targets))
	for i, t := range Targets {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func scalarValue(file string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", config.ErrorAt(file, n, "want a single value")
	}
	return n.Value, nil
}

func list(file string, n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, config.ErrorAt(file, n, "want a list")
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, config.ErrorAt(file, c, "want a single value")
		}
		out = append(out, c.Value)
	}
	return out, nil
}

// merge applies overrides to base by name: an override of a policy that
// exists replaces the keys it writes (so `- {name: EVENT_ID_FIELD,
// disabled: true}` turns a built-in off); other overrides are new policies.
// Policies in locked cannot be overridden: they are the registry's.
func merge(base, overrides []Spec, locked map[string]config.Pos) ([]Spec, error) {
	out := slices.Clone(base)
	for _, o := range overrides {
		if at, ok := locked[o.Name]; ok {
			return nil, &config.Error{Pos: o.Pos, Msg: fmt.Sprintf("policy %s is enforced by the registry (%s) and cannot be changed here", o.Name, at)}
		}
		i := slices.IndexFunc(out, func(s Spec) bool { return s.Name == o.Name })
		if i < 0 {
			out = append(out, o)
			continue
		}
		b := out[i]
		for key := range o.set {
			switch key {
			case "target":
				b.Target = o.Target
			case "expr":
				b.Expr, b.ExprPos = o.Expr, o.ExprPos
			case "kinds":
				b.Kinds = o.Kinds
			case "modules":
				b.Modules = o.Modules
			case "packages":
				b.Packages = o.Packages
			case "severity":
				b.Severity = o.Severity
			case "message":
				b.Message, b.MessageExpr = o.Message, ""
			case "message_expr":
				b.MessageExpr, b.MessageExprPos = o.MessageExpr, o.MessageExprPos
			case "description":
				b.Description = o.Description
			case "params":
				params := make(map[string]any, len(b.Params)+len(o.Params))
				maps.Copy(params, b.Params)
				maps.Copy(params, o.Params)
				b.Params = params
			case "disabled":
				b.Disabled = o.Disabled
			}
		}
		b.Pos = o.Pos
		out[i] = b
	}
	return out, nil
}
