package dbttest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// expect is what protobuf gives for one column of one row, matched
// against the column's value as Postgres text ("<NULL>" for NULL).
type expect struct {
	null  bool
	text  *string
	float *float64
	bits  int
	time  *time.Time
	dec   *big.Rat
	json  any
	isJ   bool
	// pj, when set, is a JSON value checked by what protobuf reads from
	// it: the value under key of a message of type parent, as written.
	pj *protoJSON
}

// protoJSON is a JSON value a column keeps as written: it matches when
// protojson reads it, as the value of field key in a message of the
// writer's type, as the same value the writer had.
type protoJSON struct {
	key  string
	want proto.Message // a message of the writer's type holding only the field
}

func (e expect) String() string {
	switch {
	case e.null:
		return "NULL"
	case e.text != nil:
		return strconv.Quote(*e.text)
	case e.float != nil:
		return fmt.Sprint(*e.float)
	case e.time != nil:
		return e.time.String()
	case e.dec != nil:
		return e.dec.FloatString(9)
	case e.pj != nil:
		b, _ := protojson.Marshal(e.pj.want)
		return string(b)
	}
	b, _ := json.Marshal(e.json)
	return string(b)
}

// matches reports whether got, a value as Postgres prints it, is e;
// truncates says the engine truncates timestamps to microseconds rather
// than rounding them.
func (e expect) matches(got string, truncates bool) bool {
	got0 := got
	if e.null || got == "<NULL>" {
		return e.null && got == "<NULL>"
	}
	switch {
	case e.text != nil:
		return got == *e.text
	case e.float != nil:
		f, err := strconv.ParseFloat(got, e.bits)
		if err != nil {
			return false
		}
		if math.IsNaN(*e.float) {
			return math.IsNaN(f)
		}
		return f == *e.float
	case e.time != nil:
		tm, err := time.Parse("2006-01-02 15:04:05.999999-07", got)
		// The engines keep microseconds.
		want := e.time.Round(time.Microsecond)
		if truncates {
			want = e.time.Truncate(time.Microsecond)
		}
		return err == nil && tm.Equal(want)
	case e.dec != nil:
		r, ok := new(big.Rat).SetString(got)
		return ok && r.Cmp(e.dec) == 0
	case e.pj != nil:
		got := dynamicpb.NewMessage(e.pj.want.ProtoReflect().Descriptor())
		doc := fmt.Sprintf("{%q: %s}", e.pj.key, got0)
		return protojson.Unmarshal([]byte(doc), got) == nil && proto.Equal(got, e.pj.want)
	case e.isJ:
		var v any
		return json.Unmarshal([]byte(got), &v) == nil && reflect.DeepEqual(v, e.json)
	}
	return false
}

func textOf(s string) expect { return expect{text: &s} }

// expectations returns what protobuf gives for every column of the model
// t, and every oneof case column, for msg, a message of the version it was
// written at: the oracle of the warehouse tests.
func expectations(t *testing.T, tbl *lakehouse.Table, msg protoreflect.Message) map[string]expect {
	t.Helper()
	out := map[string]expect{}
	for _, c := range tbl.Columns {
		out[c.Name] = expectColumn(t, c, msg)
	}
	// Oneof case columns: for each oneof on a column's path (members
	// flattened or not, deleted or not), the latest name of the member
	// the writer set, or NULL.
	for _, c := range tbl.Columns {
		for i, st := range c.Path {
			o := st.Field.ContainingOneof()
			if o == nil || o.IsSynthetic() {
				continue
			}
			name := ""
			for _, p := range c.Path[:i] {
				name += lakehouse.SnakeCase(p.Names[0]) + "__"
			}
			name += lakehouse.SnakeCase(string(o.Name())) + "__case"
			if _, done := out[name]; done {
				continue
			}
			out[name] = expect{null: true}
			cur := msg
			for _, p := range c.Path[:i] {
				fd := cur.Descriptor().Fields().ByNumber(p.Number)
				if fd == nil || !cur.Has(fd) {
					cur = nil
					break
				}
				cur = cur.Get(fd).Message()
			}
			if cur == nil {
				continue
			}
			od := cur.Descriptor().Oneofs().ByName(o.Name())
			if od == nil {
				continue
			}
			fd := cur.WhichOneof(od)
			if fd == nil {
				continue
			}
			// The member's latest name: the first name of its step on
			// some column's path.
			for _, m := range tbl.Columns {
				if len(m.Path) > i && m.Path[i].Number == fd.Number() && numbersEqual(m.Path[:i], c.Path[:i]) {
					out[name] = textOf(m.Path[i].Names[0])
					break
				}
			}
		}
	}
	return out
}

