package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// TestMigrateToLifecycle: a database written at schema version 1 (before
// the lifecycle) opens, migrates to version 2 and keeps its data: its
// module, version and subject read back as not deprecated, not deleted
// and not retired, and the lifecycle writes work on them.
func TestMigrateToLifecycle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "registry.db")
	initSQL, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		string(initSQL),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO modules (id, name, latest_version, created_at, updated_at) VALUES (1, 'acme/old', 1, 1000000, 1000000)`,
		`INSERT INTO versions (module_id, number, digest, principal, created_at, file_count) VALUES (1, 1, 'sha256:old', 'ci', 1000000, 0)`,
		`INSERT INTO version_contents (module_id, number, config, descriptor_set) VALUES (1, 1, x'', x'')`,
		`INSERT INTO subjects (module_id, name, kind, primary_key, level, use_rules, except_rules, first_version, last_version)
			VALUES (1, 'acme.v1.Old', 'event', '[]', 'FULL_TRANSITIVE', '[]', '[]', 1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open a version-1 database: %v", err)
	}
	defer s.Close()
	m, err := s.GetModule(ctx, "acme/old")
	if err != nil || m.LatestVersion != 1 || m.Deprecation != nil {
		t.Fatalf("module after migrating = %+v, %v", m, err)
	}
	v, err := s.GetVersion(ctx, "acme/old", 1)
	if err != nil || v.Digest != "sha256:old" || v.Deleted != nil {
		t.Fatalf("version after migrating = %+v, %v", v, err)
	}
	sub, err := s.GetSubject(ctx, "acme/old", "acme.v1.Old")
	if err != nil || sub.Retired != nil {
		t.Fatalf("subject after migrating = %+v, %v", sub, err)
	}
	if sub, _, err := s.RetireSubject(ctx, registry.RetireSubjectRequest{Module: "acme/old", Subject: "acme.v1.Old", Reason: "r", Principal: "admin"}); err != nil || sub.Retired == nil {
		t.Fatalf("retire after migrating = %+v, %v", sub, err)
	}
	if v, _, err := s.DeleteVersion(ctx, registry.DeleteVersionRequest{Module: "acme/old", Version: 1, Reason: "r", Principal: "admin"}); err != nil || v.Deleted == nil {
		t.Fatalf("delete after migrating = %+v, %v", v, err)
	}
}
