package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

func TestMain(m *testing.M) {
	storetest.CrashChildMain(openDSN)
	lingerChildMain()
	os.Exit(m.Run())
}

// openDSN opens the read-write store at dsn.
func openDSN(ctx context.Context, dsn string) (registry.Store, error) {
	return postgres.Open(ctx, dsn, postgres.Options{})
}

// freshSchema creates a schema of its own for t (see pgtest.Schema) and
// returns the database URL with search_path set to it.
func freshSchema(t *testing.T) string {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "pbregistry_test_")
	return dsn
}

// withSearchPath returns dsn, a URL or key=value string, with search_path.
func withSearchPath(t *testing.T, dsn, schema string) string {
	return withParam(t, dsn, "search_path", schema)
}

// withParam returns dsn, a URL or key=value string, with parameter key
// set to value (a value without spaces or quotes).
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	out, err := pgtest.WithParam(dsn, key, value)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// open opens a store on dsn, closed at t's cleanup.
func open(t *testing.T, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store {
		return open(t, freshSchema(t), postgres.Options{MaxConns: 4})
	})
}

func TestReadOnly(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T) (registry.Store, registry.Store) {
		dsn := freshSchema(t)
		rw := open(t, dsn, postgres.Options{})
		return rw, open(t, dsn, postgres.Options{ReadOnly: true})
	})
}

// TestShared: two pools on one database, as two registryd processes.
func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (registry.Store, registry.Store) {
		dsn := freshSchema(t)
		return open(t, dsn, postgres.Options{MaxConns: 4}), open(t, dsn, postgres.Options{MaxConns: 4})
	})
}

func TestCrash(t *testing.T) {
	storetest.RunCrash(t, storetest.CrashBackend{
		DSN:  freshSchema(t),
		Open: openDSN,
		ChildDSN: func(dsn, child string) string {
			return withParam(t, dsn, "application_name", child)
		},
		Sessions: crashChildSessions,
		Snapshot: crashSnapshot,
	})
}

// crashChildSessions counts the server sessions of a crash child, which
// connects with its name as application_name.
func crashChildSessions(ctx context.Context, dsn, child string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, child).Scan(&n)
	return n, err
}

// crashSnapshot reads module's state in one REPEATABLE READ transaction.
func crashSnapshot(ctx context.Context, dsn, module string) (storetest.CrashSnapshot, error) {
	var snap storetest.CrashSnapshot
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return snap, err
	}
	defer conn.Close(ctx)
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(latest_version), 0) FROM modules WHERE name = $1`, module).Scan(&snap.Latest); err != nil {
			return fmt.Errorf("latest version: %w", err)
		}
		rows, _ := tx.Query(ctx, `SELECT v.number FROM versions v JOIN modules m ON m.id = v.module_id WHERE m.name = $1 ORDER BY v.number`, module)
		if snap.Versions, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("versions: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT version FROM outbox WHERE module = $1 ORDER BY version`, module)
		if snap.OutboxVersions, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(l.first_version), 0) FROM ledger l
			JOIN subjects s ON s.id = l.subject_id JOIN modules m ON m.id = s.module_id WHERE m.name = $1`, module).Scan(&snap.LedgerFirstVersion); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(s.last_version), 0) FROM subjects s
			JOIN modules m ON m.id = s.module_id WHERE m.name = $1`, module).Scan(&snap.SubjectLastVersion); err != nil {
			return fmt.Errorf("subjects: %w", err)
		}
		return nil
	})
	return snap, err
}

// TestConcurrentOpen: processes starting at once on an empty database
// migrate it once, safely.
func TestConcurrentOpen(t *testing.T) {
	dsn := freshSchema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 2})
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
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var applied, distinct int
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied == 0 || applied != distinct {
		t.Errorf("schema_migrations has %d rows for %d versions", applied, distinct)
	}
}

func TestOpenErrors(t *testing.T) {
	dsn := freshSchema(t)
	tests := []struct {
		name string
		dsn  string
		opts postgres.Options
	}{
		{"malformed URL", "postgres://%zz", postgres.Options{}},
		{"read-only without schema", dsn, postgres.Options{ReadOnly: true}},
		{"bad pool_acquire_timeout", withParam(t, dsn, "pool_acquire_timeout", "soon"), postgres.Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := postgres.Open(context.Background(), tc.dsn, tc.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded")
			}
		})
	}
}
