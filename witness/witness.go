// Package witness proves compatibility verdicts with data. For a message
// whose schema changed between two images, it writes messages with one
// schema (the writer's), reads them with the other (the reader's) at one
// layer — the binary wire format, or proto-JSON — and reports the first
// message whose reading differs from what was written: a witness that the
// change breaks that direction at that layer.
//
// The search is generic, not written per rule: Find builds candidate
// messages from the writer's descriptor (each field alone with a few probe
// values chosen at the edges of its type — 2^31, 2^32+1, 2^53+1, the
// extremes, non-ASCII and non-UTF-8 bytes, every enum value — then every
// field at once, each oneof with each member), encodes them with
// google.golang.org/protobuf (dynamicpb, proto, protojson), decodes them
// with the reader's descriptor and compares what each field the reader
// knows holds with what was written, matching fields by number (wire) or
// JSON name (JSON). A direction in which no candidate differs gets no
// witness: the engine's verdict "compatible" is then consistent with every
// candidate tried.
//
// The package knows no storage and no rules: compat decides, witness
// shows.
package witness

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/compat"
)

// Layer is what a message crosses between its writer and its reader.
type Layer int

const (
	// Wire is the binary protobuf encoding.
	Wire Layer = iota
	// JSON is proto-JSON, read ignoring unknown fields and enum names
	// (protojson's DiscardUnknown), as readers of evolving data must.
	JSON
)

// String returns "WIRE" or "WIRE_JSON", the names of the rule categories
// that guard the layer.
func (l Layer) String() string {
	if l == JSON {
		return "WIRE_JSON"
	}
	return "WIRE"
}

// Kind is how a reading differs from a writing.
type Kind string

// The kinds of differences, from the most to the least severe.
const (
	// ParseError: the reader cannot read the message at all.
	ParseError Kind = "parse error"
	// FieldLost: a field the writer set and the reader knows is unset
	// when read (or another member of its oneof is).
	FieldLost Kind = "field lost"
	// ValueChanged: the reader reads another value than was written
	// (truncated, reinterpreted, another default).
	ValueChanged Kind = "value changed"
	// PresenceLost: the writer wrote a zero value explicitly and the
	// reader, without presence for the field, cannot tell it from unset;
	// or the writer's zero (implicit presence) reads as absent: lossless
	// layers only.
	PresenceLost Kind = "presence lost"
)

// Witness is a message that one schema writes and the other reads
// differently.
type Witness struct {
	// Layer is the layer the message crossed.
	Layer Layer
	// Direction is the direction it breaks: compat.Backward when the
	// writer is the previous schema and the reader the current one,
	// compat.Forward the other way.
	Direction compat.Direction
	// Message is the full name of the message written.
	Message protoreflect.FullName
	// Written is the message as the writer wrote it, in proto-JSON; for
	// the wire layer, WrittenHex is its binary encoding.
	Written    string
	WrittenHex string
	// Read is what the reader made of it, in proto-JSON with the reader's
	// schema; empty when it could not read it.
	Read string
	// Kind is how the reading differs, and Difference says it for
	// people, e.g. "field a: written 4294967297, read 1".
	Kind       Kind
	Difference string
}

// String renders the witness on a few lines, for people.
func (w *Witness) String() string {
	var b strings.Builder
	writer, reader := "the previous schema", "the current schema"
	if w.Direction == compat.Forward {
		writer, reader = reader, writer
	}
	fmt.Fprintf(&b, "witness (%s): %s written with %s: %s", w.Layer, w.Message, writer, w.Written)
	if w.WrittenHex != "" {
		fmt.Fprintf(&b, " (binary %s)", w.WrittenHex)
	}
	if w.Read != "" {
		fmt.Fprintf(&b, "\n  read with %s: %s", reader, w.Read)
	}
	fmt.Fprintf(&b, "\n  %s: %s", w.Kind, w.Difference)
	return b.String()
}

