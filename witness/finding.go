package witness

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// MaxExplained is how many findings of one check get a witness searched
// for (ExplainAll); the others get an Explanation saying the bound was
// reached. With MaxFindingCandidates messages per layer and direction, a
// check searches at most 20 × 2 × 2 × 500 messages.
const MaxExplained = 20

// MaxFindingCandidates bounds the messages tried for one finding, per
// layer and direction.
const MaxFindingCandidates = 500

// Explanation is what data shows about one finding: a witness, or why
// there is none.
type Explanation struct {
	// Witness is a message that breaks the finding's direction, or nil.
	Witness *Witness
	// None says why there is no witness, when Witness is nil. Both are
	// empty for a finding that is not of a compatibility rule (a policy's).
	None string
}

// String returns the witness, or "no witness: ...".
func (e Explanation) String() string {
	if e.Witness != nil {
		return e.Witness.String()
	}
	return e.None
}

// Explainer finds the witnesses of the findings of one check between two
// images.
type Explainer struct {
	prev, curr *image.Index
	rules      map[string]compat.RuleInfo
}

// NewExplainer indexes the two images a check compared.
func NewExplainer(previous, current *image.Image) *Explainer {
	rules := map[string]compat.RuleInfo{}
	for _, r := range compat.Rules("v2") {
		rules[r.ID] = r
	}
	return &Explainer{prev: image.NewIndex(previous), curr: image.NewIndex(current), rules: rules}
}

// ExplainAll explains the first MaxExplained findings; the rest get an
// Explanation that says the bound was reached.
func (e *Explainer) ExplainAll(findings []compat.Finding) []Explanation {
	out := make([]Explanation, len(findings))
	for i, f := range findings {
		if i >= MaxExplained {
			out[i] = Explanation{None: fmt.Sprintf("no witness searched: only the first %d findings of a check get one", MaxExplained)}
			continue
		}
		out[i] = e.Explain(f)
	}
	return out
}

// Explain finds a witness of f: it locates the message that holds f's
// element in both images (the element's message for a field, the field
// focused; a carrier message for an enum or enum value), and for each
// direction f breaks (Backward: written with the previous schema, read
// with the current one; Forward the other way) tries the layers the rule
// guards — WIRE rules the binary encoding, WIRE_JSON rules proto-JSON then
// binary, source-only rules (FILE, PACKAGE) both — counting an enum read
// without a name as a difference only for LOSSLESS rules.
func (e *Explainer) Explain(f compat.Finding) Explanation {
	info, ok := e.rules[f.Rule]
	if !ok {
		// A policy's finding: no data to witness.
		return Explanation{}
	}
	layers, lossless, source := plan(info.Categories)
	prev, curr, focus, err := e.locate(protoreflect.FullName(f.Element))
	if err != nil {
		return Explanation{None: "no witness: " + err.Error()}
	}
	if prev == nil || curr == nil {
		if source {
			return Explanation{None: "no witness at the wire or JSON layer: generated code breaks, data does not"}
		}
		return Explanation{None: fmt.Sprintf("no witness: %s is not in both schemas, so no message of it is written with one and read with the other", f.Element)}
	}
	for _, dir := range []compat.Direction{compat.Backward, compat.Forward} {
		if f.Directions&dir == 0 {
			continue
		}
		writer, reader := prev, curr
		if dir == compat.Forward {
			writer, reader = curr, prev
		}
		// A finding about a field is proven by messages that set it: the
		// writer's field of the same number.
		var wf protoreflect.FieldDescriptor
		if focus != nil {
			if focus.ContainingMessage().FullName() == writer.FullName() {
				if wf = writer.Fields().ByNumber(focus.Number()); wf == nil {
					continue
				}
			}
		}
		for _, l := range layers {
			if w := findSetting(writer, reader, wf, l, dir, lossless); w != nil {
				return Explanation{Witness: w}
			}
		}
	}
	if source {
		return Explanation{None: "no witness at the wire or JSON layer: generated code breaks, data does not"}
	}
	return Explanation{None: fmt.Sprintf("no witness at the %s layer among %d messages tried: the rule is conservative here (the break needs a later change, e.g. reusing a freed number or name)", layers[0], MaxFindingCandidates)}
}

