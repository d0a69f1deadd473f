package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

// TestUpgradeToPromote: a database of schema version 1 holding a version
// keeps it through migration 0003 and takes promotions after it.
func TestUpgradeToPromote(t *testing.T) {
	init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dsn := freshSchema(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	p := storetest.Push("acme/old", 0, "a")
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{string(init), nil},
		{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`, nil},
		{`INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')`, nil},
		{`INSERT INTO modules (name, latest_version, created_at, updated_at) VALUES ('acme/old', 1, now(), now())`, nil},
		{`INSERT INTO versions (module_id, number, digest, principal, created_at, file_count)
			SELECT id, 1, $1, 'ci', now(), 1 FROM modules`, []any{p.Digest}},
		{`INSERT INTO version_contents SELECT id, 1, $1, '\x00' FROM modules`, []any{p.Config}},
		{`INSERT INTO blobs SELECT id, 'b1', $1 FROM modules`, []any{p.Files[0].Content}},
		{`INSERT INTO version_files SELECT id, 1, $1, 'b1' FROM modules`, []any{p.Files[0].Path}},
	} {
		if _, err := conn.Exec(ctx, stmt.sql, stmt.args...); err != nil {
			t.Fatalf("%.60s: %v", stmt.sql, err)
		}
	}
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckUpgradedToPromote(t, s, "acme/old", p.Digest)
}
