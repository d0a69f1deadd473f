package policies

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// Context says where policies run.
type Context struct {
	// Module is the registry module ("" outside the registry, or when
	// pbregistry.yaml names none); policies with modules: globs apply only
	// when it matches.
	Module string
	// Principal is who pushes, "" outside the registry.
	Principal string
	// Subjects are the module's subjects.
	Subjects []Subject
	// Budget is the cost evaluations may spend, shared by the calls given
	// the same Budget (e.g. a push's Lint and Changes); nil gives each call
	// a fresh Set.NewBudget.
	Budget *Budget
}

// Lint evaluates the schema policies (every target but change) on the input
// files of img and returns their findings, sorted.
//
// It stops with a *LimitError when an evaluation exceeds MaxEvalCost or the
// budget is spent, and with ctx's error when ctx is done.
func (s *Set) Lint(ctx context.Context, img *image.Image, c Context) ([]compat.Finding, error) {
	if len(s.byTarget) == 0 || (len(s.byTarget) == 1 && s.byTarget[TargetChange] != nil) {
		return nil, nil
	}
	e := s.newEvaluation(ctx, img, nil, c)
	for _, f := range img.InputFiles() {
		if e.lintFile(f.Descriptor); e.err != nil {
			return nil, e.err
		}
	}
	return compat.Sort(e.findings), nil
}

// Changes evaluates the change policies on the changes between previous
// and current: every finding of every compat rule (all categories, FULL,
// imports excluded), as policies see more than the rules a subject selects.
// It stops like Lint.
func (s *Set) Changes(ctx context.Context, previous, current *image.Image, c Context) ([]compat.Finding, error) {
	policies := s.byTarget[TargetChange]
	if previous == nil || !anyApplicable(policies, c) {
		return nil, nil // spare the all-rules compatibility check
	}
	changes, err := compat.Check(previous, current, compat.Config{
		Version:        "v2",
		Use:            compat.Categories("v2"),
		ExcludeImports: true,
	})
	if err != nil {
		return nil, fmt.Errorf("policies: changes: %w", err)
	}
	e := s.newEvaluation(ctx, current, previous, c)
	for _, ch := range changes {
		element := protoreflect.FullName(ch.Element)
		currD, prevD := e.index.Lookup(element), e.prevIndex.Lookup(element)
		change := &Change{
			Rule: ch.Rule, Direction: ch.Directions.String(), Message: ch.Message, Element: ch.Element,
			Path: ch.Location.Path, Current: e.b.element(currD), Previous: e.prevBuilder.element(prevD),
		}
		if ch.Directions == 0 {
			change.Direction = "NONE"
		}
		container := e.index.Container(element)
		if container == "" {
			container = e.prevIndex.Container(element)
		}
		pkg := ""
		if currD != nil {
			pkg = string(currD.ParentFile().Package())
		} else if prevD != nil {
			pkg = string(prevD.ParentFile().Package())
		}
		at := func(p *policy) (compat.Location, compat.Location) { return ch.Location, ch.Previous }
		if e.run(policies, pkg, container, &vars{change: change}, ch.Element, at); e.err != nil {
			return nil, e.err
		}
	}
	return compat.Sort(e.findings), nil
}

// anyApplicable reports whether a policy may apply in context c: its
// kinds, if any, are those of some subject, and its modules, if any, match.
func anyApplicable(policies []*policy, c Context) bool {
	for _, p := range policies {
		if len(p.spec.Modules) > 0 && !matchAny(p.spec.Modules, c.Module, "/") {
			continue
		}
		if p.kinds == nil {
			return true
		}
		for _, s := range c.Subjects {
			if p.kinds[s.Kind] {
				return true
			}
		}
	}
	return false
}

// evaluation holds the state of one Lint or Changes.
type evaluation struct {
	set    *Set
	ctx    Context
	runCtx context.Context
	budget *Budget
	// err stops the evaluation: a *LimitError or the context's error.
	err              error
	b, prevBuilder   *builder
	index, prevIndex *image.Index
	subjectsOf       map[protoreflect.FullName][]*Subject
	push             *Push
	noSubject        *Subject
	findings         []compat.Finding
}

