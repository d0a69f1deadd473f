package compat

import "google.golang.org/protobuf/reflect/protoreflect"

// This file decides, for a change of field kind, which directions lose or
// alter data: on the binary wire, and in proto3 JSON. A direction breaks
// when a value written with one kind, read back with the other, is refused
// or comes back different. Backward reads previous-kind data with the
// current kind; Forward reads current-kind data with the previous kind.

// wireGroup is buf's grouping of kinds that share a wire encoding; changes
// across groups are flagged by FIELD_WIRE_COMPATIBLE_TYPE.
var wireGroup = map[protoreflect.Kind]int{
	protoreflect.Int32Kind: 1, protoreflect.Int64Kind: 1, protoreflect.Uint32Kind: 1,
	protoreflect.Uint64Kind: 1, protoreflect.BoolKind: 1,
	protoreflect.Sint32Kind: 2, protoreflect.Sint64Kind: 2,
	protoreflect.StringKind: 3, protoreflect.BytesKind: 4,
	protoreflect.Fixed32Kind: 5, protoreflect.Sfixed32Kind: 5,
	protoreflect.Fixed64Kind: 6, protoreflect.Sfixed64Kind: 6,
	protoreflect.DoubleKind: 7, protoreflect.FloatKind: 8,
	protoreflect.GroupKind: 9, protoreflect.MessageKind: 10, protoreflect.EnumKind: 11,
}

// wireJSONGroup is buf's grouping of kinds that share both a wire and a
// JSON encoding; changes across groups are flagged by
// FIELD_WIRE_JSON_COMPATIBLE_TYPE.
var wireJSONGroup = map[protoreflect.Kind]int{
	protoreflect.Int32Kind: 1, protoreflect.Uint32Kind: 1,
	protoreflect.Int64Kind: 2, protoreflect.Uint64Kind: 2,
	protoreflect.Fixed32Kind: 3, protoreflect.Sfixed32Kind: 3,
	protoreflect.Fixed64Kind: 4, protoreflect.Sfixed64Kind: 4,
	protoreflect.BoolKind: 5, protoreflect.Sint32Kind: 6, protoreflect.Sint64Kind: 7,
	protoreflect.StringKind: 8, protoreflect.BytesKind: 9,
	protoreflect.DoubleKind: 10, protoreflect.FloatKind: 11,
	protoreflect.GroupKind: 12, protoreflect.MessageKind: 13, protoreflect.EnumKind: 14,
}

// wireClass is the encoding a kind uses on the wire.
type wireClass int

const (
	classVarint wireClass = iota
	classZigZag
	classFixed32
	classFixed64
	classBytes
	classGroup
)

func classOf(k protoreflect.Kind) wireClass {
	switch k {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return classZigZag
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return classFixed32
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return classFixed64
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return classBytes
	case protoreflect.GroupKind:
		return classGroup
	default:
		return classVarint
	}
}

// kindSide is one side of a kind change: the kind, and for enums whether
// the enum is closed (a closed enum refuses numbers it does not declare).
type kindSide struct {
	kind   protoreflect.Kind
	closed bool
}

func sideOf(fd protoreflect.FieldDescriptor) kindSide {
	s := kindSide{kind: fd.Kind()}
	if s.kind == protoreflect.EnumKind && fd.Enum() != nil {
		s.closed = fd.Enum().IsClosed()
	}
	return s
}

// wireKeeps reports whether every value written on the wire with kind from
// reads back unchanged with kind to.
func wireKeeps(from, to kindSide) bool {
	if from.kind == to.kind {
		return !(from.kind == protoreflect.EnumKind && to.closed && !from.closed)
	}
	if classOf(from.kind) != classOf(to.kind) {
		return false
	}
	switch classOf(from.kind) {
	case classVarint:
		return varintKeeps(from, to)
	case classZigZag:
		return from.kind == protoreflect.Sint32Kind // sint32 fits sint64
	case classBytes:
		// Any bytes are fine for bytes; strings and messages are bytes.
		return to.kind == protoreflect.BytesKind
	default:
		// fixed32/sfixed32/float and fixed64/sfixed64/double reinterpret bits.
		return false
	}
}

