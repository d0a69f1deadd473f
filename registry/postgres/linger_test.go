package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

// lingerEnv makes the test binary a lingering-commit child: its value is
// the DSN to connect to.
const lingerEnv = "PBREGISTRY_TEST_LINGER_CHILD"

// lingerLock is the advisory lock the commit of a lingering-commit child
// waits for.
const lingerLock = 4242

// lingerChildMain, in a lingering-commit child, advances acme/x's latest
// version in a transaction, says COMMITTING and commits, which waits for
// lingerLock (see TestKilledClientCommitsLater); it never returns.
// Otherwise it returns at once.
func lingerChildMain() {
	dsn := os.Getenv(lingerEnv)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	err := func() error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE modules SET latest_version = latest_version + 1 WHERE name = 'acme/x'`); err != nil {
			return err
		}
		fmt.Println("COMMITTING")
		return tx.Commit(ctx)
	}()
	fmt.Println("DONE", err)
	os.Exit(0)
}

// TestKilledClientCommitsLater shows why the crash checks wait for a
// killed child's database sessions to end, not only for the process: a
// process SIGKILLed after sending COMMIT is dead, but its server session
// goes on and commits. Here the COMMIT waits, in a deferred trigger, for
// an advisory lock the test holds; the child is killed; the session
// outlives it and, once the lock is released, commits.
func TestKilledClientCommitsLater(t *testing.T) {
	dsn := freshSchema(t)
	s := open(t, dsn, postgres.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if _, _, err := s.CommitPush(ctx, storetest.Push("acme/x", 0, "a")); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{
		fmt.Sprintf(`CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN PERFORM pg_advisory_xact_lock(%d); RETURN NULL; END $$`, lingerLock),
		`CREATE CONSTRAINT TRIGGER hold_commit AFTER UPDATE ON modules DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION hold_commit()`,
		fmt.Sprintf(`SELECT pg_advisory_lock(%d)`, lingerLock),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	latestIs := func(want int64) {
		t.Helper()
		var n int64
		if err := conn.QueryRow(ctx, `SELECT latest_version FROM modules WHERE name = 'acme/x'`).Scan(&n); err != nil || n != want {
			t.Fatalf("latest version of acme/x = %d, %v; want %d", n, err, want)
		}
	}

	const name = "pbregistry-linger-child"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lingerEnv+"="+withParam(t, dsn, "application_name", name))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Wait until the child's COMMIT waits for the lock in its trigger.
	for {
		var waiting bool
		if err := conn.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`, name).Scan(&waiting); err != nil {
			t.Fatalf("the child's COMMIT never waited for the advisory lock: %v", err)
		}
		if waiting {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	if n, err := crashChildSessions(ctx, dsn, name); err != nil || n != 1 {
		t.Fatalf("sessions of the killed child = %d, %v; want 1, still committing", n, err)
	}
	latestIs(1)
	if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_advisory_unlock(%d)`, lingerLock)); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := crashChildSessions(ctx, dsn, name)
		if err != nil {
			t.Fatalf("the killed child's session did not end: %v", err)
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	latestIs(2)
}
