package compat

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file holds the rules on message pairs and enum pairs that concern
// ranges (reserved and extension ranges), required fields and options.

// Highest field numbers of messages, message sets and enums.
const (
	maxFieldNumber      = 536870911
	maxMessageSetNumber = 2147483646
	maxEnumNumber       = 2147483647
)

// tagRange is an inclusive range of numbers.
type tagRange struct{ start, end int64 }

func (r tagRange) String(max int64) string {
	switch {
	case r.start == r.end:
		return fmt.Sprintf("[%d]", r.start)
	case r.end == max:
		return fmt.Sprintf("[%d,max]", r.start)
	}
	return fmt.Sprintf("[%d,%d]", r.start, r.end)
}

// fieldRanges converts protoreflect's half-open field ranges.
func fieldRanges(rs protoreflect.FieldRanges) []tagRange {
	out := make([]tagRange, rs.Len())
	for i := range out {
		r := rs.Get(i)
		out[i] = tagRange{int64(r[0]), int64(r[1]) - 1}
	}
	return out
}

// enumRanges converts protoreflect's inclusive enum ranges.
func enumRanges(rs protoreflect.EnumRanges) []tagRange {
	out := make([]tagRange, rs.Len())
	for i := range out {
		r := rs.Get(i)
		out[i] = tagRange{int64(r[0]), int64(r[1])}
	}
	return out
}

// merged sorts ranges and merges the overlapping or adjacent ones.
func merged(ranges []tagRange) []tagRange {
	rs := append([]tagRange(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].start != rs[j].start {
			return rs[i].start < rs[j].start
		}
		return rs[i].end < rs[j].end
	})
	var out []tagRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.start <= out[n-1].end+1 {
			out[n-1].end = max(out[n-1].end, r.end)
			continue
		}
		out = append(out, r)
	}
	return out
}

// missing returns the parts of r that no range of covering (merged)
// contains.
func missing(r tagRange, covering []tagRange) []tagRange {
	var out []tagRange
	next := r.start
	for _, c := range covering {
		if c.end < next {
			continue
		}
		if c.start > r.end {
			break
		}
		if c.start > next {
			out = append(out, tagRange{next, c.start - 1})
		}
		next = c.end + 1
		if next > r.end {
			return out
		}
	}
	if next <= r.end {
		out = append(out, tagRange{next, r.end})
	}
	return out
}

// checkRanges reports each range of prev that curr no longer covers.
func checkRanges(p *pass, what string, currAt, prevAt at, element protoreflect.Descriptor, prev, curr []tagRange, max int64) {
	if len(prev) == 0 {
		return
	}
	covering := merged(curr)
	kind := "message"
	if _, ok := element.(protoreflect.EnumDescriptor); ok {
		kind = "enum"
	}
	for _, r := range prev {
		gaps := missing(r, covering)
		if len(gaps) == 0 {
			continue
		}
		parts := make([]string, len(gaps))
		for i, g := range gaps {
			parts[i] = g.String(max)
		}
		p.report(currAt, prevAt, Both, element.FullName(),
			"%s range %s on %s %q lost %s.", capitalize(what), r.String(max), kind, nestedName(element), strings.Join(parts, ", "))
	}
}

func maxNumber(md protoreflect.MessageDescriptor) int64 {
	if opts, _ := md.Options().(*descriptorpb.MessageOptions); opts.GetMessageSetWireFormat() {
		return maxMessageSetNumber
	}
	return maxFieldNumber
}

func checkExtensionMessageNoDelete(p *pass, prev, curr protoreflect.MessageDescriptor) {
	checkRanges(p, "extension", atDesc(curr), atDesc(prev), curr,
		fieldRanges(prev.ExtensionRanges()), fieldRanges(curr.ExtensionRanges()), maxNumber(curr))
}

func checkReservedMessageNoDelete(p *pass, prev, curr protoreflect.MessageDescriptor) {
	checkRanges(p, "reserved", atDesc(curr), atDesc(prev), curr,
		fieldRanges(prev.ReservedRanges()), fieldRanges(curr.ReservedRanges()), maxNumber(curr))
	checkReservedNames(p, atDesc(curr), atDesc(prev), curr, prev.ReservedNames(), curr.ReservedNames())
}