// varintKeeps decides for kinds encoded as plain varints.
func varintKeeps(from, to kindSide) bool {
	switch from.kind {
	case protoreflect.BoolKind:
		// 0 and 1 read back as 0 and 1 with any integer kind; an open enum
		// keeps any number.
		return to.kind != protoreflect.EnumKind || !to.closed
	case protoreflect.Int32Kind, protoreflect.EnumKind:
		// Negative values are sign-extended to 64 bits on the wire.
		switch to.kind {
		case protoreflect.Int64Kind, protoreflect.Int32Kind:
			return true
		case protoreflect.EnumKind:
			return !to.closed
		}
		return false
	case protoreflect.Uint32Kind:
		return to.kind == protoreflect.Int64Kind || to.kind == protoreflect.Uint64Kind
	default:
		// int64 and uint64 values do not fit any other kind.
		return false
	}
}

// jsonKeeps reports whether every value written in proto3 JSON with kind
// from parses back unchanged with kind to. Parsers accept integers as JSON
// numbers or strings, enums as names or numbers.
func jsonKeeps(from, to kindSide) bool {
	if from.kind == to.kind {
		return !(from.kind == protoreflect.EnumKind && to.closed && !from.closed)
	}
	fromRange, fromInt := intRange[from.kind]
	toRange, toInt := intRange[to.kind]
	switch {
	case fromInt && toInt:
		return toRange.min <= fromRange.min && fromRange.max <= toRange.max
	case fromInt && to.kind == protoreflect.EnumKind:
		// Enum parsers accept numbers; an open enum keeps any int32.
		return !to.closed && fromRange.min >= -1<<31 && fromRange.max <= 1<<31-1
	case fromInt && (to.kind == protoreflect.DoubleKind || to.kind == protoreflect.FloatKind):
		limit := float64(1 << 53)
		if to.kind == protoreflect.FloatKind {
			limit = 1 << 24
		}
		return float64(fromRange.max) <= limit && float64(fromRange.min) >= -limit
	case from.kind == protoreflect.FloatKind && to.kind == protoreflect.DoubleKind:
		return true
	}
	return false
}

// intRange is the value range of each integer kind.
var intRange = map[protoreflect.Kind]struct{ min, max float64 }{
	protoreflect.Int32Kind:    {-1 << 31, 1<<31 - 1},
	protoreflect.Sint32Kind:   {-1 << 31, 1<<31 - 1},
	protoreflect.Sfixed32Kind: {-1 << 31, 1<<31 - 1},
	protoreflect.Uint32Kind:   {0, 1<<32 - 1},
	protoreflect.Fixed32Kind:  {0, 1<<32 - 1},
	protoreflect.Int64Kind:    {-1 << 63, 1<<63 - 1},
	protoreflect.Sint64Kind:   {-1 << 63, 1<<63 - 1},
	protoreflect.Sfixed64Kind: {-1 << 63, 1<<63 - 1},
	protoreflect.Uint64Kind:   {0, 1<<64 - 1},
	protoreflect.Fixed64Kind:  {0, 1<<64 - 1},
}

// wireBreaks returns the directions a kind change breaks on the wire.
func wireBreaks(prev, curr kindSide) Direction {
	var d Direction
	if !wireKeeps(prev, curr) {
		d |= Backward
	}
	if !wireKeeps(curr, prev) {
		d |= Forward
	}
	return d
}

// jsonBreaks returns the directions a kind change breaks in JSON.
func jsonBreaks(prev, curr kindSide) Direction {
	var d Direction
	if !jsonKeeps(prev, curr) {
		d |= Backward
	}
	if !jsonKeeps(curr, prev) {
		d |= Forward
	}
	return d
}