// Options tune the search.
type Options struct {
	// Focus names a field of the writer's message (its full name) to try
	// first, so that the witness is about the change a finding reports.
	Focus protoreflect.FullName
	// Lossless counts EnumUnknown as a difference (the LOSSLESS rules'
	// view); otherwise an enum number without a name, kept as is, is not
	// one.
	Lossless bool
	// MaxCandidates bounds the messages tried; 0 means 2,000.
	MaxCandidates int
}

// Find writes candidate messages of writer, reads each with reader at
// layer and returns the first that reads differently, or nil when none
// does. dir says which side writer is (compat.Backward: the previous
// schema), for the witness.
func Find(writer, reader protoreflect.MessageDescriptor, layer Layer, dir compat.Direction, opts Options) *Witness {
	max := opts.MaxCandidates
	if max <= 0 {
		max = 2000
	}
	for i, m := range Candidates(writer, opts.Focus) {
		if i >= max {
			break
		}
		if w := Check(m, reader, layer, opts.Lossless); w != nil {
			w.Direction = dir
			return w
		}
	}
	return nil
}

// Check writes m, reads it with reader at layer and returns how the
// reading differs, or nil when the reader reads every field it knows as
// written. A message the writer's own encoder refuses is not a witness.
func Check(m protoreflect.Message, reader protoreflect.MessageDescriptor, layer Layer, lossless bool) *Witness {
	w := check(m, reader, layer, lossless, false)
	if w == nil && layer == JSON {
		// Writers that keep the proto field names (Python's
		// preserving_proto_field_name, protojson's UseProtoNames).
		w = check(m, reader, layer, lossless, true)
	}
	return w
}

func check(m protoreflect.Message, reader protoreflect.MessageDescriptor, layer Layer, lossless, protoNames bool) *Witness {
	w := &Witness{Layer: layer, Message: m.Descriptor().FullName()}
	written, err := protojson.MarshalOptions{UseProtoNames: protoNames}.Marshal(m.Interface())
	if err != nil {
		return nil
	}
	// The reader reads the compact form: protojson's spacing varies
	// between builds, and a parse error's column with it.
	w.Written = compact(written)
	written = []byte(w.Written)
	r := dynamicpb.NewMessage(reader)
	switch layer {
	case Wire:
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Interface())
		if err != nil {
			return nil
		}
		w.WrittenHex = hex.EncodeToString(data)
		if err := (proto.UnmarshalOptions{}).Unmarshal(data, r); err != nil {
			w.Kind, w.Difference = ParseError, stableError(err)
			return w
		}
	case JSON:
		// Readers ignore fields they do not know, as every JSON reader
		// of evolving data must (protojson's DiscardUnknown).
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(written, r); err != nil {
			w.Kind, w.Difference = ParseError, stableError(err)
			return w
		}
	}
	if read, err := (protojson.MarshalOptions{}).Marshal(r); err == nil {
		w.Read = compact(read)
	} else {
		w.Read = "(" + err.Error() + ")"
	}
	kind, diff := compare(m, r, layer, lossless, "")
	if kind == "" {
		return nil
	}
	w.Kind, w.Difference = kind, diff
	return w
}

