package dbttest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// row is one landed row: the JSON a writer at a version gave a message.
type row struct {
	version int
	json    string                   // the message in proto-JSON, as protojson reads it
	opts    protojson.MarshalOptions // how the writer wrote it
	spot    map[string]string        // hand-checked values of some columns, as text
}

// contract reads the models file: each model's columns and data types.
func contract(t *testing.T, files []dbt.File) map[string][][2]string {
	t.Helper()
	for _, f := range files {
		if !strings.HasSuffix(f.Path, "__models.yml") {
			continue
		}
		var doc struct {
			Models []struct {
				Name    string
				Columns []struct {
					Name     string
					DataType string `yaml:"data_type"`
				}
			}
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string][][2]string{}
		for _, m := range doc.Models {
			for _, c := range m.Columns {
				out[m.Name] = append(out[m.Name], [2]string{c.Name, c.DataType})
			}
		}
		return out
	}
	t.Fatal("no models file")
	return nil
}

// warehouse is what the staging test needs of an engine.
type warehouse struct {
	// landing holds the CREATE TABLE of each subject's landing table.
	landing map[string]string
	// relations maps source tables to the landing tables' names.
	relations map[string]string
	exec      func(sql string, args ...any) error
	// row runs a query returning one row of n text columns.
	row func(sql string, n int) ([]string, error)
	// rows runs a query returning rows of n text columns.
	rows func(sql string, n int) ([][]string, error)
	// columns returns a view's columns and types, in order.
	columns func(view string) ([][2]string, error)
	// text returns the expression of a column's value as Postgres
	// would print it.
	text func(col, dataType string) string
	// truncatesTime says the engine truncates timestamps to microseconds
	// instead of rounding them.
	truncatesTime bool
	// spots says the engine prints values as Postgres does, so that the
	// hand-written expectations apply as they are.
	spots bool
}

