package config

import (
	"strings"
	"testing"
)

const lakehouseBase = "version: v1\nmodule: acme/shop\nsubjects:\n  - {message: acme.shop.v1.Order, kind: pbtable, primary_key: [id]}\n  - {message: acme.shop.v1.Placed, kind: event}\n"

// TestLakehouse parses the lakehouse: section and merges a table's
// settings over the section's defaults.
func TestLakehouse(t *testing.T) {
	cfg, err := Parse("pbregistry.yaml", []byte(lakehouseBase+`lakehouse:
  source: shop
  database: raw
  schema: landing
  json_column: payload
  loaded_at_column: _loaded_at
  nested_depth: 2
  tables:
    - message: acme.shop.v1.Order
      table: orders
      json_column: row
      not_null: [placed_at, line.sku]
`))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Lakehouse
	if l.Source != "shop" || l.Database != "raw" || l.Schema != "landing" || l.NestedDepth != 2 || !l.NestedDepthSet {
		t.Errorf("lakehouse = %+v", l)
	}
	if got := strings.Join(l.NotNull["acme.shop.v1.Order"], ","); got != "placed_at,line.sku" || len(l.NotNull) != 1 {
		t.Errorf("not_null = %v, want placed_at and line.sku for Order only", l.NotNull)
	}
	tests := []struct {
		message string
		want    LandingTable
	}{
		{"acme.shop.v1.Order", LandingTable{Table: "orders", JSONColumn: "row", LoadedAtColumn: "_loaded_at"}},
		{"acme.shop.v1.Placed", LandingTable{JSONColumn: "payload", LoadedAtColumn: "_loaded_at"}},
	}
	for _, tt := range tests {
		got := l.Landing(tt.message)
		got.Pos = Pos{}
		if got != tt.want {
			t.Errorf("Landing(%s) = %v, want %v", tt.message, got, tt.want)
		}
	}
	none, err := Parse("pbregistry.yaml", []byte(lakehouseBase))
	if err != nil || none.Lakehouse.NestedDepthSet || none.Lakehouse.Landing("acme.shop.v1.Order") != (LandingTable{}) {
		t.Errorf("without a section: %+v, %v", none.Lakehouse, err)
	}
}

// TestLakehouseErrors: each mistake is reported at its file:line:col with
// what to do.
func TestLakehouseErrors(t *testing.T) {
	tests := []struct {
		yaml, want string
	}{
		{"lakehouse:\n  schemas: x\n", "pbregistry.yaml:7:3: unknown key"},
		{"lakehouse:\n  schema: \"my schema\"\n", `pbregistry.yaml:7:11: lakehouse.schema "my schema" is not a plain SQL name`},
		{"lakehouse:\n  nested_depth: 99\n", "pbregistry.yaml:7:17: lakehouse.nested_depth must be a whole number from 0 to 8"},
		{"lakehouse:\n  nested_depth: -1\n", "lakehouse.nested_depth must be a whole number"},
		{"lakehouse:\n  tables: x\n", "pbregistry.yaml:7:11: lakehouse.tables must be a list of mappings"},
		{"lakehouse:\n  tables:\n    - table: t\n", "pbregistry.yaml:8:7: lakehouse table without message"},
		{"lakehouse:\n  tables:\n    - message: acme.shop.v1.Nope\n", "pbregistry.yaml:8:16: lakehouse.tables names acme.shop.v1.Nope, which is not a subject"},
		{"lakehouse:\n  tables:\n    - message: acme.shop.v1.Order\n    - message: acme.shop.v1.Order\n", "pbregistry.yaml:9:16: lakehouse.tables lists acme.shop.v1.Order twice"},
		{"lakehouse:\n  tables:\n    - {message: acme.shop.v1.Order, json_column: 1x}\n", `lakehouse.tables.json_column "1x" is not a plain SQL name`},
		{"lakehouse:\n  tables:\n    - {message: acme.shop.v1.Order, not_null: id}\n", "pbregistry.yaml:8:47: lakehouse.tables.not_null must be a list of strings"},
		{"lakehouse:\n  tables:\n    - {message: acme.shop.v1.Order, not_null: [a-b]}\n", `pbregistry.yaml:8:48: lakehouse.tables.not_null: "a-b" is not a field`},
		{"lakehouse:\n  tables:\n    - {message: acme.shop.v1.Order, not_null: [a, a]}\n", `lakehouse.tables.not_null lists "a" twice`},
	}
	for _, tt := range tests {
		_, err := Parse("pbregistry.yaml", []byte(lakehouseBase+tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
