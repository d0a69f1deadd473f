package policies

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
)

// Sources are the policies in force for a check, from the least to the
// most specific. Each layer overrides the previous by policy name, except
// that Module cannot override a policy the Server layer defines.
type Sources struct {
	// NoBuiltins leaves the built-in policies out.
	NoBuiltins bool
	// Limits bound the policies and what evaluating them may cost; zero
	// fields take DefaultLimits.
	Limits Limits
	// Server are registryd's server-wide policies: modules cannot
	// override them.
	Server []Spec
	// Module are the module's policies, from pbregistry.yaml.
	Module []Spec
}

// Set is a compiled set of policies, ready to evaluate. It is safe for
// concurrent use.
type Set struct {
	byTarget map[Target][]*policy
	limits   Limits
	// needOptions and needComments say whether any expression reads
	// options or comments, which are costly to build.
	needOptions, needComments bool
}

// policy is a compiled, enabled policy.
type policy struct {
	spec     Spec
	expr     *program
	message  *program // nil without message_expr
	severity compat.Severity
	kinds    map[string]bool
}

// Compile merges the sources and compiles every enabled policy's
// expressions. Errors name the configuration file, line and column, and the
// CEL error; all of them are reported, joined.
func Compile(src Sources) (*Set, error) {
	limits := src.Limits.withDefaults()
	if err := checkSources(src, limits); err != nil {
		return nil, err
	}
	var base []Spec
	if !src.NoBuiltins {
		base = Builtins()
	}
	specs, err := merge(base, src.Server, nil)
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
	set := &Set{byTarget: make(map[Target][]*policy), limits: limits}
	var errs []error
	for _, spec := range specs {
		if spec.Disabled {
			continue
		}
		if spec.Target == "" || spec.Expr == "" {
			errs = append(errs, &config.Error{Pos: spec.Pos, Msg: fmt.Sprintf("policy %s needs a target and an expr (or the name of a built-in policy to override)", spec.Name)})
			continue
		}
		env, err := cachedEnv(spec.Target, limits)
		if err != nil {
			return nil, fmt.Errorf("policies: %w", err)
		}
		p := &policy{spec: spec, severity: compat.SeverityError}
		if spec.Severity == "warning" {
			p.severity = compat.SeverityWarning
		}
		if len(spec.Kinds) > 0 {
			p.kinds = make(map[string]bool)
			for _, k := range spec.Kinds {
				p.kinds[k] = true
			}
		}
		if p.expr, err = compileExpr(env, spec, "expr", spec.Expr, spec.ExprPos, cel.BoolType, limits); err != nil {
			errs = append(errs, err)
			continue
		}
		if spec.MessageExpr != "" {
			if p.message, err = compileExpr(env, spec, "message_expr", spec.MessageExpr, spec.MessageExprPos, cel.StringType, limits); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		for _, text := range []string{spec.Expr, spec.MessageExpr} {
			set.needOptions = set.needOptions || strings.Contains(text, "options")
			set.needComments = set.needComments || strings.Contains(text, "comments")
		}
		set.byTarget[spec.Target] = append(set.byTarget[spec.Target], p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}

// checkSources checks the number of policies of each source and what each
// configured policy writes against limits.
func checkSources(src Sources, limits Limits) error {
	var errs []error
	for _, specs := range [][]Spec{src.Server, src.Module} {
		if len(specs) > limits.MaxPolicies {
			return &config.Error{Pos: config.Pos{File: specs[limits.MaxPolicies].Pos.File}, Msg: fmt.Sprintf(
				"%d policies, more than the limit of %d (max_policies; the first one too many is at %s): merge or remove policies",
				len(specs), limits.MaxPolicies, specs[limits.MaxPolicies].Pos)}
		}
		for _, s := range specs {
			if err := checkSpecLimits(s, limits); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// interruptCheckFrequency is how many iterations a comprehension runs
// between checks of its context.
const interruptCheckFrequency = 100

// program is a compiled expression.
type program struct {
	cel.Program
	// loops reports comprehensions (all, exists, map, filter, …): only
	// they take long enough to need interrupting, and only they check the
	// context (ContextEval), which costs more than an Eval.
	loops bool
}

// compileExpr compiles one expression, checks its result type and that its
// estimated cost fits limits.MaxEvalCost.
func compileExpr(env *cel.Env, spec Spec, key, text string, at exprPos, want *cel.Type, limits Limits) (*program, error) {
	ast, iss := env.Compile(text)
	if iss.Err() != nil {
		var lines []string
		for _, e := range iss.Errors() {
			msg := e.Message
			if strings.Contains(msg, "recursion") {
				msg += fmt.Sprintf(" (the limit is %d levels, max_expr_depth): nest less, e.g. build a long message from a list with join() rather than a chain of +", limits.MaxExprDepth)
			}
			if e.Location.Line() <= 0 {
				lines = append(lines, fmt.Sprintf("%s: policy %s: %s: CEL error: %s", at.Pos, spec.Name, key, msg))
				continue
			}
			pos := at.locate(e.Location.Line(), e.Location.Column())
			lines = append(lines, fmt.Sprintf("%s: policy %s: %s: CEL error at line %d, column %d: %s",
				pos, spec.Name, key, e.Location.Line(), e.Location.Column()+1, msg))
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	if !ast.OutputType().IsExactType(want) && ast.OutputType() != cel.DynType {
		return nil, &config.Error{Pos: at.Pos, Msg: fmt.Sprintf("policy %s: %s must be a %s expression, this one is %s", spec.Name, key, want, ast.OutputType())}
	}
	est, err := env.EstimateCost(ast, newSizeEstimator(spec.Params))
	if err != nil {
		return nil, &config.Error{Pos: at.Pos, Msg: fmt.Sprintf("policy %s: %s: estimate its cost: %v", spec.Name, key, err)}
	}
	if est.Max > limits.MaxEvalCost {
		return nil, &config.Error{Pos: at.Pos, Msg: fmt.Sprintf("policy %s: %s: its estimated cost on the largest realistic element, %s, exceeds the limit of %d per evaluation (max_eval_cost): "+
			"make it cheaper — each comprehension nested in another multiplies the cost by the size of its list, and lists.range(n) costs n — or have the registry's administrator raise max_eval_cost",
			spec.Name, key, costString(est.Max), limits.MaxEvalCost)}
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(limits.MaxEvalCost), cel.InterruptCheckFrequency(interruptCheckFrequency))
	if err != nil {
		return nil, &config.Error{Pos: at.Pos, Msg: fmt.Sprintf("policy %s: %s: %v", spec.Name, key, err)}
	}
	loops := len(celast.MatchDescendants(celast.NavigateAST(ast.NativeRep()), celast.KindMatcher(celast.ComprehensionKind))) > 0
	return &program{Program: prg, loops: loops}, nil
}

// locate maps a position in an expression (1-based line, 0-based column)
// to the configuration file. Single-line flow scalars map exactly; for
// block scalars (| and >) the line is exact and the column is the CEL
// column, shown in the message.
func (p exprPos) locate(line, col int) config.Pos {
	out := p.Pos
	if out.Line == 0 {
		return out
	}
	switch p.style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		out.Line += line
		out.Col = 0
	default:
		out.Line += line - 1
		if line == 1 {
			out.Col += col
			if p.style == yaml.DoubleQuotedStyle || p.style == yaml.SingleQuotedStyle {
				out.Col++
			}
		} else {
			out.Col = 0
		}
	}
	return out
}

// targetVariables are the variables each target's expressions see, besides
// subject, push and params.
var targetVariables = map[Target][]string{
	TargetFile:      {"file"},
	TargetMessage:   {"message", "file"},
	TargetField:     {"field", "message", "file"},
	TargetEnum:      {"enum", "file"},
	TargetEnumValue: {"enum_value", "enum", "file"},
	TargetService:   {"service", "file"},
	TargetMethod:    {"method", "service", "file"},
	TargetChange:    {"change"},
}

// variableTypes maps each variable to its model type.
var variableTypes = map[string]reflect.Type{
	"file": reflect.TypeFor[File](), "message": reflect.TypeFor[Message](), "field": reflect.TypeFor[Field](),
	"enum": reflect.TypeFor[Enum](), "enum_value": reflect.TypeFor[EnumValue](), "service": reflect.TypeFor[Service](),
	"method": reflect.TypeFor[Method](), "change": reflect.TypeFor[Change](), "subject": reflect.TypeFor[Subject](),
	"push": reflect.TypeFor[Push](),
}

// costString writes an estimated cost, "unbounded" for the maximum.
func costString(c uint64) string {
	if c == math.MaxUint64 {
		return "unbounded (it depends on a size or value the estimate cannot bound, e.g. lists.range of a computed number)"
	}
	return strconv.FormatUint(c, 10)
}

// envKey identifies a CEL environment: its target and the limits its
// parser applies.
type envKey struct {
	target                  Target
	maxExprLength, maxDepth int
}

// envs caches environments by envKey: building one takes milliseconds,
// and every push with a configuration not seen yet compiles its policies.
// Environments are immutable and safe for concurrent use.
var envs sync.Map // envKey → *cel.Env

// cachedEnv returns the environment of target under limits.
func cachedEnv(target Target, limits Limits) (*cel.Env, error) {
	key := envKey{target: target, maxExprLength: limits.MaxExprLength, maxDepth: limits.MaxExprDepth}
	if env, ok := envs.Load(key); ok {
		return env.(*cel.Env), nil
	}
	env, err := newEnv(target, limits)
	if err != nil {
		return nil, err
	}
	actual, _ := envs.LoadOrStore(key, env)
	return actual.(*cel.Env), nil
}

// newEnv returns the CEL environment of a target's expressions.
func newEnv(target Target, limits Limits) (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(ext.ParseStructTags(true),
			reflect.TypeFor[*File](), reflect.TypeFor[*Message](), reflect.TypeFor[*Field](),
			reflect.TypeFor[*Enum](), reflect.TypeFor[*EnumValue](), reflect.TypeFor[*Service](),
			reflect.TypeFor[*Method](), reflect.TypeFor[*Change](), reflect.TypeFor[*Element](),
			reflect.TypeFor[*Subject](), reflect.TypeFor[*KeyPath](), reflect.TypeFor[*Push]()),
		ext.Strings(),
		ext.Lists(),
		cel.OptionalTypes(),
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		caseFunction("upper_snake", upperSnake),
		caseFunction("lower_snake", lowerSnake),
		cel.CostModel(caseCostModel("string_upper_snake"), caseCostModel("string_lower_snake")),
		cel.ParserExpressionSizeLimit(limits.MaxExprLength),
		cel.ParserRecursionLimit(limits.MaxExprDepth),
	}
	for _, name := range append([]string{"subject", "push"}, targetVariables[target]...) {
		opts = append(opts, cel.Variable(name, cel.ObjectType("policies."+variableTypes[name].Name())))
	}
	return cel.NewEnv(opts...)
}

// caseFunction declares a string member function, e.g. "FooBar".upper_snake().
func caseFunction(name string, fn func(string) string) cel.EnvOption {
	return cel.Function(name, cel.MemberOverload("string_"+name, []*cel.Type{cel.StringType}, cel.StringType,
		cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.NewErr("%s: want a string", name)
			}
			return types.String(fn(string(s)))
		})))
}

// caseCostModel is the cost of upper_snake and lower_snake: they scan the
// string and return one at most twice as long (a "_" between words).
func caseCostModel(id string) cost.OverloadModel {
	return cost.MemberOverload(id,
		cost.EvalCost(cost.Sum(cost.Const(cost.CallCost), cost.StringScan(cost.Length(cost.Target())), cost.Length(cost.Result()))),
		cost.ResultSize(cost.AtMost(cost.Scale(cost.Target(), 2))),
	)
}

// words splits an identifier into its words: "HTTPServerError" →
// [HTTP Server Error], "order_id" → [order id].
func words(s string) []string {
	var out []string
	runes := []rune(s)
	start := 0
	for i := 1; i <= len(runes); i++ {
		boundary := i == len(runes) || runes[i] == '_'
		if !boundary && unicode.IsUpper(runes[i]) {
			prevLower := unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1])
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			boundary = prevLower || (unicode.IsUpper(runes[i-1]) && nextLower)
		}
		if boundary {
			if w := strings.Trim(string(runes[start:i]), "_"); w != "" {
				out = append(out, w)
			}
			start = i
		}
	}
	return out
}

func upperSnake(s string) string { return strings.ToUpper(strings.Join(words(s), "_")) }
func lowerSnake(s string) string { return strings.ToLower(strings.Join(words(s), "_")) }
