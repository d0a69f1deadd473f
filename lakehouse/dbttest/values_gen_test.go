package dbttest

import (
	"math"
	"math/rand/v2"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fillMessage sets a random subset of m's fields to random values, edge
// cases often: 64-bit extremes, NaN and infinities, unknown enum numbers,
// timestamps with nanos, strings JSON must escape.
func fillMessage(r *rand.Rand, m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if r.IntN(4) == 0 {
			continue
		}
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() && m.WhichOneof(o) != nil && r.IntN(2) == 0 {
			continue // keep the member set; else this one replaces it
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.IntN(3) {
				k := protoreflect.ValueOfString(randString(r)).MapKey()
				mp.Set(k, randValue(r, fd.MapValue(), mp.NewValue))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(3) {
				l.Append(randValue(r, fd, l.NewElement))
			}
		default:
			m.Set(fd, randValue(r, fd, func() protoreflect.Value { return m.NewField(fd) }))
		}
	}
}

// pick returns one of values.
func pick[T any](r *rand.Rand, values ...T) T { return values[r.IntN(len(values))] }

func randString(r *rand.Rand) string {
	return pick(r, "", "hello", `quote ' and " and \ and /`, "unicode é 日本 🎉", "null", "123", "tab\tnew\nline", "  spaced  ")
}

// randValue returns a random value of fd (one element of a list or map);
// newMessage returns an empty message value of its type.
func randValue(r *rand.Rand, fd protoreflect.FieldDescriptor, newMessage func() protoreflect.Value) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(pick(r, 0, 1, -1, math.MaxInt32, math.MinInt32, r.Int32()-1<<30))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(pick(r, 0, -1, 1<<53+1, -(1<<53 + 1), math.MaxInt64, math.MinInt64, r.Int64()-1<<62))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(pick(r, 0, 1, math.MaxUint32, r.Uint32()))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(pick(r, 0, 1, 1<<63, math.MaxUint64, r.Uint64()))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(pick(r, float32(0), 0.1, -1.5, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, r.Float32()*1e6))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(pick(r, 0, 0.1, -2.5e-300, 1e300, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, r.NormFloat64()*1e9))
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(randString(r))
	case protoreflect.BytesKind:
		b := make([]byte, r.IntN(9))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if r.IntN(5) == 0 {
			return protoreflect.ValueOfEnum(pick[protoreflect.EnumNumber](r, 77, -5)) // a number no version names
		}
		return protoreflect.ValueOfEnum(values.Get(r.IntN(values.Len())).Number())
	}
	v := newMessage()
	m := v.Message()
	switch fd.Message().FullName() {
	case "google.protobuf.Timestamp":
		secs := pick(r, 0, -1, 1767323045, r.Int64N(9_466_848_000)-2_208_988_800) // 1900 to 2200
		nanos := pick(r, 0, 123_456_789, 999_999_999, int64(r.IntN(1_000_000))*1000, r.Int64N(1_000_000_000))
		m.Set(m.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(secs))
		m.Set(m.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(int32(nanos)))
	case "google.protobuf.Duration":
		secs := pick(r, 0, 1, -3600, 315_576_000_000, r.Int64N(2_000_000_000)-1_000_000_000)
		nanos := int32(pick(r, 0, 1, 500_000_000, r.IntN(1_000_000_000)))
		if secs < 0 {
			nanos = -nanos
		}
		m.Set(m.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(secs))
		m.Set(m.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(nanos))
	case "google.protobuf.Struct":
		doc := pick(r, `{}`, `{"a": 1, "b": [true, null, "x"], "c": {"d": 2.5}}`, `{"n": null, "s": "é"}`)
		if err := protojson.Unmarshal([]byte(doc), m.Interface()); err != nil {
			panic(err) // the documents are valid Structs
		}
	default:
		if value := m.Descriptor().Fields().ByName("value"); value != nil && m.Descriptor().ParentFile().Package() == "google.protobuf" {
			m.Set(value, randValue(r, value, nil)) // a wrapper
		} else {
			fillMessage(r, m)
		}
	}
	return v
}