func (s *Set) newEvaluation(ctx context.Context, img, prev *image.Image, c Context) *evaluation {
	e := &evaluation{
		set: s, ctx: c, runCtx: ctx, budget: c.Budget,
		b:          newBuilder(img, s.needOptions, s.needComments),
		index:      image.NewIndex(img),
		prevIndex:  image.NewIndex(prev),
		subjectsOf: make(map[protoreflect.FullName][]*Subject),
		push:       &Push{Principal: c.Principal, Module: c.Module},
		noSubject:  &Subject{},
	}
	if e.budget == nil {
		e.budget = s.NewBudget()
	}
	e.prevBuilder = e.b
	if prev != nil {
		e.prevBuilder = newBuilder(prev, s.needOptions, s.needComments)
	}
	// Copies: the caller's subjects are not written to.
	subjects := make([]*Subject, len(c.Subjects))
	for i := range c.Subjects {
		subj := c.Subjects[i]
		subj.PrimaryKeyPaths = e.b.keyPaths(e.index.Message(protoreflect.FullName(subj.Name)), subj.PrimaryKey)
		subjects[i] = &subj
	}
	sort.Slice(subjects, func(i, j int) bool { return subjects[i].Name < subjects[j].Name })
	for _, subj := range subjects {
		scope := e.index.Reachable(protoreflect.FullName(subj.Name))
		for name := range e.prevIndex.Reachable(protoreflect.FullName(subj.Name)) {
			scope[name] = true
		}
		for name := range scope {
			e.subjectsOf[name] = append(e.subjectsOf[name], subj)
		}
	}
	return e
}

// vars is the activation of an evaluation: the variables of its target.
type vars struct {
	file      *File
	message   *Message
	field     *Field
	enum      *Enum
	enumValue *EnumValue
	service   *Service
	method    *Method
	change    *Change
	subject   *Subject
	push      *Push
	params    map[string]any
}

