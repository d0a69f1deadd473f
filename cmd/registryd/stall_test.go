package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/internal/pgtest"
)

// TestStalledPeer: registryd A stops (SIGSTOP) inside a push transaction
// on PostgreSQL, holding its module's lock. Registryd B, on the same
// database with lock_timeout=1s, keeps serving while many pushes to the
// stalled module wait (more than the pool of 4 the issue saw): /healthz
// answers 200, GetModule of the stalled module and of another answer,
// each push to the stalled module fails after about the lock timeout with
// Unavailable saying to retry, and a push to another module succeeds.
// Once A is gone, pushes to the module work again.
func TestStalledPeer(t *testing.T) {
	dsn := freshSchema(t)
	a := startRegistryd(t, []string{pauseEnv + "=after-module-lock"}, "--database-url", dsn)
	withLockTimeout, err := pgtest.WithParam(dsn, "lock_timeout", "1s")
	if err != nil {
		t.Fatal(err)
	}
	b := startRegistryd(t, nil, "--database-url", withLockTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cb := b.client("")
	for _, files := range [][]*v1.File{moduleFiles("int64", ""), inModule("acme/other", moduleFiles("int64", ""))} {
		if _, err := cb.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files})); err != nil {
			t.Fatal(err)
		}
	}

	stalled := make(chan error, 1)
	go func() {
		_, err := a.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, 1))}))
		stalled <- err
	}()
	if _, err := a.await("pause inside the push", func(l string) bool { return l == "PAUSED after-module-lock" }); err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.cmd.Process.Signal(syscall.SIGCONT) })

	const waiters = 24
	waited := make(chan error, waiters)
	for i := range waiters {
		go func() {
			_, err := cb.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, 2+i))}))
			waited <- err
		}()
	}

	// Generous guards, not performance claims: each answer must come
	// well before a client or a load balancer gives up.
	const guard = 20 * time.Second
	timed := func(what string, f func() error) {
		t.Helper()
		began := time.Now()
		err := f()
		d := time.Since(began)
		t.Logf("%s: %s", what, d.Round(time.Millisecond))
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if d > guard {
			t.Errorf("%s took %s, past the %s guard", what, d, guard)
		}
	}
	timed("B /healthz", func() error {
		resp, err := http.Get(b.url + "/healthz")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !(strings.HasPrefix(string(body), "ok") || strings.HasPrefix(string(body), "degraded")) {
			t.Errorf("B /healthz = %d %q, want 200 ok or degraded", resp.StatusCode, body)
		}
		return nil
	})
	for _, module := range []string{"acme/commerce", "acme/other"} {
		timed("B GetModule "+module, func() error {
			m, err := cb.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: module}))
			if err == nil && m.Msg.Module.LatestVersion != 1 {
				t.Errorf("GetModule %s: latest version %d, want 1", module, m.Msg.Module.LatestVersion)
			}
			return err
		})
	}
	timed("B push to another module", func() error {
		_, err := cb.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: inModule("acme/other", moduleFiles("int64", fields(0, 1)))}))
		return err
	})
	timed("B's pushes to the stalled module, all failed", func() error {
		for range waiters {
			err := <-waited
			if connect.CodeOf(err) != connect.CodeUnavailable {
				t.Errorf("push to the stalled module: %v; want code unavailable", err)
				continue
			}
			for _, want := range []string{"module acme/commerce is locked by another push that has not finished within 1s", "retry"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("push to the stalled module: %q does not say %q", err, want)
				}
			}
		}
		return nil
	})

	// A is killed: its session ends, the lock is released.
	a.kill()
	if err := <-stalled; err == nil {
		t.Errorf("the stalled push succeeded though registryd A was killed")
	}
	timed("B push to the module once A is gone", func() error {
		resp, err := cb.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, 2))}))
		if err == nil && resp.Msg.Version.Number != 2 {
			t.Errorf("push once A is gone = version %d, want 2", resp.Msg.Version.Number)
		}
		return err
	})
}

// inModule returns files with the module name in pbregistry.yaml replaced
// by module.
func inModule(module string, files []*v1.File) []*v1.File {
	for _, f := range files {
		if f.Path == "pbregistry.yaml" {
			f.Content = []byte(strings.Replace(string(f.Content), "module: acme/commerce", "module: "+module, 1))
		}
	}
	return files
}
