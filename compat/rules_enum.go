package compat

import (
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file holds the rules on enum pairs and enum value pairs.

func checkEnumSameType(p *pass, prev, curr protoreflect.EnumDescriptor) {
	if prev.IsClosed() == curr.IsClosed() {
		return
	}
	state := func(closed bool) string {
		if closed {
			return "closed"
		}
		return "open"
	}
	where := func(ed protoreflect.EnumDescriptor) at {
		return p.firstLocated(p.featureAt(ed, featureEnumType.Number(), 0), atDesc(ed))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"Enum %q changed from %s to %s.", nestedName(curr), state(prev.IsClosed()), state(curr.IsClosed()))
}

func checkEnumSameJSONFormat(p *pass, prev, curr protoreflect.EnumDescriptor) {
	before, after := jsonFormat(prev), jsonFormat(curr)
	if before != descriptorpb.FeatureSet_ALLOW || after == descriptorpb.FeatureSet_ALLOW {
		return
	}
	where := func(ed protoreflect.EnumDescriptor) at {
		return p.firstLocated(p.featureAt(ed, featureJSONFormat.Number(), 0), atDesc(ed))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"Enum %q changed JSON format support from %s to %s.", nestedName(curr), before, after)
}

// checkEnumValueSameName reports, for a number whose previous names are
// not all still names of that number, each current value of the number.
func checkEnumValueSameName(p *pass, prev, curr enumValueGroup) {
	before, after := prev.names(), curr.names()
	kept := true
	for _, name := range before {
		kept = kept && slices.Contains(after, name)
	}
	if kept {
		return
	}
	noun := "name"
	if len(before) > 1 && len(after) > 1 {
		noun = "names"
	}
	for _, cv := range curr.values {
		var prevAt at
		for _, pv := range prev.values {
			if pv.Name() == cv.Name() {
				prevAt = atDesc(pv, enumValueNumberTag)
			}
		}
		p.report(atDesc(cv, enumValueNumberTag), prevAt, Both, cv.FullName(),
			"Enum value %d on enum %q changed %s from %s to %s.", curr.number, nestedName(curr.enum), noun, quoteAll(before), quoteAll(after))
	}
}

// newValues returns the values of curr whose number prev does not have.
func newValues(prev, curr protoreflect.EnumDescriptor) []protoreflect.EnumValueDescriptor {
	var out []protoreflect.EnumValueDescriptor
	pvs, cvs := prev.Values(), curr.Values()
	for i := 0; i < cvs.Len(); i++ {
		if cv := cvs.Get(i); pvs.ByNumber(cv.Number()) == nil {
			out = append(out, cv)
		}
	}
	return out
}

func checkEnumValueWireLosslessAdd(p *pass, prev, curr protoreflect.EnumDescriptor) {
	if !prev.IsClosed() || !curr.IsClosed() {
		return
	}
	for _, cv := range newValues(prev, curr) {
		p.report(atDesc(cv), atDesc(prev), Forward, cv.FullName(),
			"Enum value %d %q was added to closed enum %q: readers still on the previous schema drop values they do not know, so %s.",
			cv.Number(), cv.Name(), nestedName(curr), breaks(Forward))
	}
}

func checkEnumValueWireLosslessDelete(p *pass, prev, curr protoreflect.EnumDescriptor) {
	if !prev.IsClosed() || !curr.IsClosed() {
		return
	}
	for _, pv := range newValues(curr, prev) {
		p.report(atDesc(curr), atDesc(prev), Backward, pv.FullName(),
			"Enum value %d %q was deleted from closed enum %q: readers on the current schema drop the numbers they do not know from old data, reserved or not, so %s.",
			pv.Number(), pv.Name(), nestedName(curr), breaks(Backward))
	}
}

func checkEnumValueWireJSONLosslessAdd(p *pass, prev, curr protoreflect.EnumDescriptor) {
	for _, cv := range newValues(prev, curr) {
		p.report(atDesc(cv), atDesc(prev), Forward, cv.FullName(),
			"Enum value %d %q was added to enum %q: JSON readers still on the previous schema refuse the name %q, so %s.",
			cv.Number(), cv.Name(), nestedName(curr), cv.Name(), breaks(Forward))
	}
}

func checkEnumValueWireJSONLosslessDelete(p *pass, prev, curr protoreflect.EnumDescriptor) {
	for _, pv := range newValues(curr, prev) {
		p.report(atDesc(curr), atDesc(prev), Backward, pv.FullName(),
			"Enum value %d %q was deleted from enum %q: JSON data that holds the name %q cannot be read any more, reserved or not, so %s.",
			pv.Number(), pv.Name(), nestedName(curr), pv.Name(), breaks(Backward))
	}
}

func checkEnumWireLosslessType(p *pass, prev, curr protoreflect.EnumDescriptor) {
	switch {
	case prev.IsClosed() == curr.IsClosed():
		return
	case curr.IsClosed():
		p.report(atDesc(curr), atDesc(prev), Backward, curr.FullName(),
			"Enum %q changed from open to closed: readers on the current schema drop numbers it does not declare, which old data may hold, so %s.",
			nestedName(curr), breaks(Backward))
	default:
		p.report(atDesc(curr), atDesc(prev), Forward, curr.FullName(),
			"Enum %q changed from closed to open: data written with the current schema may hold numbers readers still on the previous schema drop, so %s.",
			nestedName(curr), breaks(Forward))
	}
}
