package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

func TestMain(m *testing.M) {
	storetest.CrashChildMain(openDSN)
	os.Exit(m.Run())
}

// openDSN opens the read-write store at path.
func openDSN(ctx context.Context, path string) (registry.Store, error) {
	return sqlite.Open(ctx, path, sqlite.Options{})
}

// open opens a store in a new file of t's temporary directory.
func open(t *testing.T, opts sqlite.Options) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store {
		s, _ := open(t, sqlite.Options{})
		return s
	})
}

func TestReadOnly(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T) (registry.Store, registry.Store) {
		rw, path := open(t, sqlite.Options{})
		ro, err := sqlite.Open(context.Background(), path, sqlite.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ro.Close() })
		return rw, ro
	})
}

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (registry.Store, registry.Store) {
		a, path := open(t, sqlite.Options{})
		b, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	})
}

func TestCrash(t *testing.T) {
	storetest.RunCrash(t, storetest.CrashBackend{
		DSN:      filepath.Join(t.TempDir(), "registry.db"),
		Open:     openDSN,
		Snapshot: crashSnapshot,
	})
}

// crashSnapshot reads module's state in one read transaction: SQLite's
// snapshot is taken by its first read and kept to its end.
func crashSnapshot(ctx context.Context, path, module string) (storetest.CrashSnapshot, error) {
	var snap storetest.CrashSnapshot
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return snap, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return snap, err
	}
	defer tx.Rollback()
	ints := func(query string) ([]int64, error) {
		rows, err := tx.QueryContext(ctx, query, module)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, rows.Err()
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(latest_version), 0) FROM modules WHERE name = ?`, module).Scan(&snap.Latest); err != nil {
		return snap, fmt.Errorf("latest version: %w", err)
	}
	if snap.Versions, err = ints(`SELECT v.number FROM versions v JOIN modules m ON m.id = v.module_id WHERE m.name = ? ORDER BY v.number`); err != nil {
		return snap, fmt.Errorf("versions: %w", err)
	}
	if snap.OutboxVersions, err = ints(`SELECT version FROM outbox WHERE module = ? ORDER BY version`); err != nil {
		return snap, fmt.Errorf("outbox: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(l.first_version), 0) FROM ledger l
		JOIN subjects s ON s.id = l.subject_id JOIN modules m ON m.id = s.module_id WHERE m.name = ?`, module).Scan(&snap.LedgerFirstVersion); err != nil {
		return snap, fmt.Errorf("ledger: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(s.last_version), 0) FROM subjects s
		JOIN modules m ON m.id = s.module_id WHERE m.name = ?`, module).Scan(&snap.SubjectLastVersion); err != nil {
		return snap, fmt.Errorf("subjects: %w", err)
	}
	return snap, nil
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts sqlite.Options
	}{
		{"empty path", "", sqlite.Options{}},
		{"query in path", filepath.Join(dir, "x.db?mode=memory"), sqlite.Options{}},
		{"memory", ":memory:", sqlite.Options{}},
		{"read-only, no file", filepath.Join(dir, "missing.db"), sqlite.Options{ReadOnly: true}},
		{"directory missing", filepath.Join(dir, "no", "such", "dir", "x.db"), sqlite.Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), tc.path, tc.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

// TestReadOnlyNeedsSchema: a read-only store refuses a database that has
// no schema rather than creating it.
func TestReadOnlyNeedsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(context.Background(), path, sqlite.Options{ReadOnly: true}); err == nil {
		s.Close()
		t.Fatal("read-only Open of a database without schema succeeded")
	}
}

// TestConcurrentOpen: stores opened at once on a new file all migrate it
// safely, and the schema is recorded once.
func TestConcurrentOpen(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.Dir(context.Background(), dir, sqlite.Options{})
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := sqlite.Dir(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, _, err := s.CommitPush(context.Background(), storetest.Push("acme/x", 0, "a"))
	if err != nil || v.Number != 1 {
		t.Fatalf("push after concurrent opens: %+v, %v", v, err)
	}
	if s.Path() != filepath.Join(dir, sqlite.FileName) {
		t.Errorf("Path = %s", s.Path())
	}
}