// compare compares what reader message r holds with what writer message w
// holds, field by field, and returns the first difference.
func compare(w, r protoreflect.Message, layer Layer, lossless bool, path string) (Kind, string) {
	wd, rd := w.Descriptor(), r.Descriptor()
	var kind Kind
	var diff string
	w.Range(func(wf protoreflect.FieldDescriptor, wv protoreflect.Value) bool {
		rf := counterpart(rd, wf, layer)
		name := path + string(wf.Name())
		if rf == nil {
			// The reader does not know the field by its key. On the wire
			// it keeps it as unknown fields; in JSON it drops it — a
			// loss when the reader has the field under another key.
			if same := rd.Fields().ByNumber(wf.Number()); layer == JSON && same != nil && !r.Has(same) {
				kind, diff = FieldLost, fmt.Sprintf("field %s: written %s, the reader reads field %d under the key %q and sees it unset", name, show(wf, wv), wf.Number(), same.JSONName())
				return false
			}
			return true
		}
		if !r.Has(rf) {
			if !rf.HasPresence() && isZero(wf, wv) {
				if lossless {
					kind, diff = PresenceLost, fmt.Sprintf("field %s: %s written explicitly, the reader (without presence) cannot tell it from unset", name, show(wf, wv))
				}
				return !lossless
			}
			kind, diff = FieldLost, fmt.Sprintf("field %s: written %s, the reader sees it unset%s", name, show(wf, wv), lostBecause(r, rf))
			return false
		}
		kind, diff = compareValue(wf, rf, wv, r.Get(rf), layer, lossless, name)
		return kind == ""
	})
	if kind != "" {
		return kind, diff
	}
	// Fields the writer left unset: a reader with another explicit
	// default reads another value.
	fields := wd.Fields()
	for i := 0; i < fields.Len(); i++ {
		wf := fields.Get(i)
		if w.Has(wf) || wf.Cardinality() == protoreflect.Repeated || wf.Message() != nil {
			continue
		}
		rf := counterpart(rd, wf, layer)
		if rf == nil || r.Has(rf) || rf.Message() != nil || rf.Cardinality() == protoreflect.Repeated {
			continue
		}
		if !wf.HasPresence() {
			if rf.HasPresence() && lossless && wf.ContainingOneof() == nil {
				return PresenceLost, fmt.Sprintf("field %s%s: the writer's zero value (implicit presence, not written) reads as absent", path, wf.Name())
			}
			continue
		}
		if a, b := scalar(wf, wf.Default()), scalar(rf, rf.Default()); a != b {
			return ValueChanged, fmt.Sprintf("field %s%s unset: the writer's default is %s, the reader's %s", path, wf.Name(), a, b)
		}
	}
	return "", ""
}

// lostBecause explains a lost field when the reader set another member of
// its oneof.
func lostBecause(r protoreflect.Message, rf protoreflect.FieldDescriptor) string {
	if o := rf.ContainingOneof(); o != nil && !o.IsSynthetic() {
		if set := r.WhichOneof(o); set != nil {
			return fmt.Sprintf(" (its oneof %s holds %s instead)", o.Name(), set.Name())
		}
	}
	return ""
}

// counterpart returns the reader's field that reads what the writer wrote
// in wf: the field with its number on the wire, with its JSON name (or
// its name, which protojson accepts too) in JSON.
func counterpart(rd protoreflect.MessageDescriptor, wf protoreflect.FieldDescriptor, layer Layer) protoreflect.FieldDescriptor {
	if layer == Wire {
		return rd.Fields().ByNumber(wf.Number())
	}
	if f := rd.Fields().ByJSONName(wf.JSONName()); f != nil {
		return f
	}
	return rd.Fields().ByTextName(wf.JSONName())
}

// compareValue compares one field's values.
func compareValue(wf, rf protoreflect.FieldDescriptor, wv, rv protoreflect.Value, layer Layer, lossless bool, name string) (Kind, string) {
	if wf.IsMap() != rf.IsMap() && (wf.IsList() || rf.IsList()) {
		// A map read as its repeated entries or the other way round:
		// the same entries on the wire; compare their number only.
		if n, m := length(wf, wv), length(rf, rv); n != m {
			return ValueChanged, fmt.Sprintf("field %s: %d entries written, %d read", name, n, m)
		}
		return "", ""
	}
	switch {
	case wf.IsMap() && rf.IsMap():
		wm, rm := wv.Map(), rv.Map()
		var kind Kind
		var diff string
		wm.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			key := scalar(wf.MapKey(), k.Value())
			var found bool
			rm.Range(func(rk protoreflect.MapKey, r protoreflect.Value) bool {
				if scalar(rf.MapKey(), rk.Value()) == key {
					found = true
					kind, diff = compareValue(wf.MapValue(), rf.MapValue(), v, r, layer, lossless, name+"["+key+"]")
					return false
				}
				return true
			})
			if !found {
				kind, diff = FieldLost, fmt.Sprintf("map %s: key %s written, not read", name, key)
			}
			return kind == ""
		})
		return kind, diff
	case wf.IsList() && rf.IsList():
		wl, rl := wv.List(), rv.List()
		if wl.Len() != rl.Len() {
			return ValueChanged, fmt.Sprintf("field %s: %d elements written, %d read", name, wl.Len(), rl.Len())
		}
		for i := 0; i < wl.Len(); i++ {
			if k, d := compareElem(wf, rf, wl.Get(i), rl.Get(i), layer, lossless, fmt.Sprintf("%s[%d]", name, i)); k != "" {
				return k, d
			}
		}
		return "", ""
	case wf.IsList() && !rf.IsList():
		// A repeated field read as a singular one keeps the last element
		// (wire) — the others are lost.
		wl := wv.List()
		if wl.Len() == 0 {
			return "", ""
		}
		if wl.Len() > 1 {
			return ValueChanged, fmt.Sprintf("field %s: %d elements written, the reader keeps one (%s)", name, wl.Len(), show(rf, rv))
		}
		return compareElem(wf, rf, wl.Get(0), rv, layer, lossless, name)
	case !wf.IsList() && rf.IsList():
		rl := rv.List()
		if rl.Len() != 1 {
			return ValueChanged, fmt.Sprintf("field %s: one value written, %d elements read", name, rl.Len())
		}
		return compareElem(wf, rf, wv, rl.Get(0), layer, lossless, name)
	case wf.IsMap() != rf.IsMap():
		return ValueChanged, fmt.Sprintf("field %s: written as a %s, read as a %s", name, shape(wf), shape(rf))
	}
	return compareElem(wf, rf, wv, rv, layer, lossless, name)
}

