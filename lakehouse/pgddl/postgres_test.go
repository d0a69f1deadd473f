package pgddl_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
)

const urlEnv = "PBREGISTRY_TEST_DATABASE_URL"

// connect opens a connection to the test database with a schema of its own
// on its search_path and TimeZone UTC; the schema is dropped at t's
// cleanup. Without a database it skips t, or fails it under CI.
func connect(t testing.TB) *pgx.Conn {
	t.Helper()
	base := os.Getenv(urlEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see scripts/test)", urlEnv)
		}
		t.Skipf("%s is not set: skipping PostgreSQL tests", urlEnv)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "pbtable_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", urlEnv, err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		conn.Close(ctx)
	})
	for _, q := range []string{"CREATE SCHEMA " + schema, "SET search_path = " + schema, "SET TimeZone = 'UTC'"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

// apply runs s as pbcheck's users would: its transactional statements in
// one transaction, then the concurrent ones one by one.
func apply(t testing.TB, conn *pgx.Conn, s *pgddl.Script) {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Statements {
		if st.Concurrent {
			continue
		}
		if _, err := tx.Exec(ctx, st.SQL); err != nil {
			tx.Rollback(ctx)
			t.Fatalf("%v\nin:\n%s", err, st.SQL)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Statements {
		if st.Concurrent {
			if _, err := conn.Exec(ctx, st.SQL); err != nil {
				t.Fatalf("%v\nin:\n%s", err, st.SQL)
			}
		}
	}
}

// order builds a dynamic message of md from field values by name; a
// func value sets a message field.
func order(md protoreflect.MessageDescriptor, fields map[string]any) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	fill(m, fields)
	return m
}

func fill(m protoreflect.Message, fields map[string]any) {
	fds := m.Descriptor().Fields()
	for name, v := range fields {
		fd := fds.ByName(protoreflect.Name(name))
		if fd == nil {
			panic("no field " + name)
		}
		switch x := v.(type) {
		case map[string]any:
			sub := m.Mutable(fd).Message()
			fill(sub, x)
		case []string:
			l := m.Mutable(fd).List()
			for _, s := range x {
				l.Append(protoreflect.ValueOfString(s))
			}
		case map[string]int32:
			mp := m.Mutable(fd).Map()
			for k, n := range x {
				mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfInt32(n))
			}
		case protoreflect.EnumNumber:
			m.Set(fd, protoreflect.ValueOfEnum(x))
		default:
			m.Set(fd, protoreflect.ValueOf(v))
		}
	}
}

// marshal returns m as proto-JSON.
func marshal(t *testing.T, m proto.Message, protoNames bool) string {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: protoNames}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readColumns returns every scalar column of the view for the row with
// key__id id, as text (nil for NULL).
func readColumns(t *testing.T, conn *pgx.Conn, table *lakehouse.Table, id string) map[string]*string {
	t.Helper()
	var names, exprs []string
	for _, c := range table.Columns {
		if c.Kind.Scalar() {
			names = append(names, c.Name)
			exprs = append(exprs, fmt.Sprintf("%q::text", c.Name))
		}
	}
	vals := make([]*string, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	q := fmt.Sprintf(`SELECT %s FROM order_view WHERE key__id = $1`, strings.Join(exprs, ", "))
	if err := conn.QueryRow(context.Background(), q, id).Scan(ptrs...); err != nil {
		t.Fatalf("read row %s: %v", id, err)
	}
	out := map[string]*string{}
	for i, n := range names {
		out[n] = vals[i]
	}
	return out
}

// s returns a pointer to v, for expected column values.
func s(v string) *string { return &v }

// assertColumns checks every column in want (nil: NULL) and that got has
// no other column.
func assertColumns(t *testing.T, id string, got map[string]*string, want map[string]*string) {
	t.Helper()
	for name, g := range got {
		w, ok := want[name]
		if !ok {
			t.Errorf("row %s: column %s is not asserted (value %v)", id, name, show(g))
			continue
		}
		if show(g) != show(w) {
			t.Errorf("row %s: column %s = %s, want %s", id, name, show(g), show(w))
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("row %s: no column %s", id, name)
		}
	}
}

func show(p *string) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *p)
}

// pgTime formats a time as Postgres prints timestamptz in UTC.
func pgTime(sec int64, nanos int32) string {
	return time.Unix(sec, int64(nanos)).UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.999999-07")
}