// numbersEqual reports whether two paths have the same field numbers.
func numbersEqual(a, b lakehouse.Path) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Number != b[i].Number {
			return false
		}
	}
	return true
}

// expectColumn follows c's field numbers through msg.
func expectColumn(t *testing.T, c *lakehouse.Column, msg protoreflect.Message) expect {
	cur := msg
	for i, st := range c.Path {
		fd := cur.Descriptor().Fields().ByNumber(st.Number)
		if fd == nil {
			return absent(c) // the writer's version has no such field
		}
		if i < len(c.Path)-1 {
			if !cur.Has(fd) {
				return absent(c)
			}
			cur = cur.Get(fd).Message()
			continue
		}
		if c.Presence && !cur.Has(fd) {
			return expect{null: true}
		}
		return value(t, c, cur, fd)
	}
	panic("empty path")
}

// absent is what protobuf gives for a field not in the row.
func absent(c *lakehouse.Column) expect {
	if c.Presence {
		return expect{null: true}
	}
	switch {
	case c.Field.IsMap():
		return expect{isJ: true, json: map[string]any{}}
	case c.Field.IsList():
		return expect{isJ: true, json: []any{}}
	}
	switch c.Kind {
	case lakehouse.KindBool:
		return textOf("false")
	case lakehouse.KindString:
		return textOf("")
	case lakehouse.KindBytes:
		return textOf(`\x`)
	case lakehouse.KindEnum:
		return textOf(c.Enum.ZeroName())
	case lakehouse.KindFloat, lakehouse.KindDouble:
		z := 0.0
		return expect{float: &z, bits: 64}
	}
	return textOf("0")
}

// value is fd's value in m as the column gives it.
func value(t *testing.T, c *lakehouse.Column, m protoreflect.Message, fd protoreflect.FieldDescriptor) expect {
	v := m.Get(fd)
	if c.Kind == lakehouse.KindJSON {
		if !fd.IsList() && !fd.IsMap() && fd.Message().FullName() == "google.protobuf.Duration" {
			d := v.Message()
			secs := d.Get(d.Descriptor().Fields().ByName("seconds")).Int()
			nanos := d.Get(d.Descriptor().Fields().ByName("nanos")).Int()
			r := new(big.Rat).Add(new(big.Rat).SetInt64(secs), big.NewRat(nanos, 1_000_000_000))
			return expect{dec: r}
		}
		// What protobuf reads back from the column's JSON must be the
		// value written: the JSON itself may differ (names or numbers of
		// enums, camelCase or original names inside, number formats).
		want := proto.Clone(m.Interface()).ProtoReflect()
		want.Range(func(other protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			if other != fd {
				want.Clear(other)
			}
			return true
		})
		want.SetUnknown(nil)
		return expect{pj: &protoJSON{key: fd.JSONName(), want: want.Interface()}}
	}
	if c.Kind == lakehouse.KindTimestamp {
		ts := v.Message()
		tm := time.Unix(ts.Get(ts.Descriptor().Fields().ByName("seconds")).Int(), ts.Get(ts.Descriptor().Fields().ByName("nanos")).Int()).UTC()
		return expect{time: &tm}
	}
	if fd.Kind() == protoreflect.MessageKind { // a wrapper: its value
		w := v.Message()
		fd = w.Descriptor().Fields().ByName("value")
		v = w.Get(fd)
	}
	switch c.Kind {
	case lakehouse.KindBool:
		return textOf(strconv.FormatBool(v.Bool()))
	case lakehouse.KindInt32, lakehouse.KindInt64:
		return textOf(strconv.FormatInt(v.Int(), 10))
	case lakehouse.KindUint32, lakehouse.KindUint64:
		return textOf(strconv.FormatUint(v.Uint(), 10))
	case lakehouse.KindFloat:
		f := v.Float()
		return expect{float: &f, bits: 32}
	case lakehouse.KindDouble:
		f := v.Float()
		return expect{float: &f, bits: 64}
	case lakehouse.KindString:
		return textOf(v.String())
	case lakehouse.KindBytes:
		return textOf(`\x` + hex.EncodeToString(v.Bytes()))
	case lakehouse.KindEnum:
		n := v.Enum()
		for _, ev := range c.Enum.Values {
			if ev.Number == n {
				return textOf(ev.Name)
			}
		}
		return textOf(strconv.Itoa(int(n)))
	}
	t.Fatalf("column %s: kind %s has no oracle", c.Name, c.Kind)
	return expect{}
}
