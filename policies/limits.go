package policies

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"unicode/utf8"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/pbregistry/pbregistry/config"
)

// Limits bound what policies may cost, so that a policy — which anyone
// allowed to push or check a module can write — cannot take a registry's
// memory or CPU. Zero fields take the DefaultLimits value. Errors name each
// limit by its configuration key, given here in parentheses.
//
// Costs are CEL cost units: about one per operation, one per element a
// comprehension visits, and a tenth per character a string function scans
// or builds. A comprehension over a message's fields measured about
// 170 ns of CPU per unit.
type Limits struct {
	// MaxEvalCost is the most one evaluation of one expression (expr or
	// message_expr, on one element) may cost (max_eval_cost). A policy
	// whose estimated cost on the largest realistic element (see
	// docs/policies.md) exceeds it is refused when compiled; one that
	// exceeds it while evaluated stops the check with a *LimitError.
	MaxEvalCost uint64 `yaml:"max_eval_cost"`
	// MaxCheckCost is the most all evaluations of one check may cost
	// together (max_check_cost): Lint and Changes of one push share it
	// (see Budget).
	MaxCheckCost uint64 `yaml:"max_check_cost"`
	// MaxExprLength is the length of one expression, in characters
	// (max_expr_length).
	MaxExprLength int `yaml:"max_expr_length"`
	// MaxExprDepth is how deeply an expression may nest: the CEL parser's
	// recursion limit (max_expr_depth).
	MaxExprDepth int `yaml:"max_expr_depth"`
	// MaxPolicies is the number of policies one source — a module's
	// pbregistry.yaml, or registryd's configuration — may define
	// (max_policies).
	MaxPolicies int `yaml:"max_policies"`
	// MaxNameLength is the length of a policy name, in bytes
	// (max_policy_name_length).
	MaxNameLength int `yaml:"max_policy_name_length"`
	// MaxTextLength is the length of a policy's message and description,
	// in bytes (max_policy_text_length).
	MaxTextLength int `yaml:"max_policy_text_length"`
}

// DefaultLimits fit the built-in policies (whose costliest expression is
// estimated at a tenth of MaxEvalCost) and real governance sets with room to
// spare — built-ins plus 20 policies on a 5,200-file module cost 11.7
// million — and keep one check to seconds of CPU and megabytes of memory:
// 1,000,000 per evaluation, 100,000,000 per check, expressions of 8,192
// characters nested 100 deep, 200 policies per source, names of 64 bytes
// and messages of 2,048.
var DefaultLimits = Limits{
	MaxEvalCost:   1_000_000,
	MaxCheckCost:  100_000_000,
	MaxExprLength: 8192,
	MaxExprDepth:  100,
	MaxPolicies:   200,
	MaxNameLength: 64,
	MaxTextLength: 2048,
}

// withDefaults returns l with each zero field replaced by its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pickU := func(v, def uint64) uint64 {
		if v > 0 {
			return v
		}
		return def
	}
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	return Limits{
		MaxEvalCost:   pickU(l.MaxEvalCost, d.MaxEvalCost),
		MaxCheckCost:  pickU(l.MaxCheckCost, d.MaxCheckCost),
		MaxExprLength: pick(l.MaxExprLength, d.MaxExprLength),
		MaxExprDepth:  pick(l.MaxExprDepth, d.MaxExprDepth),
		MaxPolicies:   pick(l.MaxPolicies, d.MaxPolicies),
		MaxNameLength: pick(l.MaxNameLength, d.MaxNameLength),
		MaxTextLength: pick(l.MaxTextLength, d.MaxTextLength),
	}
}

// ErrLimit is matched (errors.Is) by every *LimitError.
var ErrLimit = errors.New("policy limit exceeded")

// LimitError is a check stopped because a policy exceeded a cost limit
// while evaluated. It matches ErrLimit.
type LimitError struct {
	// Policy is the policy's name; Pos where it was written.
	Policy string
	Pos    config.Pos
	// Key is the expression: "expr" or "message_expr".
	Key string
	// Element is the full name (or file path) of the element it was
	// evaluated on.
	Element string
	// Limit names the limit exceeded: "max_eval_cost" or
	// "max_check_cost".
	Limit string
	// Value is the limit's value.
	Value uint64
}

// Error implements error.
func (e *LimitError) Error() string {
	where := ""
	if e.Pos.File != "" {
		where = e.Pos.String() + ": "
	}
	if e.Limit == "max_check_cost" {
		return fmt.Sprintf("%spolicy %s: %s on %s: the policies of this check together exceeded the cost limit of %d per check (%s): "+
			"make the policies cheaper (fewer nested comprehensions over lists, no lists.range over large sizes), check a smaller module, or have the registry's administrator raise %s",
			where, e.Policy, e.Key, e.Element, e.Value, e.Limit, e.Limit)
	}
	return fmt.Sprintf("%spolicy %s: %s on %s: evaluation exceeded the cost limit of %d per evaluation (%s): "+
		"make the expression cheaper (fewer nested comprehensions over lists, no lists.range over large sizes), or have the registry's administrator raise %s",
		where, e.Policy, e.Key, e.Element, e.Value, e.Limit, e.Limit)
}

