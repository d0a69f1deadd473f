package pgddl_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
)

// BenchmarkInsert measures what a pbtable costs a writer against a plain
// jsonb table with a text key, in the same run: inserts into the pbtable's
// table (validation trigger, generated columns, GIN index) and through its
// view (plus the INSTEAD OF trigger's upsert). Compare the ratios, not the
// times.
func BenchmarkInsert(b *testing.B) {
	conn := connect(b)
	ctx := context.Background()
	v1, _ := tables(b)
	create, err := pgddl.Create(v1, pgddl.Options{})
	if err != nil {
		b.Fatal(err)
	}
	apply(b, conn, create)
	if _, err := conn.Exec(ctx, `CREATE TABLE plain ("row" jsonb NOT NULL, id text PRIMARY KEY)`); err != nil {
		b.Fatal(err)
	}
	const row = `{"key": {"id": "%s"}, "tenantId": "9007199254740993", "big": "-5", "huge": "18446744073709551615", "status": "STATUS_PAID", "createdAt": "2026-01-02T03:04:05.123456789Z", "payload": "AAEC", "tags": ["x"], "note": "hi", "price": 1.5, "paid": true}`
	run := time.Now().UnixNano() // with seq: keys unique across every run of a sub-benchmark
	var seq atomic.Int64
	for _, c := range []struct{ name, sql string }{
		{"plain-jsonb-table", `INSERT INTO plain ("row", id) VALUES ($1, $1::jsonb->'key'->>'id')`},
		{"pbtable-table", `INSERT INTO "order" ("row") VALUES ($1)`},
		{"pbtable-view", `INSERT INTO order_view ("row") VALUES ($1)`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := conn.Exec(ctx, c.sql, fmt.Sprintf(row, fmt.Sprintf("%s-%d-%d", b.Name(), run, seq.Add(1)))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
