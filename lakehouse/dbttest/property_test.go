package dbttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
	"github.com/pbregistry/pbregistry/registry"
)

// The property of the generated models: for a random schema history the
// registry accepts, every row written at any version reads back through
// the model of the latest version with the values protobuf gives for the
// message written. Histories are seeded: subtest seed=N is history N, and
// a failure says how to run it alone.
//
// PBREGISTRY_PROPERTY_SEED sets the first seed (default 1) and
// PBREGISTRY_PROPERTY_HISTORIES how many histories run (defaults below).
const (
	propertySeedEnv      = "PBREGISTRY_PROPERTY_SEED"
	propertyHistoriesEnv = "PBREGISTRY_PROPERTY_HISTORIES"
)

// TestPropertyDuckDB checks the property with the duckdb dialect on an
// in-memory DuckDB.
func TestPropertyDuckDB(t *testing.T) {
	runProperty(t, dbt.DuckDB, 50, func(t *testing.T) (*warehouse, string) {
		return duckWarehouse(t), "json"
	})
}

// TestPropertyPostgres checks the property with the postgres dialect on
// the test database, with rows landed in a jsonb column.
func TestPropertyPostgres(t *testing.T) {
	runProperty(t, dbt.Postgres, 25, func(t *testing.T) (*warehouse, string) {
		w, _ := pgWarehouse(t)
		return w, "jsonb"
	})
}

// propertyStats counts what the histories did, to show the property is
// not vacuous: changes the registry accepted and refused, by kind.
type propertyStats struct {
	accepted, refused map[string]int // by "<kind> <change verb>"
	rows, values      int
}

func (s *propertyStats) count(h *history) {
	verb := func(change string) string {
		v, _, _ := strings.Cut(change, " ")
		if strings.HasPrefix(change, "rename enum") {
			v = "rename-enum"
		}
		return string(h.kind) + " " + v
	}
	for _, c := range h.changes[1:] {
		s.accepted[verb(c)]++
	}
	for _, c := range h.refused {
		s.refused[verb(c)]++
	}
}

func runProperty(t *testing.T, d dbt.Dialect, histories int, open func(t *testing.T) (*warehouse, string)) {
	first := uint64(1)
	if v := os.Getenv(propertySeedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a whole number", propertySeedEnv, v)
		}
		first = n
	}
	if v := os.Getenv(propertyHistoriesEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a count of at least 1", propertyHistoriesEnv, v)
		}
		histories = n
	}
	w, jsonType := open(t)
	stats := &propertyStats{accepted: map[string]int{}, refused: map[string]int{}}
	for seed := first; seed < first+uint64(histories); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			propertyHistory(t, d, w, jsonType, seed, stats)
		})
	}
	t.Logf("%d histories, %d rows, %d values checked; accepted changes: %v; refused: %v", histories, stats.rows, stats.values, stats.accepted, stats.refused)
	if histories < 20 || t.Failed() {
		return
	}
	// The histories exercise the registry's rules: renames pass only
	// for events (WIRE rules), and some changes are refused.
	for _, kind := range []registry.SubjectKind{registry.KindPBTable, registry.KindLog} {
		if n := stats.accepted[string(kind)+" rename"]; n > 0 {
			t.Errorf("%d field renames of %s subjects were accepted: their WIRE_JSON rules refuse renames", n, kind)
		}
	}
	if stats.accepted["event rename"] == 0 || stats.accepted["event delete"] == 0 || stats.accepted["pbtable add"] == 0 {
		t.Errorf("the histories made no accepted event rename, event delete or pbtable add: raise the number of histories")
	}
	if len(stats.refused) == 0 {
		t.Errorf("the registry refused no change: the histories do not exercise its rules")
	}
}

// writtenRow is a row as written at a version.
type writtenRow struct {
	version int
	msg     *dynamicpb.Message
	json    string
}

