package lakehouse_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse"
)

// loadPlaced loads version v of the dbt test module's event.
func loadPlaced(t *testing.T, v string) protoreflect.MessageDescriptor {
	t.Helper()
	in, err := input.Load(context.Background(), filepath.Join("dbt", "testdata", "shop", v), input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := image.NewIndex(in.Image).Message("acme.shop.v1.OrderPlaced")
	if md == nil {
		t.Fatalf("%s has no acme.shop.v1.OrderPlaced", v)
	}
	return md
}

// TestNewTableWithNestedDepth flattens nested messages level by level:
// fields deleted from a nested message stay, deprecated, and every JSON
// key of every step is read.
func TestNewTableWithNestedDepth(t *testing.T) {
	v1, v2 := loadPlaced(t, "v1"), loadPlaced(t, "v2")
	tests := []struct {
		depth int
		want  []string // name:kind, "!" when deprecated
	}{
		{0, []string{"order_id:string", "customer:string", "checkout_time:json", "attributes:json", "ship_to:json", "promo:string",
			"channel:enum", "total_units:uint64", "card_token:string", "voucher:string", "amount_micros:int64!"}},
		{1, []string{"order_id:string", "customer:string", "checkout_time:json", "attributes:json", "ship_to__city:string", "ship_to__geo:json",
			"ship_to__zip:string!", "promo:string", "channel:enum", "total_units:uint64", "card_token:string", "voucher:string", "amount_micros:int64!"}},
		{2, []string{"order_id:string", "customer:string", "checkout_time:json", "attributes:json", "ship_to__city:string", "ship_to__geo__lat:double",
			"ship_to__geo__lng:double", "ship_to__zip:string!", "promo:string", "channel:enum", "total_units:uint64", "card_token:string", "voucher:string", "amount_micros:int64!"}},
	}
	for _, tt := range tests {
		tbl, err := lakehouse.NewTableWith(v2, []protoreflect.MessageDescriptor{v1}, nil, lakehouse.Options{NestedDepth: tt.depth})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range tbl.Columns {
			s := c.Name + ":" + string(c.Kind)
			if c.Deprecated {
				s += "!"
			}
			got = append(got, s)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("depth %d: columns\n%v\nwant\n%v", tt.depth, got, tt.want)
		}
	}
	tbl, err := lakehouse.NewTableWith(v2, []protoreflect.MessageDescriptor{v1}, nil, lakehouse.Options{NestedDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	lat := tbl.Column("ship_to__geo__lat")
	var keys []string
	for _, s := range lat.Path {
		keys = append(keys, strings.Join(s.JSONKeys, "|"))
	}
	if got := strings.Join(keys, "."); got != "shipTo|ship_to.geo.lat" {
		t.Errorf("ship_to__geo__lat reads %s, want shipTo|ship_to.geo.lat", got)
	}
	if c := tbl.Column("customer"); !slices.Equal(c.Path[0].JSONKeys, []string{"buyer", "customer"}) {
		t.Errorf("customer reads %v, want [buyer customer]: the JSON name of v2, then v1's", c.Path[0].JSONKeys)
	}
}

// TestNewTableWithKeepsKeyOnce: flattening the message holding a nested
// primary key does not repeat the key's column.
func TestNewTableWithKeepsKeyOnce(t *testing.T) {
	v1, v2 := loadOrder(t, "v1"), loadOrder(t, "v2")
	tbl, err := lakehouse.NewTableWith(v2, []protoreflect.MessageDescriptor{v1}, []string{"tenant_id", "key.id"}, lakehouse.Options{NestedDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range tbl.Columns {
		if strings.HasPrefix(c.Name, "key") {
			n++
		}
	}
	if n != 1 || tbl.Column("key__id") == nil || !tbl.Column("key__id").Key || tbl.Column("line__sku") == nil {
		t.Errorf("columns %v: want key__id once, as the key, and line flattened", tbl.Columns)
	}
}
