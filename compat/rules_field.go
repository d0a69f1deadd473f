package compat

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file holds the rules on field pairs: a field of the previous schema
// and the field with the same number in the same message (or the extension
// with the same number of the same extendee) in the current schema.

// cardinality is a field's cardinality, presence included.
type cardinality int

const (
	cardinalityImplicit cardinality = iota // singular, implicit presence
	cardinalityExplicit                    // singular, explicit presence
	cardinalityRequired
	cardinalityRepeated
	cardinalityMap
)

func (c cardinality) String() string {
	switch c {
	case cardinalityImplicit:
		return "optional with implicit presence"
	case cardinalityExplicit:
		return "optional with explicit presence"
	case cardinalityRequired:
		return "required"
	case cardinalityRepeated:
		return "repeated"
	default:
		return "map"
	}
}

func cardinalityOf(fd protoreflect.FieldDescriptor) cardinality {
	switch {
	case fd.IsList():
		return cardinalityRepeated
	case fd.IsMap():
		return cardinalityMap
	case fd.Cardinality() == protoreflect.Required:
		return cardinalityRequired
	case fd.HasPresence():
		return cardinalityExplicit
	default:
		return cardinalityImplicit
	}
}

// inMapEntries reports whether both fields are the key or value of a map
// entry: generated, so never checked for cardinality or string type.
func inMapEntries(prev, curr protoreflect.FieldDescriptor) bool {
	return prev.ContainingMessage().IsMapEntry() && curr.ContainingMessage().IsMapEntry()
}

func checkFieldSameCardinality(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if inMapEntries(prev, curr) {
		return
	}
	before, after := cardinalityOf(prev), cardinalityOf(curr)
	if before != after {
		p.report(atDesc(curr), atDesc(prev), Both, curr.FullName(),
			"%s changed cardinality from %s to %s.", capitalize(describeField(curr)), before, after)
	}
}

// shape groups cardinalities by how values are laid out: one value, a
// required value, several values (repeated and map fields alike on the
// wire).
type shape int

const (
	shapeSingular shape = iota
	shapeRequired
	shapeMany
)

func wireShape(c cardinality) shape {
	switch c {
	case cardinalityRequired:
		return shapeRequired
	case cardinalityRepeated, cardinalityMap:
		return shapeMany
	default:
		return shapeSingular
	}
}

// cardinalityBreaks returns the directions a cardinality change breaks on
// the wire (and, with json, in JSON too, where arrays, objects and single
// values do not mix).
func cardinalityBreaks(before, after cardinality, json bool) Direction {
	b, a := wireShape(before), wireShape(after)
	var d Direction
	switch {
	case b == a:
	case b == shapeSingular && a == shapeRequired:
		d = Backward // old data may lack the field
	case b == shapeRequired && a == shapeSingular:
		d = Forward // new data may lack it
	case a == shapeMany:
		d = Forward // old readers keep one of several values
	case b == shapeMany:
		d = Backward // new readers keep one of several values
	}
	if json && before != after && (b == shapeMany || a == shapeMany) {
		d = Both
	}
	return d
}

func checkFieldWireCompatibleCardinality(p *pass, prev, curr protoreflect.FieldDescriptor) {
	checkCardinalityGroup(p, prev, curr, false)
}

func checkFieldWireJSONCompatibleCardinality(p *pass, prev, curr protoreflect.FieldDescriptor) {
	checkCardinalityGroup(p, prev, curr, true)
}

func checkCardinalityGroup(p *pass, prev, curr protoreflect.FieldDescriptor, json bool) {
	if inMapEntries(prev, curr) {
		return
	}
	before, after := cardinalityOf(prev), cardinalityOf(curr)
	group := wireShape
	if json {
		group = func(c cardinality) shape {
			if c == cardinalityMap {
				return shapeMany + 1
			}
			return wireShape(c)
		}
	}
	if group(before) == group(after) {
		return
	}
	dirs := cardinalityBreaks(before, after, json)
	p.report(atDesc(curr), atDesc(prev), dirs, curr.FullName(),
		"%s changed cardinality from %s to %s: %s.", capitalize(describeField(curr)), before, after, breaks(dirs))
}

