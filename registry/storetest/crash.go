package storetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/internal/txhook"
)

// crashEnv is the environment variable that turns a test binary into a
// crash child; its value is a JSON crashOrder.
const crashEnv = "PBREGISTRY_STORETEST_CRASH_CHILD"

// crashModule is the module crash tests push to.
const crashModule = "acme/crash"

// DSNOpenFunc opens the store on the database named by dsn, in the test
// process or in a crash child.
type DSNOpenFunc func(ctx context.Context, dsn string) (registry.Store, error)

// CrashBackend is what RunCrash needs of a backend.
type CrashBackend struct {
	// DSN names an empty database.
	DSN string
	// Open opens the store on a DSN, in the test process or a crash
	// child.
	Open DSNOpenFunc
	// ChildDSN returns the DSN a crash child opens, tagged with the
	// child's name so that Sessions finds its sessions; nil means DSN.
	ChildDSN func(dsn, child string) string
	// Sessions returns how many sessions of the crash child named child
	// the database server still runs. A killed process's server session
	// lives on until it notices the process is gone — and it completes a
	// COMMIT it received first. Nil means the database dies with the
	// process (an embedded database).
	Sessions func(ctx context.Context, dsn, child string) (int, error)
	// Snapshot reads crashModule's state in one read transaction.
	Snapshot func(ctx context.Context, dsn, module string) (CrashSnapshot, error)
}

// CrashSnapshot is a module's state as one read transaction sees it: the
// crash checks compare its parts, which a writer committing between
// separate reads would make disagree.
type CrashSnapshot struct {
	// Latest is the module's latest version, 0 if it does not exist.
	Latest int64
	// Versions are the numbers of its versions, ascending.
	Versions []int64
	// OutboxVersions are the versions of its outbox events, ascending,
	// one per event.
	OutboxVersions []int64
	// LedgerFirstVersion is the greatest first version of its ledger
	// entries, 0 if none.
	LedgerFirstVersion int64
	// SubjectLastVersion is the greatest last version of its subjects, 0
	// if none.
	SubjectLastVersion int64
}

// check fails t unless s is the state of a module with versions 1..want,
// one outbox event each, and no ledger or subject beyond want. Every
// version pushed here declares OrderSubject, so its last version is want.
func (s CrashSnapshot) check(t *testing.T, want int64) {
	t.Helper()
	one := make([]int64, want)
	for i := range one {
		one[i] = int64(i + 1)
	}
	if s.Latest != want || !slices.Equal(s.Versions, one) || !slices.Equal(s.OutboxVersions, one) ||
		s.LedgerFirstVersion > want || s.SubjectLastVersion != want {
		t.Fatalf("one snapshot of %s: %+v; want latest version %d, versions and outbox events 1..%[2]d, ledger and subject not beyond %[2]d",
			crashModule, s, want)
	}
}

// crashOrder tells a crash child what to do.
type crashOrder struct {
	// DSN names the database.
	DSN string
	// Seed selects the content to push.
	Seed string
	// Stage is the stage of CommitPush's transaction to pause at, saying
	// "PAUSED"; empty means push in a loop, saying "PUSHED n" after each.
	Stage txhook.Stage
}

// CrashChildMain makes the test binary a crash child when RunCrash started
// it: call it first thing in the backend's TestMain. In a crash child it
// pushes as ordered and never returns; otherwise it returns at once.
func CrashChildMain(open DSNOpenFunc) {
	raw := os.Getenv(crashEnv)
	if raw == "" {
		return
	}
	var o crashOrder
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		fmt.Fprintf(os.Stderr, "crash child: bad order %q: %v\n", raw, err)
		os.Exit(2)
	}
	if err := runCrashChild(o, open); err != nil {
		fmt.Fprintf(os.Stderr, "crash child: %v\n", err)
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runCrashChild carries out order o.
func runCrashChild(o crashOrder, open DSNOpenFunc) error {
	ctx := context.Background()
	s, err := open(ctx, o.DSN)
	if err != nil {
		return err
	}
	fmt.Println("READY")
	if o.Stage == "" {
		for i := 0; ; i++ {
			v, _, err := PushRetrying(ctx, s, crashModule, fmt.Sprintf("%s-%d", o.Seed, i))
			if err != nil {
				return err
			}
			fmt.Println("PUSHED", v.Number)
		}
	}
	hook := func(st txhook.Stage) {
		if st == o.Stage {
			fmt.Println("PAUSED", st)
			time.Sleep(time.Hour) // until killed
		}
	}
	base, err := latest(ctx, s, crashModule)
	if err != nil {
		return err
	}
	v, created, err := s.CommitPush(txhook.With(ctx, hook), Push(crashModule, base, o.Seed))
	if err != nil {
		return err
	}
	fmt.Println("DONE", v.Number, created)
	return nil
}

// child is a running crash child.
type child struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncBuffer
	// name tags the child's database sessions.
	name string
	// b is the backend, which knows how to find them.
	b CrashBackend
}

// children numbers the crash children of this process.
var children atomic.Int64

// startChild starts the test binary as a crash child with order o, whose
// DSN it tags with the child's name.
func startChild(t *testing.T, b CrashBackend, o crashOrder) *child {
	t.Helper()
	name := fmt.Sprintf("pbregistry-crash-%d-%d", os.Getpid(), children.Add(1))
	if b.ChildDSN != nil {
		o.DSN = b.ChildDSN(o.DSN, name)
	}
	raw, err := json.Marshal(o)
	must(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(raw))
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	c := &child{cmd: cmd, lines: make(chan string, 1024), stderr: &syncBuffer{}, name: name, b: b}
	cmd.Stderr = c.stderr
	must(t, cmd.Start())
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { c.kill(t) })
	return c
}

