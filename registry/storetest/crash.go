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
	"strings"
	"sync"
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
}

// startChild starts the test binary as a crash child with order o.
func startChild(t *testing.T, o crashOrder) *child {
	t.Helper()
	raw, err := json.Marshal(o)
	must(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(raw))
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	c := &child{cmd: cmd, lines: make(chan string, 1024), stderr: &syncBuffer{}}
	cmd.Stderr = c.stderr
	must(t, cmd.Start())
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { c.kill() })
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

// kill SIGKILLs the child and reaps it.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
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
// must stay whole. dsn names an empty database that open opens.
func RunCrash(t *testing.T, dsn string, open DSNOpenFunc) {
	for _, stage := range txhook.Stages {
		t.Run(string(stage), func(t *testing.T) {
			seed := "crash-" + string(stage)
			base := withStore(t, dsn, open, func(c context.Context, s registry.Store) int64 {
				n, err := latest(c, s, crashModule)
				must(t, err)
				return n
			})
			ch := startChild(t, crashOrder{DSN: dsn, Seed: seed, Stage: stage})
			ch.await(t, "PAUSED")
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
			ch.kill()

			withStore(t, dsn, open, func(c context.Context, s registry.Store) int64 {
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
				checkCrashHistory(c, t, s, want)
				v, created, err := s.CommitPush(c, p)
				must(t, err)
				if created == committed || v.Number != base+1 {
					t.Fatalf("push after the kill = version %d, created %v; want version %d, created %v", v.Number, created, base+1, !committed)
				}
				checkCrashHistory(c, t, s, base+1)
				return 0
			})
		})
	}
	t.Run("RandomKills", func(t *testing.T) {
		for round := range 5 {
			ch := startChild(t, crashOrder{DSN: dsn, Seed: fmt.Sprint("random-", round)})
			ch.await(t, "READY")
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			ch.kill()
			withStore(t, dsn, open, func(c context.Context, s registry.Store) int64 {
				n, err := latest(c, s, crashModule)
				must(t, err)
				checkCrashHistory(c, t, s, n)
				if _, _, err := PushRetrying(c, s, crashModule, fmt.Sprint("after-random-", round)); err != nil {
					t.Fatalf("push after a random kill: %v", err)
				}
				checkCrashHistory(c, t, s, n+1)
				return 0
			})
		}
	})
}

// withStore opens the store at dsn, runs f and closes the store.
func withStore(t *testing.T, dsn string, open DSNOpenFunc, f func(context.Context, registry.Store) int64) int64 {
	t.Helper()
	c := ctx(t)
	s, err := open(c, dsn)
	must(t, err)
	defer func() { must(t, s.Close()) }()
	return f(c, s)
}

// checkCrashHistory checks that crashModule has exactly versions 1..want,
// whole, and a ledger that no later version wrote into.
func checkCrashHistory(c context.Context, t *testing.T, s registry.Store, want int64) {
	t.Helper()
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