// runStaging is the staging test on one engine: rows written by protojson
// at versions 1 and 2 land in the engine's tables, the dialect's staging
// models are rendered with Jinja and created as views, and the views'
// column types and every value of every row are checked.
func runStaging(t *testing.T, d dbt.Dialect, w *warehouse) {
	s := loadShop(t, d)
	types := contract(t, s.files)
	relations := w.relations
	for _, ddl := range w.landing {
		if err := w.exec(ddl); err != nil {
			t.Fatal(err)
		}
	}
	camel, protoNames := protojson.MarshalOptions{}, protojson.MarshalOptions{UseProtoNames: true}
	rows := map[string][]row{
		"acme.shop.v1.Order": {
			{1, `{"key": {"id": "k1"}, "tenantId": "9007199254740993", "big": "-9223372036854775808", "huge": "18446744073709551615",
				"status": "STATUS_VOID", "createdAt": "2026-01-02T03:04:05.123456789Z", "payload": "AAEC/w==", "tags": ["a", "b"],
				"counts": {"x": 1, "y": -2}, "line": {"sku": "s-1", "quantity": 3}, "note": "hello", "price": 1.25, "ratio": "-Infinity",
				"paid": true, "coupon": "", "qty": 4294967295, "delta": -5, "f64": "18446744073709551615", "legacyNote": "old",
				"wrapped": "4611686018427387904"}`, camel,
				map[string]string{"tenant_id": "9007199254740993", "huge": "18446744073709551615", "big": "-9223372036854775808",
					"status": "STATUS_VOID", "created_at": "2026-01-02 03:04:05.123457+00", "payload": `\x000102ff`, "coupon": "",
					"legacy_note": "old", "choice__case": "note", "line__quantity": "3", "ratio": "-Infinity", "channel": ""}},
			{1, `{"key": {"id": "k2"}, "tenantId": "1", "status": 7, "code": 0, "price": "NaN"}`, protoNames,
				map[string]string{"status": "7", "code": "0", "choice__case": "code", "note": "<NULL>", "coupon": "<NULL>", "tags": "[]", "counts": "{}", "big": "0", "line__sku": ""}},
			{1, `{"key": {"id": "k3"}, "tenantId": "2"}`, protojson.MarshalOptions{EmitUnpopulated: true},
				map[string]string{"status": "STATUS_UNSPECIFIED", "created_at": "<NULL>", "wrapped": "<NULL>", "payload": `\x`, "choice__case": "<NULL>"}},
			{2, `{"key": {"id": "k4"}, "tenantId": "3", "status": "STATUS_SHIPPED", "channel": "web", "shippedAt": "1970-01-01T00:00:00Z",
				"line": {}, "wrapped": "0"}`, protoNames,
				map[string]string{"status": "STATUS_SHIPPED", "channel": "web", "shipped_at": "1970-01-01 00:00:00+00", "legacy_note": "", "wrapped": "0"}},
			{2, `{"key": {"id": "k5"}, "tenantId": "-4", "status": "STATUS_OPEN", "ratio": 0.1}`, protojson.MarshalOptions{UseEnumNumbers: true},
				map[string]string{"status": "STATUS_OPEN", "tenant_id": "-4", "ratio": "0.1"}},
		},
		"acme.shop.v1.OrderPlaced": {
			{1, `{"orderId": "o1", "customer": "alice", "amountMicros": "123", "checkoutTime": "1.500s", "attributes": {"a": [1, "x", null], "b": {}},
				"shipTo": {"city": "Paris", "geo": {"lat": 48.85, "lng": 2.35}, "zip": "75001"}, "promo": "SPRING", "channel": "CHANNEL_WEB"}`, camel,
				map[string]string{"customer": "alice", "amount_micros": "123", "checkout_time": "1.500", "ship_to__zip": "75001",
					"ship_to__geo__lat": "48.85", "channel": "CHANNEL_ONLINE", "promo": "SPRING", "payment__case": "<NULL>", "total_units": "0"}},
			{1, `{"orderId": "o2", "customer": "carol", "channel": "CHANNEL_STORE", "checkoutTime": "-3600s"}`, protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true},
				map[string]string{"customer": "carol", "channel": "CHANNEL_STORE", "checkout_time": "-3600", "promo": "<NULL>", "ship_to__city": ""}},
			{2, `{"orderId": "o3", "buyer": "bob", "totalUnits": "18446744073709551615", "cardToken": "tok", "channel": "CHANNEL_ONLINE",
				"checkoutTime": "-0.000000001s", "shipTo": {"geo": {}}}`, camel,
				map[string]string{"customer": "bob", "total_units": "18446744073709551615", "payment__case": "card_token",
					"checkout_time": "-0.000000001", "amount_micros": "0", "ship_to__zip": "", "channel": "CHANNEL_ONLINE"}},
			{2, `{"orderId": "o4", "buyer": "dave", "voucher": "", "promo": "", "channel": 9}`, protoNames,
				map[string]string{"customer": "dave", "voucher": "", "payment__case": "voucher", "promo": "", "channel": "9", "card_token": "<NULL>"}},
		},
	}
	checked, wantChecked := 0, 0
	for _, m := range s.project.Models {
		name := dbt.ModelName(s.project.Source, m.Table.Name)
		var sql string
		for _, f := range s.files {
			if strings.HasSuffix(f.Path, "/"+name+".sql") {
				sql = string(f.Data)
			}
		}
		configs := map[string]string{}
		rendered := render(t, sql, func(source, table string) string {
			if source != s.project.Source {
				t.Errorf("source(%q, …), want source %q", source, s.project.Source)
			}
			return relations[table]
		}, configs)
		if configs["materialized"] != "view" {
			t.Errorf("%s: config(materialized=%q), want view", name, configs["materialized"])
		}
		if err := w.exec("CREATE VIEW " + name + " AS " + rendered); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, rendered)
		}
		// The enforced contract: the view's columns and types, in order.
		got, err := w.columns(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, types[name]) {
			t.Errorf("%s: the view has columns %v, the contract says %v", name, got, types[name])
		}
		// Every value of every row.
		wantChecked += len(types[name]) * len(rows[string(m.Table.Message)])
		table := relations[m.Table.Name]
		jsonCol := m.Landing.JSONColumn
		for i, r := range rows[string(m.Table.Message)] {
			md := s.message(t, r.version, string(m.Table.Message))
			msg := dynamicpb.NewMessage(md)
			if err := protojson.Unmarshal([]byte(r.json), msg); err != nil {
				t.Fatalf("%s row %d: %v", m.Table.Message, i, err)
			}
			written, err := r.opts.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.exec("DELETE FROM " + table); err != nil {
				t.Fatal(err)
			}
			if err := w.exec(fmt.Sprintf(`INSERT INTO %s (%q) VALUES ($1)`, table, jsonCol), string(written)); err != nil {
				t.Fatal(err)
			}
			want := expectations(t, m.Table, msg)
			var sel []string
			for _, c := range types[name] {
				sel = append(sel, fmt.Sprintf("coalesce(%s, '<NULL>')", w.text(c[0], c[1])))
			}
			values, err := w.row("SELECT "+strings.Join(sel, ", ")+" FROM "+name, len(sel))
			if err != nil {
				t.Fatalf("%s row %d (%s): %v", name, i, written, err)
			}
			for j, c := range types[name] {
				col, gotV := c[0], values[j]
				exp, ok := want[col]
				if !ok {
					t.Errorf("%s: no expectation for column %s", name, col)
					continue
				}
				if !exp.matches(gotV, w.truncatesTime) {
					t.Errorf("%s row %d (v%d %s): %s = %q, protobuf gives %s", name, i, r.version, written, col, gotV, exp)
				}
				if spot, ok := r.spot[col]; ok && w.spots && spot != gotV {
					t.Errorf("%s row %d: %s = %q, want %q", name, i, col, gotV, spot)
				}
				checked++
			}
			for col := range r.spot {
				if _, ok := want[col]; !ok {
					t.Errorf("%s: spot check of unknown column %s", name, col)
				}
			}
		}
	}
	if checked != wantChecked || checked == 0 {
		t.Errorf("checked %d values, want %d (every column of every row)", checked, wantChecked)
	}
	t.Logf("checked %d values", checked)
}