// typeAt locates a field's type: its type name for message, enum and
// group fields, its scalar type otherwise.
func (p *pass) typeAt(fd protoreflect.FieldDescriptor) at {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.EnumKind, protoreflect.GroupKind:
		return p.typeNameAt(fd)
	}
	return atDesc(fd, fieldTypeTag)
}

// typeNameAt locates the type name of a message, enum or group field. For
// a proto2 group, buf's locations point at the `group` keyword: compilers
// that record a type location for groups put it there (and the type name
// on the group's name), buf's own compiler puts the type name there.
func (p *pass) typeNameAt(fd protoreflect.FieldDescriptor) at {
	if fd.Kind() == protoreflect.GroupKind {
		return p.firstLocated(atDesc(fd, fieldTypeTag), atDesc(fd, fieldTypeNameTag))
	}
	return atDesc(fd, fieldTypeNameTag)
}

func reportKindChange(p *pass, prev, curr protoreflect.FieldDescriptor, dirs Direction, detail string) {
	if detail != "" {
		detail = ": " + detail
	}
	p.report(p.typeAt(curr), p.typeAt(prev), dirs, curr.FullName(),
		"%s changed type from %s to %s%s.", capitalize(describeField(curr)), kindName(prev), kindName(curr), detail)
}

func reportTypeNameChange(p *pass, prev, curr protoreflect.FieldDescriptor) {
	p.report(p.typeNameAt(curr), p.typeNameAt(prev), Both, curr.FullName(),
		"%s changed type from %q to %q.", capitalize(describeField(curr)), typeName(prev), typeName(curr))
}

func checkFieldSameType(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if prev.Kind() != curr.Kind() {
		reportKindChange(p, prev, curr, Both, "")
		return
	}
	if typeName(prev) != typeName(curr) {
		reportTypeNameChange(p, prev, curr)
	}
}

func checkFieldWireCompatibleType(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if wireGroup[prev.Kind()] != wireGroup[curr.Kind()] {
		if prev.Kind() == protoreflect.StringKind && curr.Kind() == protoreflect.BytesKind {
			return // bytes read any string
		}
		dirs := wireBreaks(sideOf(prev), sideOf(curr))
		reportKindChange(p, prev, curr, dirs, breaks(dirs))
		return
	}
	checkSameGroupTypeName(p, prev, curr)
}

func checkFieldWireJSONCompatibleType(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if wireJSONGroup[prev.Kind()] != wireJSONGroup[curr.Kind()] {
		dirs := wireBreaks(sideOf(prev), sideOf(curr)) | jsonBreaks(sideOf(prev), sideOf(curr))
		reportKindChange(p, prev, curr, dirs, breaks(dirs))
		return
	}
	checkSameGroupTypeName(p, prev, curr)
}

// checkSameGroupTypeName checks a message, group or enum field whose kind
// did not change: a different message is a different type; a different
// enum is accepted when it has the same short name and keeps every value
// of the previous one.
func checkSameGroupTypeName(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if typeName(prev) == typeName(curr) {
		return
	}
	switch curr.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		reportTypeNameChange(p, prev, curr)
	case protoreflect.EnumKind:
		pe, ce := prev.Enum(), curr.Enum()
		if pe.Name() != ce.Name() || !enumKeepsValues(pe, ce) {
			reportTypeNameChange(p, prev, curr)
		}
	}
}

// enumKeepsValues reports whether every value of prev exists in curr with
// the same name and number.
func enumKeepsValues(prev, curr protoreflect.EnumDescriptor) bool {
	pvs, cvs := prev.Values(), curr.Values()
	for i := 0; i < pvs.Len(); i++ {
		pv := pvs.Get(i)
		cv := cvs.ByName(pv.Name())
		if cv == nil || cv.Number() != pv.Number() {
			return false
		}
	}
	return true
}

func isStringOrBytes(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind
}