// length is the number of elements of a list or map value.
func length(f protoreflect.FieldDescriptor, v protoreflect.Value) int {
	if f.IsMap() {
		return v.Map().Len()
	}
	return v.List().Len()
}

func shape(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map"
	case f.IsList():
		return "list"
	}
	return "single value"
}

// compareElem compares one value of a field (not a list or map).
func compareElem(wf, rf protoreflect.FieldDescriptor, wv, rv protoreflect.Value, layer Layer, lossless bool, name string) (Kind, string) {
	wm, rm := wf.Message() != nil, rf.Message() != nil
	switch {
	case wm && rm:
		return compare(wv.Message(), rv.Message(), layer, lossless, name+".")
	case wm && rf.Kind() == protoreflect.BytesKind || rm && wf.Kind() == protoreflect.BytesKind:
		// A message and bytes share the wire type: the bytes are the
		// message's encoding.
		var msg protoreflect.Message
		var raw []byte
		if wm {
			msg, raw = wv.Message(), rv.Bytes()
		} else {
			msg, raw = rv.Message(), wv.Bytes()
		}
		enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg.Interface())
		if err != nil || !bytes.Equal(enc, raw) {
			return ValueChanged, fmt.Sprintf("field %s: written as a %s, read as a %s with other bytes", name, kindName(wf), kindName(rf))
		}
		return "", ""
	case wm != rm:
		return ValueChanged, fmt.Sprintf("field %s: written as a %s, read as a %s", name, kindName(wf), kindName(rf))
	}
	if rf.Kind() == protoreflect.EnumKind && rf.Enum().IsClosed() && rf.Enum().Values().ByNumber(rv.Enum()) == nil {
		// A closed enum drops a number it has no name for into the
		// unknown fields, as the protobuf spec says and C++ and Java do
		// (protobuf-go's dynamic messages keep it).
		return FieldLost, fmt.Sprintf("field %s: written %s, the reader's closed enum %s has no value %d: it drops it", name, showElem(wf, wv), rf.Enum().FullName(), rv.Enum())
	}
	if a, b := scalar(wf, wv), scalar(rf, rv); a != b {
		return ValueChanged, fmt.Sprintf("field %s: written %s, read %s", name, showElem(wf, wv), showElem(rf, rv))
	}
	return "", ""
}

func kindName(f protoreflect.FieldDescriptor) string {
	if f.Message() != nil {
		return "message " + string(f.Message().FullName())
	}
	return f.Kind().String()
}

