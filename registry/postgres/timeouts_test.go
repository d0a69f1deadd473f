package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

// guard bounds every wait of these tests: reaching it means a request hung
// instead of giving up after its (much shorter) timeout.
const guard = 30 * time.Second

// holdLock opens a connection of its own on dsn and, in a transaction,
// runs lock (e.g. SELECT … FOR UPDATE); the lock is held until the
// returned function is called or the test ends.
func holdLock(t *testing.T, dsn, lock string, args ...any) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, lock, args...); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			_ = tx.Rollback(ctx)
			_ = conn.Close(ctx)
		}
	}
	t.Cleanup(release)
	return release
}

// wantUnavailable fails t unless err matches registry.ErrUnavailable and
// says each of want.
func wantUnavailable(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if !errors.Is(err, registry.ErrUnavailable) || registry.ErrorCode(err) != registry.CodeUnavailable {
		t.Fatalf("%s: got error %v, want one matching registry.ErrUnavailable", what, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not say %q", what, err, w)
		}
	}
}

// TestLockTimeout: while another transaction holds a module's row (as a
// stalled peer's push does), a push to the module gives up after
// lock_timeout with a retryable error naming the module; reads of it,
// Ping and pushes to other modules answer.
func TestLockTimeout(t *testing.T) {
	tests := []struct {
		name     string
		opts     postgres.Options
		urlParam string
		wantSays string
	}{
		{"option", postgres.Options{LockTimeout: 200 * time.Millisecond}, "", "within 200ms (lock_timeout)"},
		{"URL parameter", postgres.Options{}, "lock_timeout=250ms", "within 250ms (lock_timeout)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := freshSchema(t)
			url := dsn
			if k, v, ok := strings.Cut(tc.urlParam, "="); ok {
				url = withParam(t, dsn, k, v)
			}
			s := open(t, url, tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			if _, _, err := s.CommitPush(ctx, storetest.Push("acme/x", 0, "a")); err != nil {
				t.Fatal(err)
			}
			release := holdLock(t, dsn, `SELECT 1 FROM modules WHERE name = $1 FOR UPDATE`, "acme/x")

			_, _, err := s.CommitPush(ctx, storetest.Push("acme/x", 1, "b"))
			wantUnavailable(t, "push to the locked module", err, "module acme/x is locked by another push", tc.wantSays, "retry")
			if ctx.Err() != nil {
				t.Fatalf("the push waited past the %s guard", guard)
			}
			if m, err := s.GetModule(ctx, "acme/x"); err != nil || m.LatestVersion != 1 {
				t.Errorf("GetModule of the locked module = %+v, %v; want latest version 1", m, err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Errorf("Ping while a module is locked: %v", err)
			}
			if _, _, err := s.CommitPush(ctx, storetest.Push("acme/y", 0, "a")); err != nil {
				t.Errorf("push to another module while acme/x is locked: %v", err)
			}

			release()
			if v, _, err := s.CommitPush(ctx, storetest.Push("acme/x", 1, "b")); err != nil || v.Number != 2 {
				t.Errorf("push once the lock is released = version %d, %v; want version 2", v.Number, err)
			}
		})
	}
}

// TestStatementTimeout: a statement that runs past statement_timeout (here
// a read waiting behind an exclusive table lock, with lock_timeout longer)
// fails with a retryable error instead of hanging.
func TestStatementTimeout(t *testing.T) {
	dsn := freshSchema(t)
	s := open(t, dsn, postgres.Options{StatementTimeout: 200 * time.Millisecond, LockTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	holdLock(t, dsn, `LOCK TABLE modules IN ACCESS EXCLUSIVE MODE`)
	_, err := s.GetModule(ctx, "acme/x")
	wantUnavailable(t, "GetModule behind a table lock", err, "within 200ms (statement_timeout)", "retry")
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping while the modules table is locked: %v", err)
	}
}

// TestAcquireTimeout: when every connection of the pool is taken (here the
// single one, by a push paused inside its transaction), a request gives
// up after the acquire timeout with a retryable error; Ping, on its own
// connection, answers.
func TestAcquireTimeout(t *testing.T) {
	tests := []struct {
		name     string
		opts     postgres.Options
		params   [][2]string
		wantSays string
	}{
		{"options", postgres.Options{MaxConns: 1, AcquireTimeout: 200 * time.Millisecond}, nil, "within 200ms"},
		{"URL parameters", postgres.Options{}, [][2]string{{"pool_max_conns", "1"}, {"pool_acquire_timeout", "300ms"}}, "within 300ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := freshSchema(t)
			for _, p := range tc.params {
				dsn = withParam(t, dsn, p[0], p[1])
			}
			s := open(t, dsn, tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			paused, resume := make(chan struct{}), make(chan struct{})
			pushed := make(chan error, 1)
			go func() {
				hook := registry.WithCommitHook(ctx, func(stage string) {
					if stage == "after-module-lock" {
						close(paused)
						<-resume
					}
				})
				_, _, err := s.CommitPush(hook, storetest.Push("acme/x", 0, "a"))
				pushed <- err
			}()
			<-paused
			_, err := s.GetModule(ctx, "acme/y")
			wantUnavailable(t, "GetModule with no free connection", err, "no database connection became free "+tc.wantSays, "1 connections", "retry later")
			if err := s.Ping(ctx); err != nil {
				t.Errorf("Ping with no free connection in the pool: %v", err)
			}
			close(resume)
			if err := <-pushed; err != nil {
				t.Fatalf("the paused push: %v", err)
			}
			if _, err := s.GetModule(ctx, "acme/x"); err != nil {
				t.Errorf("GetModule once the connection is free: %v", err)
			}
		})
	}
}

// TestMigrationOutlastsLockTimeout: Open waits for another process's
// migration (the migration lock) longer than lock_timeout: migrations run
// with their own, longer timeouts.
func TestMigrationOutlastsLockTimeout(t *testing.T) {
	dsn := freshSchema(t)
	release := holdLock(t, dsn, `SELECT pg_advisory_xact_lock(hashtext('pbregistry.migrate.' || coalesce(current_schema(), '')))`)
	opened := make(chan error, 1)
	go func() {
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{LockTimeout: 50 * time.Millisecond})
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	// Release the migration lock only once Open has waited for it
	// longer than its lock_timeout.
	waitForLockWaiter(t, dsn, 4*50*time.Millisecond, opened)
	release()
	if err := <-opened; err != nil {
		t.Fatalf("Open waiting for the migration lock: %v", err)
	}
}

// waitForLockWaiter waits until a session of dsn's database has waited
// for a lock for at least d; it fails t if opened says Open gave up first.
func waitForLockWaiter(t *testing.T, dsn string, d time.Duration, opened <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for {
		var waited bool
		err := conn.QueryRow(ctx, `SELECT coalesce(bool_or(now() - query_start >= $1::interval), false)
			FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
			d.String()).Scan(&waited)
		if err != nil {
			t.Fatalf("no session waited %s for a lock: %v", d, err)
		}
		if waited {
			return
		}
		select {
		case err := <-opened:
			t.Fatalf("Open returned before waiting %s for the migration lock: %v", d, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