func checkFieldSameCppStringType(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if inMapEntries(prev, curr) || !isStringOrBytes(prev) || !isStringOrBytes(curr) {
		return
	}
	before, after := fieldCppStringType(prev), fieldCppStringType(curr)
	if before == after || (before == cppStringTypePiece && after == cppStringTypeString) {
		return
	}
	where := func(fd protoreflect.FieldDescriptor) at {
		return p.firstLocated(
			atDesc(fd, fieldOptionsTag, 1), // ctype
			p.featureAt(fd, cppStringTypeField, cppFeaturesExt),
			atDesc(fd),
		)
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"%s changed C++ string type from %s to %s.", capitalize(describeField(curr)), before, after)
}

func checkFieldSameJavaUTF8Validation(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if prev.Kind() != protoreflect.StringKind || curr.Kind() != protoreflect.StringKind {
		return
	}
	before, after := fieldJavaUTF8Validation(prev), fieldJavaUTF8Validation(curr)
	if before == after {
		return
	}
	where := func(fd protoreflect.FieldDescriptor) at {
		return p.firstLocated(
			at{file: fd.ParentFile(), path: []int32{fileOptionsTag, 27}}, // java_string_check_utf8
			p.featureAt(fd, javaUTF8ValidationField, javaFeaturesExt),
			atDesc(fd),
		)
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"%s changed Java UTF-8 validation from %s to %s.", capitalize(describeField(curr)), before, after)
}

func is64BitInteger(fd protoreflect.FieldDescriptor) bool {
	switch fd.Kind() {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind,
		protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return true
	}
	return false
}

func jsType(fd protoreflect.FieldDescriptor) descriptorpb.FieldOptions_JSType {
	opts, _ := fd.Options().(*descriptorpb.FieldOptions)
	return opts.GetJstype()
}

func checkFieldSameJSType(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if !is64BitInteger(prev) || !is64BitInteger(curr) {
		return
	}
	before, after := jsType(prev), jsType(curr)
	if before == after {
		return
	}
	where := func(fd protoreflect.FieldDescriptor) at {
		return p.firstLocated(atDesc(fd, fieldOptionsTag, 6), atDesc(fd))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"%s changed option jstype from %s to %s.", capitalize(describeField(curr)), before, after)
}

func checkFieldSameUTF8Validation(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if prev.Kind() != protoreflect.StringKind || curr.Kind() != protoreflect.StringKind {
		return
	}
	before, after := utf8Validation(prev), utf8Validation(curr)
	if before == after {
		return
	}
	where := func(fd protoreflect.FieldDescriptor) at {
		return p.firstLocated(p.featureAt(fd, featureUTF8Validation.Number(), 0), atDesc(fd))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"%s changed UTF-8 validation from %s to %s.", capitalize(describeField(curr)), before, after)
}

func checkFieldSameJSONName(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if prev.IsExtension() || prev.JSONName() == curr.JSONName() {
		return
	}
	where := func(fd protoreflect.FieldDescriptor) at {
		return p.firstLocated(atDesc(fd, fieldJSONNameTag), atDesc(fd))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"%s changed its JSON name from %q to %q.", capitalize(describeField(curr)), prev.JSONName(), curr.JSONName())
}

func checkFieldSameName(p *pass, prev, curr protoreflect.FieldDescriptor) {
	before, after := string(prev.Name()), string(curr.Name())
	what := fmt.Sprintf("Field %d on message %q", curr.Number(), nestedName(curr.ContainingMessage()))
	if prev.IsExtension() {
		before, after = string(prev.FullName()), string(curr.FullName())
		what = fmt.Sprintf("Extension %d on message %q", curr.Number(), curr.ContainingMessage().FullName())
	}
	if before == after {
		return
	}
	p.report(atDesc(curr, fieldNameTag), atDesc(prev, fieldNameTag), Both, curr.FullName(),
		"%s changed name from %q to %q.", what, before, after)
}

// fieldDefault is a field's default value, comparable across kinds.
type fieldDefault struct {
	value     any
	printable string
}

