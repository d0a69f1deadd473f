package dbttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

const urlEnv = "PBREGISTRY_TEST_DATABASE_URL"

// connect opens a connection to the test database with a schema of its own
// on its search_path and TimeZone UTC, dropped at t's cleanup. Without a
// database it skips t, or fails it under CI.
func connect(t *testing.T) (*pgx.Conn, string) {
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
	schema := "dbt_test_" + hex.EncodeToString(b[:])
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
	return conn, schema
}

// TestPostgresStaging lands proto-JSON rows written by protojson at
// versions 1 and 2 of the shop module in Postgres jsonb tables, renders the
// generated postgres staging models with Jinja, creates them as views, and
// checks the views' column types against the enforced contract and every
// value of every row against what protobuf gives for the message written.
func TestPostgresStaging(t *testing.T) {
	w, schema := pgWarehouse(t)
	w.landing = map[string]string{
		"acme.shop.v1.Order":       `CREATE TABLE orders (id serial, "row" jsonb NOT NULL, _loaded_at timestamptz NOT NULL DEFAULT now())`,
		"acme.shop.v1.OrderPlaced": `CREATE TABLE order_placed (id serial, payload jsonb NOT NULL, _loaded_at timestamptz NOT NULL DEFAULT now())`,
	}
	w.relations = map[string]string{"order": schema + ".orders", "order_placed": schema + ".order_placed"}
	w.spots = true
	runStaging(t, dbt.Postgres, w)
}

// pgWarehouse returns the test database, in a schema of its own, as a
// warehouse without landing tables, and the schema.
func pgWarehouse(t *testing.T) (*warehouse, string) {
	conn, schema := connect(t)
	ctx := context.Background()
	return &warehouse{
		exec: func(sql string, args ...any) error {
			_, err := conn.Exec(ctx, sql, args...)
			return err
		},
		row: func(sql string, n int) ([]string, error) {
			values := make([]string, n)
			ptrs := make([]any, n)
			for j := range values {
				ptrs[j] = &values[j]
			}
			return values, conn.QueryRow(ctx, sql).Scan(ptrs...)
		},
		rows: func(sql string, n int) ([][]string, error) {
			rows, err := conn.Query(ctx, sql)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]string, error) {
				values := make([]string, n)
				ptrs := make([]any, n)
				for j := range values {
					ptrs[j] = &values[j]
				}
				return values, r.Scan(ptrs...)
			})
		},
		columns: func(view string) ([][2]string, error) {
			rows, err := conn.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
				WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, schema+"."+view)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
				var c [2]string
				err := r.Scan(&c[0], &c[1])
				return c, err
			})
		},
		text: func(col, dataType string) string { return fmt.Sprintf("%q::text", col) },
	}, schema
}
