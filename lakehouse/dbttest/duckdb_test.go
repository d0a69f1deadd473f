package dbttest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the duckdb database/sql driver

	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// TestDuckDBStaging is the staging test of the duckdb dialect on an
// in-memory DuckDB: the same rows, the same assertions as on Postgres.
func TestDuckDBStaging(t *testing.T) {
	w := duckWarehouse(t)
	w.landing = map[string]string{
		"acme.shop.v1.Order":       `CREATE TABLE orders ("row" json NOT NULL, _loaded_at timestamptz NOT NULL DEFAULT current_timestamp)`,
		"acme.shop.v1.OrderPlaced": `CREATE TABLE order_placed (payload json NOT NULL, _loaded_at timestamptz NOT NULL DEFAULT current_timestamp)`,
	}
	w.relations = map[string]string{"order": "orders", "order_placed": "order_placed"}
	runStaging(t, dbt.DuckDB, w)
}

// duckWarehouse returns an in-memory DuckDB in UTC as a warehouse, without
// landing tables.
func duckWarehouse(t *testing.T) *warehouse {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return &warehouse{
		exec: func(q string, args ...any) error {
			_, err := db.Exec(q, args...)
			return err
		},
		row: func(q string, n int) ([]string, error) {
			values := make([]string, n)
			ptrs := make([]any, n)
			for j := range values {
				ptrs[j] = &values[j]
			}
			return values, db.QueryRow(q).Scan(ptrs...)
		},
		rows: func(q string, n int) ([][]string, error) {
			rows, err := db.Query(q)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out [][]string
			for rows.Next() {
				values := make([]string, n)
				ptrs := make([]any, n)
				for j := range values {
					ptrs[j] = &values[j]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return nil, err
				}
				out = append(out, values)
			}
			return out, rows.Err()
		},
		columns: func(view string) ([][2]string, error) {
			rows, err := db.Query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, view)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out [][2]string
			for rows.Next() {
				var c [2]string
				if err := rows.Scan(&c[0], &c[1]); err != nil {
					return nil, err
				}
				c[1] = strings.ToLower(c[1])
				out = append(out, c)
			}
			return out, rows.Err()
		},
		// As Postgres prints them: bytes as \x and hex digits.
		text: func(col, dataType string) string {
			if dataType == "blob" {
				return fmt.Sprintf(`'\x' || lower(hex(%q))`, col)
			}
			return fmt.Sprintf("cast(%q as varchar)", col)
		},
		truncatesTime: true,
	}
}