func (d fieldDefault) isZero() bool {
	switch v := d.value.(type) {
	case string:
		return v == ""
	case bool:
		return !v
	case int32:
		return v == 0
	case int64:
		return v == 0
	case uint32:
		return v == 0
	case uint64:
		return v == 0
	case float32:
		return v == 0 && !math.Signbit(float64(v))
	case float64:
		return v == 0 && !math.Signbit(v)
	}
	return d.value == nil
}

func canHaveDefault(fd protoreflect.FieldDescriptor) bool {
	return !fd.IsList() && !fd.IsMap() && fd.Message() == nil
}

func defaultOf(fd protoreflect.FieldDescriptor) fieldDefault {
	v := fd.Default()
	switch fd.Kind() {
	case protoreflect.BytesKind:
		b := v.Bytes()
		return fieldDefault{value: string(b), printable: fmt.Sprintf("%q", b)}
	case protoreflect.StringKind:
		return fieldDefault{value: v.String(), printable: fmt.Sprintf("%q", v.String())}
	case protoreflect.EnumKind:
		n := v.Enum()
		printable := fmt.Sprintf("%d", n)
		if ev := fd.Enum().Values().ByNumber(n); ev != nil {
			printable = string(ev.Name())
		}
		return fieldDefault{value: int32(n), printable: printable}
	}
	return fieldDefault{value: v.Interface(), printable: fmt.Sprint(v.Interface())}
}

// defaultsEqual compares defaults numerically across kinds (so an int32
// default of 1 equals an int64 default of 1, and true equals 1).
func defaultsEqual(a, b fieldDefault) bool {
	_, aString := a.value.(string)
	_, bString := b.value.(string)
	if aString || bString {
		return a.value == b.value
	}
	switch av := a.value.(type) {
	case float32:
		if bv, ok := b.value.(float64); ok {
			return (math.IsNaN(float64(av)) && math.IsNaN(bv)) || av == float32(bv)
		}
	case float64:
		if bv, ok := b.value.(float32); ok {
			return (math.IsNaN(av) && math.IsNaN(float64(bv))) || float32(av) == bv
		}
	}
	af, aNaN := bigFloat(a.value)
	bf, bNaN := bigFloat(b.value)
	if aNaN || bNaN {
		return aNaN && bNaN
	}
	if af == nil || bf == nil {
		return a.value == b.value
	}
	return af.Cmp(bf) == 0
}

func bigFloat(v any) (*big.Float, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return big.NewFloat(1), false
		}
		return big.NewFloat(0), false
	case int32:
		return new(big.Float).SetInt64(int64(v)), false
	case int64:
		return new(big.Float).SetInt64(v), false
	case uint32:
		return new(big.Float).SetUint64(uint64(v)), false
	case uint64:
		return new(big.Float).SetUint64(v), false
	case float32:
		if math.IsNaN(float64(v)) {
			return nil, true
		}
		return big.NewFloat(float64(v)), false
	case float64:
		if math.IsNaN(v) {
			return nil, true
		}
		return big.NewFloat(v), false
	}
	return nil, false
}

func checkFieldSameDefault(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if !canHaveDefault(prev) || !canHaveDefault(curr) {
		return
	}
	before, after := defaultOf(prev), defaultOf(curr)
	if (before.isZero() && after.isZero()) || defaultsEqual(before, after) {
		return
	}
	where := func(fd protoreflect.FieldDescriptor) at {
		return p.firstLocated(atDesc(fd, fieldDefaultTag), atDesc(fd))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"%s changed its default value from %s to %s: %s.", capitalize(describeField(curr)), before.printable, after.printable, breaks(Both))
}

// realOneof returns the oneof fd belongs to, ignoring the synthetic oneofs
// of proto3 optional fields.
func realOneof(fd protoreflect.FieldDescriptor) protoreflect.OneofDescriptor {
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		return od
	}
	return nil
}