// show renders a value of f for people: its scalar form, the enum value's
// name when the enum has one, a message in proto-JSON.
func show(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	if f.IsList() {
		l := v.List()
		parts := make([]string, l.Len())
		for i := range parts {
			parts[i] = showElem(f, l.Get(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if f.IsMap() {
		return "a map"
	}
	return showElem(f, v)
}

func showElem(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case f.Message() != nil:
		if b, err := (protojson.MarshalOptions{}).Marshal(v.Message().Interface()); err == nil {
			return compact(b)
		}
		return "a message"
	case f.Kind() == protoreflect.EnumKind:
		if ev := f.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return fmt.Sprintf("%s (%d)", ev.Name(), v.Enum())
		}
		return strconv.Itoa(int(v.Enum()))
	case f.Kind() == protoreflect.StringKind:
		return strconv.Quote(v.String())
	case f.Kind() == protoreflect.BytesKind:
		return "0x" + hex.EncodeToString(v.Bytes())
	}
	return scalar(f, v)
}

// stableError is err's text with the no-break spaces protobuf-go puts in
// its error prefixes at random (they vary between builds) made plain.
func stableError(err error) string {
	return strings.ReplaceAll(err.Error(), "\u00a0", " ")
}

// compact removes the insignificant white space protojson inserts at
// random (it varies between builds), so that a witness reads the same
// every time.
func compact(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}

// isZero reports whether v is the zero value of f's type (which implicit
// presence does not write).
func isZero(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	if f.IsList() || f.IsMap() {
		return false
	}
	if f.Message() != nil {
		// An empty message encodes as empty bytes.
		return proto.Size(v.Message().Interface()) == 0
	}
	switch f.Kind() {
	case protoreflect.StringKind:
		return v.String() == ""
	case protoreflect.BytesKind:
		return len(v.Bytes()) == 0
	}
	return scalar(f, v) == "0"
}

// scalar is the canonical form of a scalar value, comparable across the
// field types that share a wire type: integers in decimal (an enum by its
// number), floats by their value, strings and bytes by their bytes.
func scalar(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	if !v.IsValid() {
		return "(none)"
	}
	switch f.Kind() {
	case protoreflect.BoolKind:
		if v.Bool() {
			return "1"
		}
		return "0"
	case protoreflect.EnumKind:
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.FormatInt(v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10)
	case protoreflect.FloatKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 32)
	case protoreflect.DoubleKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return string(v.Bytes())
	}
	return fmt.Sprint(v.Interface())
}

// Candidates returns the messages Find tries, in order: each field alone
// with each of its probe values (focus first), then every field at once
// for each choice of oneof members.
func Candidates(md protoreflect.MessageDescriptor, focus protoreflect.FullName) []protoreflect.Message {
	fields := md.Fields()
	order := make([]protoreflect.FieldDescriptor, 0, fields.Len())
	for i := 0; i < fields.Len(); i++ {
		order = append(order, fields.Get(i))
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].FullName() == focus && order[j].FullName() != focus })
	// First the empty message: what the writer leaves unset (defaults,
	// implicit zeros).
	out := []protoreflect.Message{dynamicpb.NewMessage(md)}
	for _, f := range order {
		for _, v := range probes(f, 0) {
			m := dynamicpb.NewMessage(md)
			m.Set(f, v)
			out = append(out, m)
		}
	}
	// Every field at once, each real oneof set to its i-th member.
	widest := 1
	for i := 0; i < md.Oneofs().Len(); i++ {
		if o := md.Oneofs().Get(i); !o.IsSynthetic() {
			widest = max(widest, o.Fields().Len())
		}
	}
	for pick := 0; pick < widest; pick++ {
		m := dynamicpb.NewMessage(md)
		for _, f := range order {
			if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() && o.Fields().Get(pick%o.Fields().Len()) != f {
				continue
			}
			if ps := probes(f, 0); len(ps) > 0 {
				m.Set(f, ps[0])
			}
		}
		out = append(out, m)
	}
	return out
}

// maxDepth bounds how deep candidates nest messages.
const maxDepth = 2