// Is reports whether target is ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Budget is the cost a check may still spend on policies: the sum of the
// actual costs of its evaluations. One Budget shared by the Lint and the
// Changes of a push bounds the push as a whole. It is safe for concurrent
// use. The budget is checked after each evaluation, so a check may overrun
// it by at most one evaluation's MaxEvalCost.
type Budget struct {
	limit uint64
	spent atomic.Uint64
}

// NewBudget returns a fresh budget of the set's MaxCheckCost.
func (s *Set) NewBudget() *Budget { return &Budget{limit: s.limits.MaxCheckCost} }

// Spent returns the cost spent so far.
func (b *Budget) Spent() uint64 { return b.spent.Load() }

// charge adds c to what b spent and reports whether b is still within
// its limit.
func (b *Budget) charge(c uint64) bool {
	return b.spent.Add(c) <= b.limit
}

// stopError returns the error that stops a check for an evaluation error:
// a *LimitError for a cost limit, the context's error when it is done; nil
// for other errors, which are the expression's own (e.g. a missing map
// key) and reported as findings.
func stopError(ctx context.Context, err error, p *policy, key, element string, limit uint64) error {
	var cancelled interpreter.EvalCancelledError
	if errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded {
		return &LimitError{Policy: p.spec.Name, Pos: p.spec.Pos, Key: key, Element: element, Limit: "max_eval_cost", Value: limit}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("policy %s on %s: %w", p.spec.Name, element, context.Cause(ctx))
	}
	return nil
}

// checkSpecLimits checks what a configured policy writes against l.
func checkSpecLimits(s Spec, l Limits) error {
	if len(s.Name) > l.MaxNameLength {
		return &config.Error{Pos: s.Pos, Msg: fmt.Sprintf("policy name %.40s… is %d bytes long, more than the limit of %d (max_policy_name_length): shorten it",
			s.Name, len(s.Name), l.MaxNameLength)}
	}
	for _, t := range []struct{ key, text string }{{"message", s.Message}, {"description", s.Description}} {
		if len(t.text) > l.MaxTextLength {
			return &config.Error{Pos: s.Pos, Msg: fmt.Sprintf("policy %s: %s is %d bytes long, more than the limit of %d (max_policy_text_length): shorten it",
				s.Name, t.key, len(t.text), l.MaxTextLength)}
		}
	}
	for _, e := range []struct {
		key, text string
		at        exprPos
	}{{"expr", s.Expr, s.ExprPos}, {"message_expr", s.MessageExpr, s.MessageExprPos}} {
		if n := utf8.RuneCountInString(e.text); n > l.MaxExprLength {
			return &config.Error{Pos: e.at.Pos, Msg: fmt.Sprintf("policy %s: %s is %d characters long, more than the limit of %d (max_expr_length): simplify it, or split it into several policies",
				s.Name, e.key, n, l.MaxExprLength)}
		}
	}
	return nil
}

// Realistic upper bounds of the sizes of the object model's lists, maps and
// strings, for compile-time cost estimates. They bound elements of real
// schemas, not what a schema may hold: an element beyond them is still
// evaluated, within MaxEvalCost. docs/policies.md lists them.
const (
	// sizeString bounds names, full names, paths and types.
	sizeString = 256
	// sizeList bounds lists and maps not in sizeOf.
	sizeList = 64
)

// sizeOf bounds particular fields of the model, by type and cel tag, or by
// cel tag in every type.
var sizeOf = map[string]uint64{
	// Identifiers and short words.
	"name":        64,
	"json_name":   64,
	"oneof":       64,
	"type":        64,
	"label":       64,
	"cardinality": 64,
	"kind":        64,
	"syntax":      64,
	"edition":     64,
	"direction":   64,
	"rule":        64,

	"Message.fields":            128,
	"Message.oneofs":            32,
	"Enum.values":               256,
	"Subject.primary_key":       8,
	"Subject.primary_key_paths": 8,
	"KeyPath.fields":            8,
	"Change.message":            1024,
	"comments":                  4096, // of every type
}

// sizeEstimator estimates the sizes of the variables' lists, maps and
// strings for env.EstimateCost: sizeOf and its defaults for the model,
// params' own largest value for params.
type sizeEstimator struct {
	// params bounds every string, list and map under params.
	params uint64
}