func checkFieldSameOneof(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if prev.IsExtension() {
		return
	}
	po, co := realOneof(prev), realOneof(curr)
	switch {
	case po == nil && co == nil:
		return
	case po != nil && co != nil:
		if po.Name() == co.Name() {
			return
		}
		p.report(atDesc(curr), atDesc(prev), Both, curr.FullName(),
			"%s moved from oneof %q to oneof %q: %s.", capitalize(describeField(curr)), po.Name(), co.Name(), breaks(Both))
	case co != nil:
		p.report(atDesc(curr), atDesc(prev), Backward, curr.FullName(),
			"%s moved into oneof %q: data that set it together with another member of the oneof loses one of them, so %s.",
			capitalize(describeField(curr)), co.Name(), breaks(Backward))
	default:
		p.report(atDesc(curr), atDesc(prev), Forward, curr.FullName(),
			"%s moved out of oneof %q: data that sets it together with a former member of the oneof loses one of them, so %s.",
			capitalize(describeField(curr)), po.Name(), breaks(Forward))
	}
}

func checkFieldWireLosslessType(p *pass, prev, curr protoreflect.FieldDescriptor) {
	if prev.Kind() == protoreflect.StringKind && curr.Kind() == protoreflect.BytesKind && utf8Validation(prev) == descriptorpb.FeatureSet_VERIFY {
		// buf's WIRE accepts it, since bytes read every string; but
		// readers on the previous schema validate UTF-8 and refuse the
		// bytes that are not.
		reportKindChange(p, prev, curr, Forward, "bytes that are not valid UTF-8 make readers on the previous schema, which validate strings, fail, so "+breaks(Forward))
		return
	}
	if prev.Kind() == curr.Kind() || wireGroup[prev.Kind()] != wireGroup[curr.Kind()] {
		return
	}
	dirs := wireBreaks(sideOf(prev), sideOf(curr))
	if dirs == 0 {
		return
	}
	reportKindChange(p, prev, curr, dirs, lossDetail(prev.Kind(), curr.Kind(), dirs))
}

// lossDetail explains what a wire-compatible kind change loses.
func lossDetail(prev, curr protoreflect.Kind, dirs Direction) string {
	var what string
	switch {
	case dirs == Both:
		what = "values change sign or meaning when read with the other type"
	case dirs == Forward:
		what = fmt.Sprintf("%s values that do not fit in %s are truncated", curr, prev)
	default:
		what = fmt.Sprintf("%s values that do not fit in %s are truncated", prev, curr)
	}
	return what + ", so " + breaks(dirs)
}

func checkFieldWireLosslessPresence(p *pass, prev, curr protoreflect.FieldDescriptor) {
	before, after := cardinalityOf(prev), cardinalityOf(curr)
	singular := func(c cardinality) bool { return c == cardinalityImplicit || c == cardinalityExplicit }
	bytesAndMessage := (prev.Message() != nil) != (curr.Message() != nil) &&
		(prev.Kind() == protoreflect.BytesKind || curr.Kind() == protoreflect.BytesKind)
	if before == after || !singular(before) || !singular(after) || (prev.Message() != nil || curr.Message() != nil) && !bytesAndMessage {
		// Message fields always track presence; another type change is
		// another rule's. A message read as bytes (or the other way) is
		// wire-compatible, and its presence counts like a scalar's.
		return
	}
	// Both directions: readers without presence cannot tell a zero set
	// explicitly from an unset value, and drop it when they write the
	// data again (read-modify-write); readers with presence read a zero
	// never written as absent.
	dirs := Both
	detail := "readers on the current schema read zeros of old data as absent, and readers on the previous schema drop a zero set explicitly when they write the data again"
	if before == cardinalityExplicit {
		detail = "a value set to zero can no longer be told from an unset one"
	}
	p.report(atDesc(curr), atDesc(prev), dirs, curr.FullName(),
		"%s changed presence from %s to %s: %s, so %s.", capitalize(describeField(curr)),
		strings.TrimPrefix(before.String(), "optional with "), strings.TrimPrefix(after.String(), "optional with "), detail, breaks(dirs))
}
