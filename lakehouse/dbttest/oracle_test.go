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
	"google.golang.org/protobuf/reflect/protoreflect"

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
	}
	b, _ := json.Marshal(e.json)
	return string(b)
}

// matches reports whether got, a value as Postgres prints it, is e;
// truncates says the engine truncates timestamps to microseconds rather
// than rounding them.
func (e expect) matches(got string, truncates bool) bool {
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
	for _, c := range tbl.Columns {
		o := c.Field.ContainingOneof()
		if c.Deprecated || len(c.Path) != 1 || o == nil || o.IsSynthetic() {
			continue
		}
		name := lakehouse.SnakeCase(string(o.Name())) + "__case"
		od := msg.Descriptor().Oneofs().ByName(o.Name())
		if od == nil {
			out[name] = expect{null: true}
		} else if fd := msg.WhichOneof(od); fd == nil {
			out[name] = expect{null: true}
		} else {
			out[name] = textOf(string(fd.Name()))
		}
	}
	return out
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
			r := new(big.Rat).SetFrac64(secs*1_000_000_000+nanos, 1_000_000_000)
			return expect{dec: r}
		}
		b, err := protojson.Marshal(m.Interface())
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		j, ok := obj[fd.JSONName()]
		if !ok { // an empty list or map
			if fd.IsMap() {
				j = map[string]any{}
			} else {
				j = []any{}
			}
		}
		return expect{isJ: true, json: j}
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