// ResolveName implements interpreter.Activation.
func (v *vars) ResolveName(name string) (any, bool) {
	switch name {
	case "file":
		return v.file, v.file != nil
	case "message":
		return v.message, v.message != nil
	case "field":
		return v.field, v.field != nil
	case "enum":
		return v.enum, v.enum != nil
	case "enum_value":
		return v.enumValue, v.enumValue != nil
	case "service":
		return v.service, v.service != nil
	case "method":
		return v.method, v.method != nil
	case "change":
		return v.change, v.change != nil
	case "subject":
		return v.subject, true
	case "push":
		return v.push, true
	case "params":
		if v.params == nil {
			return map[string]any{}, true
		}
		return v.params, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *vars) Parent() interpreter.Activation { return nil }

// run evaluates policies on one element: pkg is its package, container
// the message or enum holding it (for subject kinds), element its full
// name, and at its locations. It does nothing once e.err is set, and sets
// it when the context is done.
func (e *evaluation) run(policies []*policy, pkg string, container protoreflect.FullName, v *vars, element string, at func(*policy) (compat.Location, compat.Location)) {
	if e.err != nil || len(policies) == 0 {
		return
	}
	if err := e.runCtx.Err(); err != nil {
		e.err = fmt.Errorf("policies on %s: %w", element, context.Cause(e.runCtx))
		return
	}
	subjects := e.subjectsOf[container]
	v.push = e.push
	for _, p := range policies {
		if e.err != nil {
			return
		}
		if !e.applies(p, pkg) {
			continue
		}
		if p.kinds == nil {
			v.subject = e.noSubject
			if len(subjects) > 0 {
				v.subject = subjects[0]
			}
			e.eval(p, v, element, at)
			continue
		}
		for _, subj := range subjects {
			if p.kinds[subj.Kind] {
				v.subject = subj
				e.eval(p, v, element, at)
			}
		}
	}
}

// applies checks a policy's module and package globs.
func (e *evaluation) applies(p *policy, pkg string) bool {
	if len(p.spec.Modules) > 0 && !matchAny(p.spec.Modules, e.ctx.Module, "/") {
		return false
	}
	if len(p.spec.Packages) > 0 && !matchAny(p.spec.Packages, pkg, ".") {
		return false
	}
	return true
}

// matchAny matches name against globs whose segments are separated by sep:
// "*" matches one segment (or part of one), a trailing "**" any number.
func matchAny(globs []string, name, sep string) bool {
	if name == "" {
		return false
	}
	for _, g := range globs {
		if prefix, ok := strings.CutSuffix(g, sep+"**"); ok {
			if name == prefix || strings.HasPrefix(name, prefix+sep) {
				return true
			}
			continue
		}
		if g == "**" {
			return true
		}
		pattern := strings.ReplaceAll(g, sep, "/")
		if ok, _ := path.Match(pattern, strings.ReplaceAll(name, sep, "/")); ok {
			return true
		}
	}
	return false
}

// eval evaluates one policy and records a finding when it fails, or sets
// e.err when a limit is exceeded or the context is done.
func (e *evaluation) eval(p *policy, v *vars, element string, at func(*policy) (compat.Location, compat.Location)) {
	v.params = p.spec.Params
	out, err := e.evalExpr(p, p.expr, "expr", v, element)
	if e.err != nil {
		return
	}
	var msg string
	switch {
	case err != nil:
		msg = fmt.Sprintf("Policy %s could not be evaluated on %s: %v.", p.spec.Name, element, err)
	case out.Value() == true:
		return
	default:
		if msg = e.message(p, v, element); e.err != nil {
			return
		}
	}
	loc, prev := at(p)
	e.findings = append(e.findings, compat.Finding{
		Rule: p.spec.Name, Location: loc, Previous: prev, Message: msg, Severity: p.severity,
		Element: element,
	})
}

// evalExpr evaluates one expression of p and charges its cost to the
// budget. A cost limit or a done context sets e.err; other errors are the
// expression's own, returned.
func (e *evaluation) evalExpr(p *policy, prg *program, key string, v *vars, element string) (ref.Val, error) {
	var (
		out ref.Val
		det *cel.EvalDetails
		err error
	)
	if prg.loops {
		out, det, err = prg.ContextEval(e.runCtx, v)
	} else {
		// Without loops, bounded by MaxEvalCost: run checks the context
		// before each element.
		out, det, err = prg.Eval(v)
	}
	var spent uint64
	if det != nil && det.ActualCost() != nil {
		spent = *det.ActualCost()
	}
	if err != nil {
		if stop := stopError(e.runCtx, err, p, key, element, e.set.limits.MaxEvalCost); stop != nil {
			e.budget.charge(max(spent, e.set.limits.MaxEvalCost))
			e.err = stop
			return nil, err
		}
	}
	if !e.budget.charge(spent) {
		e.err = &LimitError{Policy: p.spec.Name, Pos: p.spec.Pos, Key: key, Element: element, Limit: "max_check_cost", Value: e.budget.limit}
		return nil, err
	}
	return out, err
}

// message renders a failed policy's message.
func (e *evaluation) message(p *policy, v *vars, element string) string {
	if p.message != nil {
		if out, err := e.evalExpr(p, p.message, "message_expr", v, element); err == nil {
			if s, ok := out.Value().(string); ok && s != "" {
				return ensurePeriod(s)
			}
		}
	}
	if p.spec.Message != "" {
		return ensurePeriod(p.spec.Message)
	}
	if p.spec.Description != "" {
		return fmt.Sprintf("%s %s breaks policy %s: %s", p.spec.Target, element, p.spec.Name, ensurePeriod(p.spec.Description))
	}
	return fmt.Sprintf("%s %s breaks policy %s (%s).", p.spec.Target, element, p.spec.Name, p.spec.Expr)
}

func ensurePeriod(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func atDesc(d protoreflect.Descriptor) func(*policy) (compat.Location, compat.Location) {
	return func(*policy) (compat.Location, compat.Location) { return compat.LocationOf(d), compat.Location{} }
}

// lintFile evaluates the schema policies on one file and what it declares.
func (e *evaluation) lintFile(fd protoreflect.FileDescriptor) {
	pkg := string(fd.Package())
	file := e.b.file(fd)
	if ps := e.set.byTarget[TargetFile]; len(ps) > 0 {
		// A file belongs to the subjects of the messages it declares.
		container := protoreflect.FullName("")
		for i := 0; i < fd.Messages().Len(); i++ {
			if name := fd.Messages().Get(i).FullName(); len(e.subjectsOf[name]) > 0 {
				container = name
				break
			}
		}
		e.run(ps, pkg, container, &vars{file: file}, fd.Path(), atDesc(fd))
	}
	e.lintMessages(fd.Messages(), file, pkg)
	e.lintEnums(fd.Enums(), file, pkg)
	e.lintExtensions(fd.Extensions(), file, nil, pkg)
	if ps := e.set.byTarget[TargetService]; len(ps) > 0 || len(e.set.byTarget[TargetMethod]) > 0 {
		for i := 0; i < fd.Services().Len() && e.err == nil; i++ {
			sd := fd.Services().Get(i)
			svc := e.b.service(sd)
			e.run(ps, pkg, "", &vars{file: file, service: svc}, string(sd.FullName()), atDesc(sd))
			for j, m := range svc.Methods {
				e.run(e.set.byTarget[TargetMethod], pkg, "", &vars{file: file, service: svc, method: m}, m.FullName, atDesc(sd.Methods().Get(j)))
			}
		}
	}
}

func (e *evaluation) lintMessages(msgs protoreflect.MessageDescriptors, file *File, pkg string) {
	msgPolicies, fieldPolicies := e.set.byTarget[TargetMessage], e.set.byTarget[TargetField]
	for i := 0; i < msgs.Len() && e.err == nil; i++ {
		md := msgs.Get(i)
		if len(msgPolicies) > 0 || len(fieldPolicies) > 0 {
			m := e.b.message(md)
			if !md.IsMapEntry() {
				e.run(msgPolicies, pkg, md.FullName(), &vars{file: file, message: m}, m.FullName, atDesc(md))
			}
			if len(fieldPolicies) > 0 && !md.IsMapEntry() {
				for j, f := range m.Fields {
					e.run(fieldPolicies, pkg, md.FullName(), &vars{file: file, message: m, field: f}, f.FullName, atDesc(md.Fields().Get(j)))
				}
			}
			e.lintExtensions(md.Extensions(), file, m, pkg)
		}
		e.lintMessages(md.Messages(), file, pkg)
		e.lintEnums(md.Enums(), file, pkg)
	}
}

func (e *evaluation) lintExtensions(exts protoreflect.ExtensionDescriptors, file *File, parent *Message, pkg string) {
	ps := e.set.byTarget[TargetField]
	for i := 0; i < exts.Len() && len(ps) > 0 && e.err == nil; i++ {
		xd := exts.Get(i)
		container := protoreflect.FullName("")
		if parent != nil {
			container = protoreflect.FullName(parent.FullName)
		}
		msg := parent
		if msg == nil {
			msg = &Message{}
		}
		e.run(ps, pkg, container, &vars{file: file, message: msg, field: e.b.field(xd)}, string(xd.FullName()), atDesc(xd))
	}
}

func (e *evaluation) lintEnums(enums protoreflect.EnumDescriptors, file *File, pkg string) {
	enumPolicies, valuePolicies := e.set.byTarget[TargetEnum], e.set.byTarget[TargetEnumValue]
	if len(enumPolicies) == 0 && len(valuePolicies) == 0 {
		return
	}
	for i := 0; i < enums.Len() && e.err == nil; i++ {
		ed := enums.Get(i)
		en := e.b.enum(ed)
		e.run(enumPolicies, pkg, ed.FullName(), &vars{file: file, enum: en}, en.FullName, atDesc(ed))
		for j, v := range en.Values {
			e.run(valuePolicies, pkg, ed.FullName(), &vars{file: file, enum: en, enumValue: v}, v.FullName, atDesc(ed.Values().Get(j)))
		}
	}
}

var _ interpreter.Activation = (*vars)(nil)
