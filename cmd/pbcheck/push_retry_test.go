package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// faultyRegistry serves a real registry whose first `failures` Push calls
// fail with err (and header, if set) before reaching it; pushes counts the
// Push calls that arrived.
func faultyRegistry(t *testing.T, failures int, err *connect.Error) (url string, pushes *atomic.Int64) {
	t.Helper()
	store, serr := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if serr != nil {
		t.Fatal(serr)
	}
	registry := server.New(server.Options{Store: store}).Handler()
	pushes = new(atomic.Int64)
	errWriter := connect.NewErrorWriter()
	faulty := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Push") {
			if n := pushes.Add(1); n <= int64(failures) {
				io.Copy(io.Discard, r.Body)
				errWriter.Write(w, r, err)
				return
			}
		}
		registry.ServeHTTP(w, r)
	})
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, faulty) }()
	t.Cleanup(func() {
		cancel()
		<-done
		store.Close()
	})
	return "http://" + ln.Addr().String(), pushes
}

// TestPushRetries is the client half of probe 7 of issue 8: pbcheck push
// retries a push the registry aborted or could not take, with a note on
// stderr for each retry, and gives up on other errors and after
// maxRetries.
func TestPushRetries(t *testing.T) {
	base := retryBase
	retryBase = time.Millisecond
	t.Cleanup(func() { retryBase = base })

	aborted := connect.NewError(connect.CodeAborted, errors.New("module acme/commerce: push was checked against version 11 but the latest version is 12"))
	unavailable := connect.NewError(connect.CodeUnavailable, errors.New("server is shutting down"))
	shed := connect.NewError(connect.CodeResourceExhausted, errors.New("too many requests in flight"))
	shed.Meta().Set("Retry-After", "0")
	tooLarge := connect.NewError(connect.CodeResourceExhausted, errors.New("request too large"))
	invalidErr := connect.NewError(connect.CodeInvalidArgument, errors.New("invalid build.git_commit"))
	tests := []struct {
		name       string
		failures   int
		err        *connect.Error
		wantCode   int
		wantPushes int64
		want       []string
	}{
		{"aborted once", 1, aborted, exitOK, 2, []string{"pbcheck: push .: aborted: module acme/commerce: push was checked against version 11", "(retry 1 of 5)", "version 1 created"}},
		{"unavailable twice", 2, unavailable, exitOK, 3, []string{"unavailable: server is shutting down", "(retry 2 of 5)", "version 1 created"}},
		{"resource exhausted with Retry-After", 1, shed, exitOK, 2, []string{"resource_exhausted: too many requests in flight", "(retry 1 of 5)"}},
		{"resource exhausted without Retry-After", 1, tooLarge, exitError, 1, []string{"request too large", "split the module"}},
		{"invalid argument", 1, invalidErr, exitError, 1, []string{"invalid build.git_commit"}},
		{"aborted every time", 100, aborted, exitError, 1 + 5, []string{"(retry 5 of 5)", "aborted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, pushes := faultyRegistry(t, tt.failures, tt.err)
			dir := registryModule(t, "int64")
			code, stdout, stderr := pbcheck(t, dir, nil, "push", "--registry", url)
			out := stdout + stderr
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			if n := pushes.Load(); n != tt.wantPushes {
				t.Errorf("the registry saw %d pushes, want %d\n%s", n, tt.wantPushes, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
			if tt.wantPushes == 1 && strings.Contains(out, "retrying") {
				t.Errorf("retried an error retrying does not mend:\n%s", out)
			}
		})
	}
}