func checkReservedEnumNoDelete(p *pass, prev, curr protoreflect.EnumDescriptor) {
	checkRanges(p, "reserved", atDesc(curr), atDesc(prev), curr,
		enumRanges(prev.ReservedRanges()), enumRanges(curr.ReservedRanges()), maxEnumNumber)
	checkReservedNames(p, atDesc(curr), atDesc(prev), curr, prev.ReservedNames(), curr.ReservedNames())
}

func checkReservedNames(p *pass, currAt, prevAt at, element protoreflect.Descriptor, prev, curr protoreflect.Names) {
	kind := "message"
	if _, ok := element.(protoreflect.EnumDescriptor); ok {
		kind = "enum"
	}
	for i := 0; i < prev.Len(); i++ {
		if name := prev.Get(i); !curr.Has(name) {
			p.report(currAt, prevAt, Both, element.FullName(),
				"Reserved name %q was deleted from %s %q.", name, kind, nestedName(element))
		}
	}
}

// isRequiredLabel reports whether fd has the proto2 required label (editions
// LEGACY_REQUIRED fields have the optional label and are not counted, as in
// buf).
func isRequiredLabel(fd protoreflect.FieldDescriptor) bool {
	return fd.Cardinality() == protoreflect.Required && fd.ParentFile().Syntax() != protoreflect.Editions
}

func checkMessageSameRequiredFields(p *pass, prev, curr protoreflect.MessageDescriptor) {
	pfs, cfs := prev.Fields(), curr.Fields()
	for i := 0; i < pfs.Len(); i++ {
		fd := pfs.Get(i)
		if !isRequiredLabel(fd) {
			continue
		}
		if cfd := cfs.ByNumber(fd.Number()); cfd == nil || !isRequiredLabel(cfd) {
			p.report(atDesc(curr), atDesc(prev), Forward, fd.FullName(),
				"Message %q no longer has required field %d %q: readers still on the previous schema refuse data without it (FORWARD).",
				nestedName(curr), fd.Number(), fd.Name())
		}
	}
	for i := 0; i < cfs.Len(); i++ {
		fd := cfs.Get(i)
		if !isRequiredLabel(fd) {
			continue
		}
		if pfd := pfs.ByNumber(fd.Number()); pfd == nil || !isRequiredLabel(pfd) {
			p.report(atDesc(fd), at{}, Backward, fd.FullName(),
				"Message %q has new required field %d %q: readers on the current schema refuse data written without it (BACKWARD).",
				nestedName(curr), fd.Number(), fd.Name())
		}
	}
}

func messageOptions(md protoreflect.MessageDescriptor) *descriptorpb.MessageOptions {
	opts, _ := md.Options().(*descriptorpb.MessageOptions)
	return opts
}

func checkMessageNoRemoveStandardDescriptorAccessor(p *pass, prev, curr protoreflect.MessageDescriptor) {
	if messageOptions(prev).GetNoStandardDescriptorAccessor() || !messageOptions(curr).GetNoStandardDescriptorAccessor() {
		return
	}
	p.report(atDesc(curr, messageOptionsTag, 2), atDesc(prev, messageOptionsTag, 2), Both, curr.FullName(),
		"Message %q turned option no_standard_descriptor_accessor on, removing its generated descriptor accessor.", nestedName(curr))
}

func checkMessageSameMessageSetWireFormat(p *pass, prev, curr protoreflect.MessageDescriptor) {
	before, after := messageOptions(prev).GetMessageSetWireFormat(), messageOptions(curr).GetMessageSetWireFormat()
	if before == after {
		return
	}
	p.report(atDesc(curr, messageOptionsTag, 1), atDesc(prev, messageOptionsTag, 1), Both, curr.FullName(),
		"Message %q changed option message_set_wire_format from %t to %t: %s.", nestedName(curr), before, after, breaks(Both))
}

func checkMessageSameJSONFormat(p *pass, prev, curr protoreflect.MessageDescriptor) {
	before, after := jsonFormat(prev), jsonFormat(curr)
	if before != descriptorpb.FeatureSet_ALLOW || after == descriptorpb.FeatureSet_ALLOW {
		return
	}
	where := func(md protoreflect.MessageDescriptor) at {
		return p.firstLocated(p.featureAt(md, featureJSONFormat.Number(), 0), atDesc(md))
	}
	p.report(where(curr), where(prev), Both, curr.FullName(),
		"Message %q changed JSON format support from %s to %s.", nestedName(curr), before, after)
}