// newSizeEstimator returns the estimator of a policy with params.
func newSizeEstimator(params map[string]any) sizeEstimator {
	return sizeEstimator{params: max(1, largest(params))}
}

// largest returns the size of the largest string, list or map in v.
func largest(v any) uint64 {
	switch v := v.(type) {
	case string:
		return uint64(len(v))
	case []byte:
		return uint64(len(v))
	case []any:
		n := uint64(len(v))
		for _, e := range v {
			n = max(n, largest(e))
		}
		return n
	case map[string]any:
		n := uint64(len(v))
		for k, e := range v {
			n = max(n, uint64(len(k)), largest(e))
		}
		return n
	case map[any]any:
		n := uint64(len(v))
		for k, e := range v {
			n = max(n, largest(k), largest(e))
		}
		return n
	}
	return 0
}

// EstimateSize implements cost.Estimator.
func (e sizeEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	var bound uint64
	switch path := n.Path(); {
	case len(path) > 0 && path[0] == "params":
		bound = e.params
	case len(path) > 0:
		bound = modelSize(path)
	case n.Expr() != nil && n.Expr().Kind() == ast.SelectKind:
		// A field of an element of a computed list (e.g. of a filter()):
		// the largest bound of a field of that name.
		bound = fieldSize(n.Expr().AsSelect().FieldName())
	}
	if bound == 0 {
		if n.Type() != nil && n.Type().Kind() == types.StructKind {
			// Objects compare field by field.
			bound = objectSize
		}
	}
	if bound == 0 {
		return nil
	}
	return &cost.SizeEstimate{Min: 0, Max: bound}
}

// objectSize bounds an object of the model, for comparisons: its number of
// fields.
const objectSize = 32

// modelSize returns the bound of the value at path (a variable, then field
// names, @items, @keys and @values), 0 when it has no size.
func modelSize(path []string) uint64 {
	t, ok := variableTypes[path[0]]
	if !ok {
		return 0
	}
	owner, field := "", ""
	for _, step := range path[1:] {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case step == "@items" && t.Kind() == reflect.Slice, step == "@values" && t.Kind() == reflect.Map:
			t = t.Elem()
		case step == "@keys" && t.Kind() == reflect.Map:
			t = t.Key()
		case t.Kind() == reflect.Struct:
			f, ok := celField(t, step)
			if !ok {
				return 0
			}
			owner, field = t.Name(), step
			t = f.Type
		case t.Kind() == reflect.Interface:
			// Inside options: values of any shape.
			return sizeString
		default:
			return 0
		}
	}
	return boundOf(t, owner, field)
}

// boundOf returns the bound of field of owner, of type t; 0 when t has no
// size.
func boundOf(t reflect.Type, owner, field string) uint64 {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Interface:
	default:
		return 0
	}
	if n, ok := sizeOf[owner+"."+field]; ok {
		return n
	}
	if n, ok := sizeOf[field]; ok {
		return n
	}
	if t.Kind() == reflect.String || t.Kind() == reflect.Interface {
		return sizeString
	}
	return sizeList
}

// fieldSize returns the largest bound of a field named name in any type
// of the model, 0 when none has a size.
func fieldSize(name string) uint64 {
	var bound uint64
	for _, t := range modelTypes {
		if f, ok := celField(t, name); ok {
			bound = max(bound, boundOf(f.Type, t.Name(), name))
		}
	}
	return bound
}

// modelTypes are the types of the object model.
var modelTypes = []reflect.Type{
	reflect.TypeFor[File](), reflect.TypeFor[Message](), reflect.TypeFor[Field](), reflect.TypeFor[Enum](),
	reflect.TypeFor[EnumValue](), reflect.TypeFor[Service](), reflect.TypeFor[Method](), reflect.TypeFor[Subject](),
	reflect.TypeFor[KeyPath](), reflect.TypeFor[Change](), reflect.TypeFor[Element](), reflect.TypeFor[Push](),
}

// celField returns the field of struct t whose cel tag is name.
func celField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("cel") == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// scalarStringSize bounds the string form of a number, bool, timestamp or
// duration.
const scalarStringSize = 40

// EstimateCallCost implements cost.Estimator. It bounds the result of
// string() of scalars, which CEL's own model leaves unknown; other
// functions' cost models apply.
func (sizeEstimator) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	switch overloadID {
	case overloads.IntToString, overloads.UintToString, overloads.DoubleToString, overloads.BoolToString,
		overloads.TimestampToString, overloads.DurationToString:
		size := cost.RangedSizeEstimate(1, scalarStringSize)
		return cost.NewCallEstimate(cost.FixedCostEstimate(cost.CallCost), &size)
	}
	return nil
}

var _ cost.Estimator = sizeEstimator{}
