package lakehouse_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse"
)

// loadOrder loads version v of the test pbtable's message.
func loadOrder(t *testing.T, v string) protoreflect.MessageDescriptor {
	t.Helper()
	in, err := input.Load(context.Background(), filepath.Join("testdata", "orders", v), input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := image.NewIndex(in.Image).Message("acme.shop.v1.Order")
	if md == nil {
		t.Fatalf("%s has no acme.shop.v1.Order", v)
	}
	return md
}

// TestKindOf maps every kind of field of the test message.
func TestKindOf(t *testing.T) {
	md := loadOrder(t, "v1")
	tests := []struct {
		field string
		want  lakehouse.Kind
	}{
		{"key", lakehouse.KindJSON},
		{"tenant_id", lakehouse.KindInt64},
		{"big", lakehouse.KindInt64},
		{"huge", lakehouse.KindUint64},
		{"status", lakehouse.KindEnum},
		{"created_at", lakehouse.KindTimestamp},
		{"payload", lakehouse.KindBytes},
		{"tags", lakehouse.KindJSON},
		{"counts", lakehouse.KindJSON},
		{"line", lakehouse.KindJSON},
		{"note", lakehouse.KindString},
		{"code", lakehouse.KindInt32},
		{"price", lakehouse.KindDouble},
		{"ratio", lakehouse.KindFloat},
		{"paid", lakehouse.KindBool},
		{"qty", lakehouse.KindUint32},
		{"delta", lakehouse.KindInt32},
		{"f64", lakehouse.KindUint64},
		{"wrapped", lakehouse.KindInt64},
	}
	for _, tt := range tests {
		f := md.Fields().ByName(protoreflect.Name(tt.field))
		if f == nil {
			t.Fatalf("no field %s", tt.field)
		}
		if got := lakehouse.KindOf(f); got != tt.want {
			t.Errorf("KindOf(%s) = %s, want %s", tt.field, got, tt.want)
		}
	}
}

// TestNewTable checks the model of v2 over its history: key first,
// presence, JSON keys, the deleted field deprecated, enum values of every
// version.
func TestNewTable(t *testing.T) {
	v1, v2 := loadOrder(t, "v1"), loadOrder(t, "v2")
	tab, err := lakehouse.NewTable(v2, []protoreflect.MessageDescriptor{v1}, []string{"tenant_id", "key.id"})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Name != "order" || tab.Versions != 2 || len(tab.Key) != 2 {
		t.Fatalf("table %s, %d versions, key %d columns", tab.Name, tab.Versions, len(tab.Key))
	}
	var names []string
	for _, c := range tab.Columns {
		names = append(names, c.Name)
	}
	wantNames := []string{"tenant_id", "key__id", "key", "big", "huge", "status", "created_at", "payload", "tags", "counts", "line",
		"note", "code", "price", "ratio", "paid", "coupon", "qty", "delta", "f64", "wrapped", "channel", "shipped_at", "legacy_note"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("columns %v\nwant     %v", names, wantNames)
	}
	tests := []struct {
		column     string
		jsonKeys   [][]string
		presence   bool
		deprecated bool
		key        bool
		comment    string
	}{
		{"tenant_id", [][]string{{"tenantId", "tenant_id"}}, false, false, true, "The tenant owning the order."},
		{"key__id", [][]string{{"key"}, {"id"}}, false, false, true, ""},
		{"coupon", [][]string{{"coupon"}}, true, false, false, ""},
		{"note", [][]string{{"note"}}, true, false, false, ""},
		{"created_at", [][]string{{"createdAt", "created_at"}}, true, false, false, ""},
		{"channel", [][]string{{"channel"}}, false, false, false, "The sales channel, new in version 2."},
		{"legacy_note", [][]string{{"legacyNote", "legacy_note"}}, false, true, false, "Free text, dropped in version 2."},
	}
	for _, tt := range tests {
		c := tab.Column(tt.column)
		if c == nil {
			t.Errorf("no column %s", tt.column)
			continue
		}
		var keys [][]string
		for _, s := range c.Path {
			keys = append(keys, s.JSONKeys)
		}
		if !slices.EqualFunc(keys, tt.jsonKeys, slices.Equal) || c.Presence != tt.presence || c.Deprecated != tt.deprecated || c.Key != tt.key || c.Comment != tt.comment {
			t.Errorf("%s: keys %v presence %v deprecated %v key %v comment %q; want %v %v %v %v %q",
				tt.column, keys, c.Presence, c.Deprecated, c.Key, c.Comment, tt.jsonKeys, tt.presence, tt.deprecated, tt.key, tt.comment)
		}
	}
	status := tab.Column("status").Enum
	var values []string
	for _, v := range status.Values {
		values = append(values, v.Name)
	}
	if want := []string{"STATUS_VOID", "STATUS_UNSPECIFIED", "STATUS_OPEN", "STATUS_PAID", "STATUS_SHIPPED"}; !slices.Equal(values, want) || status.ZeroName() != "STATUS_UNSPECIFIED" {
		t.Errorf("status values %v zero %s, want %v", values, status.ZeroName(), want)
	}
}

// TestNewTableErrors: primary keys that do not fit are refused with a
// code and a message naming the key.
func TestNewTableErrors(t *testing.T) {
	md := loadOrder(t, "v1")
	tests := []struct {
		key  string
		code lakehouse.Code
		want string
	}{
		{"nope", lakehouse.CodeNotFound, `acme.shop.v1.Order: primary_key "nope": acme.shop.v1.Order has no field "nope": use field names of the message, or dotted paths like key.id`},
		{"key.nope", lakehouse.CodeNotFound, `acme.shop.v1.Order: primary_key "key.nope": acme.shop.v1.OrderKey has no field "nope": use field names of the message, or dotted paths like key.id`},
		{"tags", lakehouse.CodeInvalidArgument, `acme.shop.v1.Order: primary_key "tags": field acme.shop.v1.Order.tags is repeated: a key must be a singular field`},
		{"line", lakehouse.CodeInvalidArgument, `acme.shop.v1.Order: primary_key "line": field acme.shop.v1.Order.line is a message, not a scalar: point the key at a scalar field`},
		{"note.x", lakehouse.CodeInvalidArgument, `acme.shop.v1.Order: primary_key "note.x": field acme.shop.v1.Order.note is not a message, so "x" cannot follow it`},
	}
	for _, tt := range tests {
		_, err := lakehouse.NewTable(md, nil, []string{tt.key})
		var le *lakehouse.Error
		if !errors.As(err, &le) || le.Code != tt.code || err.Error() != tt.want {
			t.Errorf("key %s: %v, want %s: %s", tt.key, err, tt.code, tt.want)
		}
	}
}

// TestSnakeCase covers the table names derived from message names.
func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Order": "order", "InvoiceLine": "invoice_line", "HTTPServer": "http_server", "customer_id": "customer_id",
		"V2Thing": "v2_thing", "userID": "user_id", "a-b": "a_b",
	} {
		if got := lakehouse.SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
	long := lakehouse.ShortName("x_"+string(slices.Repeat([]byte("y"), 80)), lakehouse.MaxNameLen)
	if len(long) != lakehouse.MaxNameLen {
		t.Errorf("ShortName gave %d bytes, want %d", len(long), lakehouse.MaxNameLen)
	}
}