// propertyHistory checks the property for the history of seed.
func propertyHistory(t *testing.T, d dbt.Dialect, w *warehouse, jsonType string, seed uint64, stats *propertyStats) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	kind := pick(r, registry.KindPBTable, registry.KindEvent, registry.KindLog)
	h, err := genHistory(context.Background(), r, kind, 2+r.IntN(9))
	if err != nil {
		t.Fatalf("seed %d: generating the history: %v", seed, err)
	}
	stats.count(h)
	depth := r.IntN(3)
	reported := false
	fail := func(format string, args ...any) {
		t.Helper()
		if !reported {
			reported = true
			t.Errorf("seed %d: %s subject, nested_depth %d, %d versions:\n  %s\nreproduce: cd lakehouse/dbttest && %s=%d %s=1 go test -run '%s' .",
				seed, kind, depth, len(h.versions), strings.Join(h.changes, "\n  "), propertySeedEnv, seed, propertyHistoriesEnv, t.Name())
		}
		t.Errorf(format, args...)
	}

	// Rows written at every version, as protojson writes them with
	// whichever options the writer chose.
	var rows []writtenRow
	for v := range h.versions {
		for range 1 + r.IntN(4) {
			msg := dynamicpb.NewMessage(h.row(v))
			fillMessage(r, msg)
			if kind == registry.KindPBTable {
				msg.Set(msg.Descriptor().Fields().ByName("id"), protoreflect.ValueOfString(fmt.Sprintf("row-%d", len(rows))))
			}
			opts := pick(r, protojson.MarshalOptions{}, protojson.MarshalOptions{UseProtoNames: true},
				protojson.MarshalOptions{UseEnumNumbers: true}, protojson.MarshalOptions{EmitUnpopulated: true},
				protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true, EmitUnpopulated: true})
			b, err := opts.Marshal(msg)
			if err != nil {
				t.Fatalf("seed %d: protojson: %v", seed, err)
			}
			rows = append(rows, writtenRow{version: v, msg: msg, json: string(b)})
		}
	}

	// The model of the latest version over the history.
	n := len(h.versions) - 1
	var earlier []protoreflect.MessageDescriptor
	for v := range n {
		earlier = append(earlier, h.row(v))
	}
	var key []string
	if kind == registry.KindPBTable {
		key = []string{"id"}
	}
	tbl, err := lakehouse.NewTableWith(h.row(n), earlier, key, lakehouse.Options{NestedDepth: depth})
	if err != nil {
		fail("the model: %v", err)
		return
	}
	p := dbt.Project{Module: "prop/v1", Dialect: d, Models: []dbt.Model{{Table: tbl, Kind: string(kind)}}}
	files, err := dbt.Generate(p)
	if err != nil {
		fail("generating: %v", err)
		return
	}
	name := dbt.ModelName("prop_v1", tbl.Name)
	var sql string
	for _, f := range files {
		if strings.HasSuffix(f.Path, "/"+name+".sql") {
			sql = string(f.Data)
		}
	}
	rendered := render(t, sql, func(string, string) string { return "landing" }, map[string]string{})
	for _, q := range []string{"DROP VIEW IF EXISTS " + name, "DROP TABLE IF EXISTS landing", `CREATE TABLE landing ("row" ` + jsonType + ")", "CREATE VIEW " + name + " AS " + rendered} {
		if err := w.exec(q); err != nil {
			fail("%s: %v\n%s", q, err, rendered)
			return
		}
	}
	types := contract(t, files)[name]
	got, err := w.columns(name)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(types) {
		fail("the view has columns %v, the contract says %v", got, types)
	}
	var sel []string
	for _, c := range types {
		sel = append(sel, fmt.Sprintf("coalesce(%s, '<NULL>')", w.text(c[0], c[1])))
	}
	// Every row lands, then one query reads them all through the model
	// (one plan of the wide view, not one per row). Rows come back in
	// landing order on both engines here; should one reorder them, each
	// row is matched with the first written row it agrees with.
	for i, row := range rows {
		if err := w.exec(`INSERT INTO landing ("row") VALUES ($1)`, row.json); err != nil {
			fail("row %d (v%d) %s: landing it: %v", i, row.version+1, row.json, err)
			return
		}
	}
	read, err := w.rows("SELECT "+strings.Join(sel, ", ")+" FROM "+name, len(sel))
	if err != nil {
		fail("reading the rows through the model: %v", err)
		return
	}
	if len(read) != len(rows) {
		fail("the model gives %d rows, %d landed", len(read), len(rows))
		return
	}
	wants := make([]map[string]expect, len(rows))
	for i, row := range rows {
		wants[i] = expectations(t, tbl, row.msg)
		// Every value the writer set has a column that reads it.
		if lost := uncovered(tbl.Columns, nil, row.msg); len(lost) > 0 {
			fail("row %d (written at v%d as %s): no column reads %s", i, row.version+1, row.json, strings.Join(lost, ", "))
		}
	}
	// mismatches returns the columns where values differ from want.
	mismatches := func(values []string, want map[string]expect) []string {
		var bad []string
		for j, c := range types {
			exp, ok := want[c[0]]
			if !ok {
				bad = append(bad, fmt.Sprintf("%s: no expectation", c[0]))
				continue
			}
			if !exp.matches(values[j], w.truncatesTime) {
				bad = append(bad, fmt.Sprintf("%s = %q, protobuf gives %s", c[0], values[j], exp))
			}
		}
		return bad
	}
	matched := make([]bool, len(rows))
	for i, values := range read {
		bad := mismatches(values, wants[i])
		if len(bad) > 0 || matched[i] {
			// Not the row landed i-th: any other unmatched one?
			for k := range rows {
				if !matched[k] && len(mismatches(values, wants[k])) == 0 {
					bad, matched[k] = nil, true
					break
				}
			}
		} else {
			matched[i] = true
		}
		if len(bad) > 0 {
			fail("row %d (written at v%d as %s) reads back wrong:\n    %s", i, rows[i].version+1, rows[i].json, strings.Join(bad, "\n    "))
		}
		stats.values += len(types)
		stats.rows++
	}
}

// uncovered returns the fields set in m (at path prefix of the row) that
// no column reads: neither a column of the field itself nor, for a
// message flattened into columns, columns of every field set in it.
func uncovered(cols []*lakehouse.Column, prefix []protoreflect.FieldNumber, m protoreflect.Message) []string {
	var out []string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := append(slices.Clone(prefix), fd.Number())
		exact, deeper := false, false
		for _, c := range cols {
			if len(c.Path) < len(p) {
				continue
			}
			same := true
			for i, n := range p {
				same = same && c.Path[i].Number == n
			}
			if same {
				exact = exact || len(c.Path) == len(p)
				deeper = deeper || len(c.Path) > len(p)
			}
		}
		switch {
		case exact:
		case deeper && fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			out = append(out, uncovered(cols, p, v.Message())...)
		default:
			out = append(out, string(fd.FullName()))
		}
		return true
	})
	return out
}
