// Package pgtest gives a test a PostgreSQL schema of its own on the test
// database named by PBREGISTRY_TEST_DATABASE_URL (which scripts/test sets
// after starting PostgreSQL), so that tests of many packages can share one
// database and run in parallel.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// URLEnv names the environment variable holding the test database's URL
// (a postgres:// URL or a key=value connection string).
const URLEnv = "PBREGISTRY_TEST_DATABASE_URL"

// BaseURL returns the test database's URL. Without one it skips t — or
// fails it under CI, which must run the PostgreSQL tests.
func BaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(URLEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see scripts/test)", URLEnv)
		}
		t.Skipf("%s is not set: skipping PostgreSQL tests (scripts/test sets it)", URLEnv)
	}
	return base
}

// Schema creates a schema of its own for t, named prefix and a random
// suffix, dropped with everything in it at t's cleanup, and returns the
// database URL with search_path set to it, and the schema's name.
func Schema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	base := BaseURL(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema = prefix + hex.EncodeToString(b[:])
	if err := exec(base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema in %s: %v", URLEnv, err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithParam(base, "search_path", schema)
	if err != nil {
		t.Fatalf("%s: %v", URLEnv, err)
	}
	return dsn, schema
}

// WithParam returns dsn, a postgres:// URL or a key=value connection
// string, with parameter key set to value (a value without spaces or
// quotes).
func WithParam(dsn, key, value string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " " + key + "=" + value, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// exec runs one statement on a connection of its own.
func exec(dsn, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
