package pgddl_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
)

var update = flag.Bool("update", false, "rewrite the golden files under lakehouse/testdata/golden")

// orderKey is the primary key of the test pbtable, as its pbregistry.yaml
// declares it.
var orderKey = []string{"tenant_id", "key.id"}

// loadOrder loads version v ("v1", "v2") of the test pbtable's message.
func loadOrder(t testing.TB, v string) protoreflect.MessageDescriptor {
	t.Helper()
	in, err := input.Load(context.Background(), filepath.Join("..", "testdata", "orders", v), input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := image.NewIndex(in.Image).Message("acme.shop.v1.Order")
	if md == nil {
		t.Fatalf("%s has no acme.shop.v1.Order", v)
	}
	return md
}

// tables returns the models of v1 (no history) and v2 (history v1).
func tables(t testing.TB) (v1, v2 *lakehouse.Table) {
	t.Helper()
	m1, m2 := loadOrder(t, "v1"), loadOrder(t, "v2")
	v1, err := lakehouse.NewTable(m1, nil, orderKey)
	if err != nil {
		t.Fatal(err)
	}
	v2, err = lakehouse.NewTable(m2, []protoreflect.MessageDescriptor{m1}, orderKey)
	if err != nil {
		t.Fatal(err)
	}
	return v1, v2
}

// golden compares got with the golden file name, or rewrites it under
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./lakehouse/pgddl -run TestGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n%s", name, got)
	}
}

// TestGolden pins the DDL text, and checks that generating twice from
// freshly loaded inputs gives the same bytes.
func TestGolden(t *testing.T) {
	render := func() map[string]string {
		v1, v2 := tables(t)
		out := map[string]string{}
		for _, c := range []struct {
			name string
			gen  func() (*pgddl.Script, error)
		}{
			{"order_v1.sql", func() (*pgddl.Script, error) { return pgddl.Create(v1, pgddl.Options{}) }},
			{"order_v1_schema.sql", func() (*pgddl.Script, error) {
				return pgddl.Create(v1, pgddl.Options{Schema: "shop", Table: "orders", View: "orders_v", RowColumn: "doc"})
			}},
			{"order_v1_v2.sql", func() (*pgddl.Script, error) { return pgddl.Migrate(v1, v2, pgddl.Options{}) }},
			{"order_v1_v2_norewrite.sql", func() (*pgddl.Script, error) { return pgddl.Migrate(v1, v2, pgddl.Options{NoRewrite: true}) }},
		} {
			s, err := c.gen()
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			out[c.name] = s.String()
		}
		return out
	}
	first, second := render(), render()
	for name, got := range first {
		if second[name] != got {
			t.Errorf("%s: two generations from the same input differ", name)
		}
		golden(t, name, got)
	}
}