// await waits for a line starting with prefix and returns it.
func (c *child) await(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("crash child exited before saying %s; stderr:\n%s", prefix, c.stderr)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
			if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(line, "DONE") {
				t.Fatalf("crash child said %q before %s; stderr:\n%s", line, prefix, c.stderr)
			}
		case <-timeout:
			t.Fatalf("crash child did not say %s within a minute; stderr:\n%s", prefix, c.stderr)
		}
	}
}

// kill SIGKILLs the child, reaps it and waits until the database has no
// session of it left: then nothing the child started can still commit.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	}
	if c.b.Sessions == nil {
		return
	}
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := c.b.Sessions(context.Background(), c.b.DSN, c.name)
		if err != nil {
			t.Fatalf("count the sessions of killed crash child %s: %v", c.name, err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed crash child %s still has %d database sessions after a minute", c.name, n)
		}
		// The server offers no notice of a session's end: poll.
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RunCrash checks that a push killed mid-transaction leaves nothing: for
// each stage of CommitPush's transaction, a child process (this test
// binary, see CrashChildMain) pushes, pauses at the stage and is
// SIGKILLed; then the database, reopened, holds either the whole version
// (killed after commit) or nothing of it, and the next push works. Then
// children pushing in a loop are killed at random moments, and the history
// must stay whole. Each check starts once the child and its database
// sessions are gone, and compares parts of the state read in one snapshot.
func RunCrash(t *testing.T, b CrashBackend) {
	for _, stage := range txhook.Stages {
		t.Run(string(stage), func(t *testing.T) {
			seed := "crash-" + string(stage)
			base := withStore(t, b, func(c context.Context, s registry.Store) int64 {
				n, err := latest(c, s, crashModule)
				must(t, err)
				return n
			})
			ch := startChild(t, b, crashOrder{DSN: b.DSN, Seed: seed, Stage: stage})
			ch.await(t, "PAUSED")
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
			ch.kill(t)

			withStore(t, b, func(c context.Context, s registry.Store) int64 {
				p := Push(crashModule, base, seed)
				_, err := s.GetVersionByDigest(c, crashModule, p.Digest)
				committed := stage == txhook.AfterCommit
				want := base
				if committed {
					want++
					must(t, err)
				} else {
					wantErr(t, "digest of the killed push", err, registry.ErrNotFound)
				}
				checkCrashHistory(c, t, b, s, want)
				v, created, err := s.CommitPush(c, p)
				must(t, err)
				if created == committed || v.Number != base+1 {
					t.Fatalf("push after the kill = version %d, created %v; want version %d, created %v", v.Number, created, base+1, !committed)
				}
				checkCrashHistory(c, t, b, s, base+1)
				return 0
			})
		})
	}
	t.Run("RandomKills", func(t *testing.T) {
		for round := range 5 {
			ch := startChild(t, b, crashOrder{DSN: b.DSN, Seed: fmt.Sprint("random-", round)})
			ch.await(t, "READY")
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			ch.kill(t)
			withStore(t, b, func(c context.Context, s registry.Store) int64 {
				n, err := latest(c, s, crashModule)
				must(t, err)
				checkCrashHistory(c, t, b, s, n)
				v, _, err := PushRetrying(c, s, crashModule, fmt.Sprint("after-random-", round))
				if err != nil {
					t.Fatalf("push after a random kill: %v", err)
				}
				if v.Number != n+1 {
					t.Fatalf("push after a random kill = version %d, want %d: something else wrote after the check", v.Number, n+1)
				}
				checkCrashHistory(c, t, b, s, n+1)
				return 0
			})
		}
	})
}

// withStore opens b's store, runs f and closes the store.
func withStore(t *testing.T, b CrashBackend, f func(context.Context, registry.Store) int64) int64 {
	t.Helper()
	c := ctx(t)
	s, err := b.Open(c, b.DSN)
	must(t, err)
	defer func() { must(t, s.Close()) }()
	return f(c, s)
}

// checkCrashHistory checks that crashModule has exactly versions 1..want,
// whole, and a ledger that no later version wrote into: first in one
// snapshot of the database, then through the store.
func checkCrashHistory(c context.Context, t *testing.T, b CrashBackend, s registry.Store, want int64) {
	t.Helper()
	snap, err := b.Snapshot(c, b.DSN, crashModule)
	must(t, err)
	snap.check(t, want)
	if want == 0 {
		_, err := s.GetModule(c, crashModule)
		wantErr(t, "module without versions", err, registry.ErrNotFound)
		return
	}
	checkHistory(c, t, s, crashModule, want)
	entries, err := s.Ledger(c, registry.LedgerQuery{Module: crashModule, Subject: OrderSubject})
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.FirstVersion < 1 || e.FirstVersion > want {
			t.Errorf("ledger entry %v has first version %d, beyond the latest %d", e, e.FirstVersion, want)
		}
	}
	sub, err := s.GetSubject(c, crashModule, OrderSubject)
	must(t, err)
	if sub.LastVersion > want {
		t.Errorf("subject's last version %d is beyond the latest %d", sub.LastVersion, want)
	}
}