// plan returns the layers to try for a rule of categories, whether the
// rule is a LOSSLESS one, and whether it guards generated code only.
func plan(cats []string) (layers []Layer, lossless, source bool) {
	has := func(c string) bool { return slices.Contains(cats, c) }
	wire := has(compat.CategoryWire) || has(compat.CategoryWireLossless)
	json := has(compat.CategoryWireJSON) || has(compat.CategoryWireJSONLossless)
	lossless = (has(compat.CategoryWireLossless) || has(compat.CategoryWireJSONLossless)) &&
		!has(compat.CategoryWire) && !has(compat.CategoryWireJSON)
	switch {
	case wire:
		return []Layer{Wire}, lossless, false
	case json:
		return []Layer{JSON, Wire}, lossless, false
	default:
		return []Layer{JSON, Wire}, false, true
	}
}

// locate returns the messages that hold the element named name in the
// previous and current images (nil where it is not), and the field to
// focus on. An enum or enum value is held by a carrier of its enum.
func (e *Explainer) locate(name protoreflect.FullName) (prev, curr protoreflect.MessageDescriptor, focus protoreflect.FieldDescriptor, err error) {
	container := e.prev.Container(name)
	if container == "" {
		container = e.curr.Container(name)
	}
	if container == "" {
		return nil, nil, nil, nil
	}
	for _, x := range []*image.Index{e.prev, e.curr} {
		if fd, ok := x.Lookup(name).(protoreflect.FieldDescriptor); ok && !fd.IsExtension() {
			focus = fd
		}
	}
	side := func(x *image.Index) (protoreflect.MessageDescriptor, error) {
		switch d := x.Lookup(container).(type) {
		case protoreflect.MessageDescriptor:
			for d.IsMapEntry() {
				// A map's entry is read through the message holding the map.
				parent, ok := d.Parent().(protoreflect.MessageDescriptor)
				if !ok {
					return nil, nil
				}
				d = parent
			}
			return d, nil
		case protoreflect.EnumDescriptor:
			return Carrier(d)
		}
		return nil, nil
	}
	if prev, err = side(e.prev); err != nil {
		return nil, nil, nil, err
	}
	if curr, err = side(e.curr); err != nil {
		return nil, nil, nil, err
	}
	return prev, curr, focus, nil
}

// findSetting is Find restricted to the candidates that set field wf of
// the writer's message (every candidate when wf is nil), so that the
// witness is about the finding's field, not another change of the message.
func findSetting(writer, reader protoreflect.MessageDescriptor, wf protoreflect.FieldDescriptor, layer Layer, dir compat.Direction, lossless bool) *Witness {
	var candidates []protoreflect.Message
	if wf == nil {
		candidates = Candidates(writer, "")
	} else {
		// The candidates of Candidates that set wf, without building the
		// others (a message may have thousands of fields): wf alone with
		// each probe, then every field at once, each real oneof set to
		// its i-th member — wf's own oneof to wf.
		for _, v := range probes(wf, 0) {
			m := dynamicpb.NewMessage(writer)
			m.Set(wf, v)
			candidates = append(candidates, m)
		}
		// Every field at once matters when a oneof groups fields on one
		// side; without one, the field alone shows any break, and a
		// message with every field set costs time quadratic in its fields
		// (descriptors that find fields by number in a list).
		widest := 0
		for _, md := range []protoreflect.MessageDescriptor{writer, reader} {
			for i := 0; i < md.Oneofs().Len(); i++ {
				if o := md.Oneofs().Get(i); !o.IsSynthetic() {
					widest = max(widest, 1)
					if md == writer {
						widest = max(widest, o.Fields().Len())
					}
				}
			}
		}
		for pick := 0; pick < widest && len(candidates) < MaxFindingCandidates; pick++ {
			m := dynamicpb.NewMessage(writer)
			fields := writer.Fields()
			for i := 0; i < fields.Len(); i++ {
				f := fields.Get(i)
				if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() && f != wf {
					if o == wf.ContainingOneof() || o.Fields().Get(pick%o.Fields().Len()) != f {
						continue
					}
				}
				if ps := probes(f, 0); len(ps) > 0 {
					m.Set(f, ps[0])
				}
			}
			candidates = append(candidates, m)
		}
	}
	for i, m := range candidates {
		if i >= MaxFindingCandidates {
			break
		}
		if w := Check(m, reader, layer, lossless); w != nil {
			w.Direction = dir
			return w
		}
	}
	return nil
}