// snapshot returns every stored row, in key order.
func snapshot(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var out *string
	if err := conn.QueryRow(context.Background(), `SELECT jsonb_agg("row" ORDER BY tenant_id, key__id)::text FROM "order"`).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return show(out)
}

// withDefaults returns the zero-row expectations of v1 overridden by set.
func withDefaults(set map[string]*string) map[string]*string {
	want := map[string]*string{
		"tenant_id": s("0"), "key__id": s(""), "big": s("0"), "huge": s("0"), "status": s("STATUS_UNSPECIFIED"),
		"created_at": nil, "payload": s(`\x`), "note": nil, "code": nil, "price": s("0"), "ratio": s("0"),
		"paid": s("false"), "coupon": nil, "qty": s("0"), "delta": s("0"), "f64": s("0"), "legacy_note": s(""), "wrapped": nil,
	}
	for k, v := range set {
		want[k] = v
	}
	return want
}

// TestPostgres is the pbtable end to end on a real Postgres: DDL for v1,
// rows written as raw proto-JSON from Go, through the view as JSON and as
// columns, every generated value asserted; bad rows refused naming the
// column with nothing stored lost; the v2 migration; v2 rows; old and new
// rows read back.
func TestPostgres(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	v1, v2 := tables(t)
	m1, m2 := loadOrder(t, "v1"), loadOrder(t, "v2")
	create, err := pgddl.Create(v1, pgddl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, conn, create)

	// Row a: raw proto-JSON straight into the table.
	rowA := order(m1, map[string]any{
		"key": map[string]any{"id": "a"}, "tenant_id": int64(1<<53 + 1), "big": int64(math.MinInt64), "huge": uint64(math.MaxUint64),
		"status": protoreflect.EnumNumber(-1), "created_at": map[string]any{"seconds": int64(1767323045), "nanos": int32(123456789)},
		"payload": []byte{0, 1, 2, 0xfb, 0xff}, "tags": []string{"x", "y"}, "counts": map[string]int32{"k": 3},
		"line": map[string]any{"sku": "s-1", "quantity": int32(2)}, "note": "hi", "price": 1.25, "ratio": float32(0.1),
		"paid": true, "coupon": "", "qty": uint32(math.MaxUint32), "delta": int32(-7), "f64": uint64(math.MaxUint64),
		"legacy_note": "old", "wrapped": map[string]any{"value": int64(1 << 62)},
	})
	if _, err := conn.Exec(ctx, `INSERT INTO "order" ("row") VALUES ($1)`, marshal(t, rowA, false)); err != nil {
		t.Fatal(err)
	}
	wantA := withDefaults(map[string]*string{
		"tenant_id": s("9007199254740993"), "key__id": s("a"), "big": s("-9223372036854775808"), "huge": s("18446744073709551615"),
		"status": s("STATUS_VOID"), "created_at": s(pgTime(1767323045, 123456789)), "payload": s(`\x000102fbff`), "note": s("hi"),
		"price": s("1.25"), "ratio": s("0.1"), "paid": s("true"), "coupon": s(""), "qty": s("4294967295"), "delta": s("-7"),
		"f64": s("18446744073709551615"), "legacy_note": s("old"), "wrapped": s("4611686018427387904"),
	})
	assertColumns(t, "a", readColumns(t, conn, v1, "a"), wantA)
	if wantA["created_at"] == nil || *wantA["created_at"] != "2026-01-02 03:04:05.123456+00" {
		t.Fatalf("test's time formatting: %v", show(wantA["created_at"]))
	}

	// Row b: through the view as JSON, with original field names, an
	// unknown enum number, a oneof member set to zero, nanos below a
	// microsecond and a string-encoded float.
	rowB := order(m1, map[string]any{
		"key": map[string]any{"id": "b"}, "tenant_id": int64(1), "status": protoreflect.EnumNumber(42), "code": int32(0),
		"created_at": map[string]any{"seconds": int64(-1), "nanos": int32(999)}, "price": math.Inf(-1), "ratio": float32(math.NaN()),
	})
	var returned int64
	if err := conn.QueryRow(ctx, `INSERT INTO order_view ("row") VALUES ($1) RETURNING tenant_id`, marshal(t, rowB, true)).Scan(&returned); err != nil {
		t.Fatal(err)
	}
	if returned != 1 {
		t.Errorf("RETURNING tenant_id = %d, want 1", returned)
	}
	assertColumns(t, "b", readColumns(t, conn, v1, "b"), withDefaults(map[string]*string{
		"tenant_id": s("1"), "key__id": s("b"), "status": s("42"), "code": s("0"), "created_at": s("1969-12-31 23:59:59+00"),
		"price": s("-Infinity"), "ratio": s("NaN"),
	}))

	// Row c: through the view as columns; RETURNING * shows the stored
	// JSON and the generated values; zero values of fields without
	// presence leave no key, those of fields with presence do.
	var rowC string
	var statusC, createdC string
	err = conn.QueryRow(ctx, `INSERT INTO order_view (tenant_id, key__id, status, price, created_at, payload, big, coupon, huge)
		VALUES (3, 'c', 'STATUS_PAID', -0.5, '2026-03-04 05:06:07.5+00', '\x00ff', 0, '', 18446744073709551615)
		RETURNING "row"::text, status, created_at::text`).Scan(&rowC, &statusC, &createdC)
	if err != nil {
		t.Fatal(err)
	}
	var same bool
	wantC := `{"key": {"id": "c"}, "tenantId": "3", "status": "STATUS_PAID", "price": -0.5, "createdAt": "2026-03-04T05:06:07.500Z", "payload": "AP8=", "coupon": "", "huge": "18446744073709551615"}`
	if err := conn.QueryRow(ctx, `SELECT $1::jsonb = $2::jsonb`, rowC, wantC).Scan(&same); err != nil || !same {
		t.Errorf("row c stored as %s, want %s (%v)", rowC, wantC, err)
	}
	if statusC != "STATUS_PAID" || createdC != "2026-03-04 05:06:07.5+00" {
		t.Errorf("RETURNING status, created_at = %q, %q", statusC, createdC)
	}
	parsed := dynamicpb.NewMessage(m1)
	if err := protojson.Unmarshal([]byte(rowC), parsed); err != nil {
		t.Errorf("row c written through the view is not proto-JSON: %v", err)
	}

	// UPDATE through columns: zero and NULL drop keys.
	var rowC2 string
	if err := conn.QueryRow(ctx, `UPDATE order_view SET status = 'STATUS_UNSPECIFIED', coupon = NULL, paid = true
		WHERE key__id = 'c' RETURNING "row"::text`).Scan(&rowC2); err != nil {
		t.Fatal(err)
	}
	wantC2 := `{"key": {"id": "c"}, "tenantId": "3", "price": -0.5, "createdAt": "2026-03-04T05:06:07.500Z", "payload": "AP8=", "paid": true, "huge": "18446744073709551615"}`
	if err := conn.QueryRow(ctx, `SELECT $1::jsonb = $2::jsonb`, rowC2, wantC2).Scan(&same); err != nil || !same {
		t.Errorf("row c after UPDATE is %s, want %s (%v)", rowC2, wantC2, err)
	}
	// INSERT of an existing key is an upsert; DELETE deletes by key.
	if _, err := conn.Exec(ctx, `INSERT INTO order_view ("row") VALUES ('{"key": {"id": "c"}, "tenantId": 3, "note": "upserted"}')`); err != nil {
		t.Fatal(err)
	}
	assertColumns(t, "c", readColumns(t, conn, v1, "c"), withDefaults(map[string]*string{"tenant_id": s("3"), "key__id": s("c"), "note": s("upserted")}))
	tag, err := conn.Exec(ctx, `DELETE FROM order_view WHERE key__id = 'c'`)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("DELETE: %v, %d rows", err, tag.RowsAffected())
	}

	// Bad rows: refused with SQLSTATE 22023 naming the column; nothing
	// stored changes.
	before := snapshot(t, conn)
	bad := []struct {
		name, json, column string
	}{
		{"int64 not a number", `{"key": {"id": "a"}, "tenantId": "9007199254740993", "big": "abc"}`, "big"},
		{"int64 out of range", `{"key": {"id": "x"}, "big": "9223372036854775808"}`, "big"},
		{"uint64 out of range", `{"key": {"id": "x"}, "huge": "18446744073709551616"}`, "huge"},
		{"uint32 negative", `{"key": {"id": "x"}, "qty": -1}`, "qty"},
		{"int64 fraction", `{"key": {"id": "x"}, "tenantId": 1.5}`, "tenant_id"},
		{"bool as string", `{"key": {"id": "x"}, "paid": "yes"}`, "paid"},
		{"February 30", `{"key": {"id": "x"}, "createdAt": "2026-02-30T00:00:00Z"}`, "created_at"},
		{"timestamp without zone", `{"key": {"id": "x"}, "created_at": "2026-02-03T00:00:00"}`, "created_at"},
		{"bytes not base64", `{"key": {"id": "x"}, "payload": "!!"}`, "payload"},
		{"enum number fraction", `{"key": {"id": "x"}, "status": 1.5}`, "status"},
		{"key not a string", `{"key": {"id": 5}}`, "key__id"},
		{"float out of range", `{"key": {"id": "x"}, "ratio": 1e39}`, "ratio"},
		{"row not an object", `[1, 2]`, "row"},
		{"repeated not an array", `{"key": {"id": "x"}, "tags": "x"}`, "tags"},
		{"map not an object", `{"key": {"id": "x"}, "counts": [1]}`, "counts"},
		{"message not an object", `{"key": {"id": "x"}, "line": 5}`, "line"},
	}
	for _, b := range bad {
		for _, target := range []string{`"order"`, "order_view"} {
			_, err := conn.Exec(ctx, `INSERT INTO `+target+` ("row") VALUES ($1)`, b.json)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "22023" || pgErr.ColumnName != b.column ||
				!strings.Contains(pgErr.Message, `column "`+b.column+`"`) {
				t.Errorf("%s into %s: got %v, want SQLSTATE 22023 naming column %s", b.name, target, err, b.column)
			}
		}
	}
	// Invalid JSON never reaches the trigger: Postgres refuses the text.
	_, err = conn.Exec(ctx, `INSERT INTO order_view ("row") VALUES ($1)`, `{"key": {"id": "x"`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "22P02" || !strings.Contains(pgErr.Message, "json") {
		t.Errorf("invalid JSON: got %v, want SQLSTATE 22P02 about json", err)
	}
	// A deleted row through the view of an invalid update stays.
	if _, err := conn.Exec(ctx, `UPDATE order_view SET "row" = '{"key": {"id": "a"}, "tenantId": "9007199254740993", "paid": 1}' WHERE key__id = 'a'`); err == nil {
		t.Error("an UPDATE with a bad value succeeded")
	}
	if after := snapshot(t, conn); after != before {
		t.Errorf("bad rows changed the table:\nbefore %s\nafter  %s", before, after)
	}
	// What is stored is the message protobuf wrote.
	var stored string
	if err := conn.QueryRow(ctx, `SELECT "row"::text FROM "order" WHERE key__id = 'a'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	back := dynamicpb.NewMessage(m1)
	if err := protojson.Unmarshal([]byte(stored), back); err != nil || !proto.Equal(back, rowA) {
		t.Errorf("row a read back as %v (%v), want %v", back, err, rowA)
	}

	// The v2 migration: channel and shipped_at added, legacy_note kept.
	var fileBefore, fileAfter uint32
	conn.QueryRow(ctx, `SELECT pg_relation_filenode('"order"')`).Scan(&fileBefore)
	migration, err := pgddl.Migrate(v1, v2, pgddl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, conn, migration)
	conn.QueryRow(ctx, `SELECT pg_relation_filenode('"order"')`).Scan(&fileAfter)
	if fileBefore == fileAfter {
		t.Errorf("adding stored columns did not rewrite the table (filenode %d): the comments say it does", fileAfter)
	}
	v2Defaults := func(set map[string]*string) map[string]*string {
		w := withDefaults(set)
		if _, ok := set["channel"]; !ok {
			w["channel"] = s("")
		}
		if _, ok := set["shipped_at"]; !ok {
			w["shipped_at"] = nil
		}
		return w
	}
	wantA2 := v2Defaults(nil)
	for k, v := range wantA {
		wantA2[k] = v
	}
	assertColumns(t, "a", readColumns(t, conn, v2, "a"), wantA2)
	rowD := order(m2, map[string]any{
		"key": map[string]any{"id": "d"}, "tenant_id": int64(2), "status": protoreflect.EnumNumber(3), "channel": "web",
		"shipped_at": map[string]any{"seconds": int64(253402300799), "nanos": int32(999999999)},
	})
	if _, err := conn.Exec(ctx, `INSERT INTO order_view ("row") VALUES ($1)`, marshal(t, rowD, false)); err != nil {
		t.Fatal(err)
	}
	assertColumns(t, "d", readColumns(t, conn, v2, "d"), v2Defaults(map[string]*string{
		"tenant_id": s("2"), "key__id": s("d"), "status": s("STATUS_SHIPPED"), "channel": s("web"), "shipped_at": s("9999-12-31 23:59:59.999999+00"),
	}))
	assertColumns(t, "b", readColumns(t, conn, v2, "b"), v2Defaults(map[string]*string{
		"tenant_id": s("1"), "key__id": s("b"), "status": s("42"), "code": s("0"), "created_at": s("1969-12-31 23:59:59+00"),
		"price": s("-Infinity"), "ratio": s("NaN"),
	}))
	// Writing the deleted field's column is refused, naming it.
	_, err = conn.Exec(ctx, `UPDATE order_view SET legacy_note = 'new' WHERE key__id = 'a'`)
	if !errors.As(err, &pgErr) || pgErr.ColumnName != "legacy_note" || !strings.Contains(pgErr.Message, "deprecated") {
		t.Errorf("write to a deprecated column: %v", err)
	}
}

// TestPostgresNoRewrite: with NoRewrite the migration adds the new fields
// as view expressions with concurrently built indexes, and the table is
// not rewritten.
func TestPostgresNoRewrite(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	v1, v2 := tables(t)
	m2 := loadOrder(t, "v2")
	create, err := pgddl.Create(v1, pgddl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, conn, create)
	if _, err := conn.Exec(ctx, `INSERT INTO order_view ("row") VALUES ('{"key": {"id": "a"}, "tenantId": "7", "legacyNote": "old"}')`); err != nil {
		t.Fatal(err)
	}
	var fileBefore, fileAfter uint32
	conn.QueryRow(ctx, `SELECT pg_relation_filenode('"order"')`).Scan(&fileBefore)
	migration, err := pgddl.Migrate(v1, v2, pgddl.Options{NoRewrite: true})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, conn, migration)
	conn.QueryRow(ctx, `SELECT pg_relation_filenode('"order"')`).Scan(&fileAfter)
	if fileBefore != fileAfter {
		t.Errorf("the no-rewrite migration rewrote the table (filenode %d → %d)", fileBefore, fileAfter)
	}
	var stored, indexes int
	conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema AND table_name = 'order' AND column_name IN ('channel', 'shipped_at')`).Scan(&stored)
	conn.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema AND indexname IN ('order__channel_idx', 'order__shipped_at_idx')`).Scan(&indexes)
	if stored != 0 || indexes != 2 {
		t.Errorf("stored columns %d (want 0), indexes %d (want 2)", stored, indexes)
	}
	rowD := order(m2, map[string]any{"key": map[string]any{"id": "d"}, "tenant_id": int64(7), "channel": "web",
		"shipped_at": map[string]any{"seconds": int64(1767323045), "nanos": int32(1000)}})
	var channel, shipped *string
	if err := conn.QueryRow(ctx, `INSERT INTO order_view ("row") VALUES ($1) RETURNING channel, shipped_at::text`, marshal(t, rowD, false)).Scan(&channel, &shipped); err != nil {
		t.Fatal(err)
	}
	if show(channel) != `"web"` || show(shipped) != `"2026-01-02 03:04:05.000001+00"` {
		t.Errorf("RETURNING channel, shipped_at = %s, %s", show(channel), show(shipped))
	}
	assertColumns(t, "a", readColumns(t, conn, v2, "a"), map[string]*string{
		"tenant_id": s("7"), "key__id": s("a"), "big": s("0"), "huge": s("0"), "status": s("STATUS_UNSPECIFIED"),
		"created_at": nil, "payload": s(`\x`), "note": nil, "code": nil, "price": s("0"), "ratio": s("0"),
		"paid": s("false"), "coupon": nil, "qty": s("0"), "delta": s("0"), "f64": s("0"), "legacy_note": s("old"), "wrapped": nil,
		"channel": s(""), "shipped_at": nil,
	})
	// The new columns are writable through the view.
	if _, err := conn.Exec(ctx, `UPDATE order_view SET channel = 'shop' WHERE key__id = 'a'`); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT channel FROM order_view WHERE key__id = 'a'`).Scan(&channel); err != nil || show(channel) != `"shop"` {
		t.Errorf("channel after UPDATE = %s (%v)", show(channel), err)
	}
}
