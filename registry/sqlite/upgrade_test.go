package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

// TestUpgradeToPromote: a database of schema version 1 holding a version
// keeps it, whole, through migration 0004 (which rebuilds the versions
// table), and takes promotions after it.
func TestUpgradeToPromote(t *testing.T) {
	init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "registry.db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	p := storetest.Push("acme/old", 0, "a")
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{string(init), nil},
		{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`, nil},
		{`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`, nil},
		{`INSERT INTO modules (id, name, latest_version, created_at, updated_at) VALUES (1, 'acme/old', 1, 1, 1)`, nil},
		{`INSERT INTO versions (module_id, number, digest, principal, created_at, file_count) VALUES (1, 1, ?, 'ci', 1, 1)`, []any{p.Digest}},
		{`INSERT INTO version_contents VALUES (1, 1, ?, x'00')`, []any{p.Config}},
		{`INSERT INTO blobs VALUES (1, 'b1', ?)`, []any{p.Files[0].Content}},
		{`INSERT INTO version_files VALUES (1, 1, ?, 'b1')`, []any{p.Files[0].Path}},
		{`INSERT INTO exceptions (id, module, digest, rule, element, reason, principal, created_at, used_version, used_at)
			VALUES (7, 'acme/old', ?, 'FIELD_SAME_TYPE', 'acme.v1.Order.id', 'r', 'admin', 1, 1, 1)`, []any{p.Digest}},
	} {
		if _, err := db.Exec(stmt.sql, stmt.args...); err != nil {
			t.Fatalf("%.60s: %v", stmt.sql, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckUpgradedToPromote(t, s, "acme/old", p.Digest)
	if e, err := s.GetException(context.Background(), 7); err != nil || e.UsedVersion != 1 {
		t.Errorf("exception 7 after the migration = %+v, %v", e, err)
	}
	e, err := s.CreateException(context.Background(), registry.ExceptionSpec{Module: "acme/old", Digest: p.Digest,
		Rule: "FIELD_SAME_TYPE", Element: "acme.v1.Order.id", Reason: "again", Principal: "admin"})
	if err != nil || e.ID <= 7 {
		t.Errorf("exception granted again after the migration = %+v, %v; want a new ID after 7", e, err)
	}

	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("foreign_key_check reports violations after the migration")
	}
	rows.Close()
	if _, err := db.Exec(`PRAGMA foreign_keys = ON; INSERT INTO version_contents VALUES (1, 99, x'', x'')`); err == nil {
		t.Error("contents of a version that does not exist were accepted: the rebuilt versions table lost its foreign keys")
	}
}