// probes returns the values Candidates tries for f: a few at the edges of
// its type, none of them the zero value (which implicit presence does not
// write).
func probes(f protoreflect.FieldDescriptor, depth int) []protoreflect.Value {
	if f.IsMap() {
		var out []protoreflect.Value
		keys := scalarProbes(f.MapKey())
		vals := elemProbes(f.MapValue(), depth)
		if len(keys) == 0 || len(vals) == 0 {
			return nil
		}
		for _, v := range vals {
			m := dynamicpb.NewMessage(f.ContainingMessage()).NewField(f).Map()
			m.Set(keys[0].MapKey(), v)
			out = append(out, protoreflect.ValueOfMap(m))
		}
		return out
	}
	elems := elemProbes(f, depth)
	if !f.IsList() {
		return elems
	}
	var out []protoreflect.Value
	for i, e := range elems {
		l := dynamicpb.NewMessage(f.ContainingMessage()).NewField(f).List()
		l.Append(e)
		if i+1 < len(elems) {
			l.Append(elems[i+1])
		}
		out = append(out, protoreflect.ValueOfList(l))
	}
	return out
}

// elemProbes returns probe values of one element of f.
func elemProbes(f protoreflect.FieldDescriptor, depth int) []protoreflect.Value {
	if md := f.Message(); md != nil {
		if md.FullName() == "google.protobuf.Any" || depth >= maxDepth {
			return nil
		}
		// The empty message first: set, it is written as empty bytes.
		out := []protoreflect.Value{protoreflect.ValueOfMessage(dynamicpb.NewMessage(md))}
		sub := md.Fields()
		for i := 0; i < sub.Len(); i++ {
			for _, v := range probes(sub.Get(i), depth+1) {
				m := dynamicpb.NewMessage(md)
				m.Set(sub.Get(i), v)
				out = append(out, protoreflect.ValueOfMessage(m))
			}
		}
		return out
	}
	return scalarProbes(f)
}

// scalarProbes returns probe values of a scalar field: the zero value
// first when the field has presence (it is then written).
func scalarProbes(f protoreflect.FieldDescriptor) []protoreflect.Value {
	var out []protoreflect.Value
	if f.HasPresence() && f.Kind() != protoreflect.EnumKind && !f.IsList() && !f.IsMap() {
		out = append(out, f.Default())
	}
	switch f.Kind() {
	case protoreflect.BoolKind:
		out = append(out, protoreflect.ValueOfBool(true))
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		var highest protoreflect.EnumNumber
		for i := 0; i < vals.Len(); i++ {
			n := vals.Get(i).Number()
			highest = max(highest, n)
			if n != 0 || f.HasPresence() {
				out = append(out, protoreflect.ValueOfEnum(n))
			}
		}
		// An open enum holds numbers it has no name for, as written by
		// a newer writer; a closed one does not.
		if !f.Enum().IsClosed() && highest < math.MaxInt32 {
			out = append(out, protoreflect.ValueOfEnum(highest+1))
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		for _, n := range []int32{1, -1, math.MaxInt32, math.MinInt32} {
			out = append(out, protoreflect.ValueOfInt32(n))
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		for _, n := range []int64{1, -1, 1 << 31, 1<<32 + 1, 1<<53 + 1, math.MaxInt64, math.MinInt64} {
			out = append(out, protoreflect.ValueOfInt64(n))
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		for _, n := range []uint32{1, 1 << 31, math.MaxUint32} {
			out = append(out, protoreflect.ValueOfUint32(n))
		}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		for _, n := range []uint64{1, 1 << 31, 1<<32 + 1, 1<<63 + 1, math.MaxUint64} {
			out = append(out, protoreflect.ValueOfUint64(n))
		}
	case protoreflect.FloatKind:
		for _, x := range []float32{1.5, -2.25, math.MaxFloat32} {
			out = append(out, protoreflect.ValueOfFloat32(x))
		}
	case protoreflect.DoubleKind:
		for _, x := range []float64{1.5, 0.1, 1e300} {
			out = append(out, protoreflect.ValueOfFloat64(x))
		}
	case protoreflect.StringKind:
		for _, s := range []string{"a", "é"} {
			out = append(out, protoreflect.ValueOfString(s))
		}
	case protoreflect.BytesKind:
		for _, b := range [][]byte{[]byte("a"), {0xff, 0xfe}} {
			out = append(out, protoreflect.ValueOfBytes(bytes.Clone(b)))
		}
	}
	return out
}
