package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// TestPushLimits: each limit refuses a push before it is compiled, with an
// *InvalidArgumentError naming the field, the size and the limit.
func TestPushLimits(t *testing.T) {
	proto := billingProto("", "", "")
	tests := []struct {
		name   string
		limits registry.Limits
		req    registry.PushRequest
		field  string
		want   []string
	}{
		{"subjects", registry.Limits{MaxSubjects: 2}, registry.PushRequest{Files: module(billingConfig, proto), Principal: "ci"},
			"files", []string{"declares 3 subjects", "limit of 2", "limits.max_subjects"}},
		{"principal length", registry.Limits{}, registry.PushRequest{Files: module(billingConfig, proto), Principal: strings.Repeat("p", 257)},
			"principal", []string{"257 bytes", "limit of 256", "limits.max_principal_bytes"}},
		{"principal with a NUL", registry.Limits{}, registry.PushRequest{Files: module(billingConfig, proto), Principal: "ci\x00root"},
			"principal", []string{"control character U+0000"}},
		{"commit", registry.Limits{MaxGitCommitBytes: 40}, registry.PushRequest{Files: module(billingConfig, proto), Principal: "ci", Build: registry.BuildInfo{Commit: strings.Repeat("a", 64)}},
			"build.git_commit", []string{"64 bytes", "limit of 40", "limits.max_git_commit_bytes"}},
		{"label value not UTF-8", registry.Limits{}, registry.PushRequest{Files: module(billingConfig, proto), Principal: "ci", Build: registry.BuildInfo{Labels: map[string]string{"k": "\xff"}}},
			"build.labels[k]", []string{"not valid UTF-8"}},
		{"compile time", registry.Limits{MaxCompileTime: 1}, registry.PushRequest{Files: module(billingConfig, proto), Principal: "ci"},
			"files", []string{"did not compile within 1ns", "split the module or raise limits.max_compile_time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			s := registry.NewService(store, compose(registry.ServiceOptions{Limits: tt.limits}))
			_, _, _, err = s.Push(context.Background(), tt.req)
			var invalid *registry.InvalidArgumentError
			if !errors.As(err, &invalid) || invalid.Field != tt.field {
				t.Fatalf("push: %v, want an invalid %s", err, tt.field)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, err := store.GetModule(context.Background(), "acme/billing"); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("the refused push left module acme/billing behind: %v", err)
			}
		})
	}
}

// TestLogsTruncateClientStrings: with the limits off, a push carrying a
// 1 MiB principal and commit is accepted, and its log line quotes each in
// at most 256 bytes with a marker of its size.
func TestLogsTruncateClientStrings(t *testing.T) {
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs bytes.Buffer
	s := registry.NewService(store, compose(registry.ServiceOptions{
		Limits: registry.Limits{MaxGitCommitBytes: -1, MaxPrincipalBytes: -1},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}))
	huge := strings.Repeat("x", 1<<20)
	if _, _, _, err := s.Push(context.Background(), registry.PushRequest{
		Files: module(billingConfig, billingProto("", "", "")), Principal: huge, Build: registry.BuildInfo{Commit: huge},
	}); err != nil {
		t.Fatal(err)
	}
	if logs.Len() > 4<<10 || !strings.Contains(logs.String(), "…[1048576 bytes]") {
		t.Errorf("log of one push is %d bytes, want under 4 KiB with the strings truncated:\n%.2000s", logs.Len(), logs.String())
	}
}

// TestConcurrentCompatiblePushesNeverAbort is probe 7 of issue 8: 8
// pushers of always-compatible content (each push differs in a comment) on
// one module, through two Services over one database as two registryd
// processes would share it, all succeed, on SQLite and on Postgres: within
// a process pushes take turns, and across them a push that lost the race
// is checked again.
func TestConcurrentCompatiblePushesNeverAbort(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			open := sqliteOpener(t)
			if backend == "postgres" {
				open = postgresOpener(t)
			}
			var services []*registry.Service
			var logs syncBuffer
			for range 2 {
				services = append(services, registry.NewService(open(), compose(registry.ServiceOptions{
					Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				})))
			}
			mustPush(t, services[0], billingConfig, billingProto("", "", ""))
			const pushers, each = 8, 5
			var wg sync.WaitGroup
			errs := make(chan error, pushers*each)
			for i := range pushers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := services[i%2]
					for j := range each {
						proto := billingProto("", "", "") + fmt.Sprintf("// pusher %d, push %d\n", i, j)
						_, created, _, err := s.Push(context.Background(), registry.PushRequest{Files: module(billingConfig, proto), Principal: "ci"})
						if err == nil && !created {
							err = fmt.Errorf("pusher %d push %d: not created", i, j)
						}
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("push: %v", err)
				}
			}
			m, err := services[1].Store().GetModule(context.Background(), "acme/billing")
			if err != nil || m.LatestVersion != 1+pushers*each {
				t.Errorf("latest version %d, %v; want %d", m.LatestVersion, err, 1+pushers*each)
			}
			t.Logf("cross-process races retried: %d", strings.Count(logs.String(), "checking again"))
		})
	}
}

// sqliteOpener returns a function opening stores over one SQLite database,
// closed when t ends.
func sqliteOpener(t *testing.T) func() registry.Store {
	dir := t.TempDir()
	return func() registry.Store {
		store, err := sqlite.Dir(context.Background(), dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		return store
	}
}

// postgresOpener returns a function opening stores over a schema of t's own
// in the database of PBREGISTRY_TEST_DATABASE_URL, dropped when t ends.
// Without a database, it skips t — or fails it under CI.
func postgresOpener(t *testing.T) func() registry.Store {
	dsn, _ := pgtest.Schema(t, "pbregistry_test_")
	return func() registry.Store {
		store, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		return store
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent loggers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSubjectsLimitCountsStoredSubjects: subjects earlier versions
// declared stay subjects, so the limit on subjects counts them with the
// ones a push declares.
func TestSubjectsLimitCountsStoredSubjects(t *testing.T) {
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := registry.NewService(store, compose(registry.ServiceOptions{Limits: registry.Limits{MaxSubjects: 3}}))
	mustPush(t, s, billingConfig, billingProto("", "", ""))
	config := "version: v1\nmodule: acme/billing\nroots: [proto]\nsubjects:\n  - message: acme.billing.v1.Refund\n    kind: event\n"
	proto := billingProto("", "", "") + "message Refund {\n  string event_id = 1;\n  google.protobuf.Timestamp occurred_at = 2;\n}\n"
	_, _, err = push(t, s, config, proto)
	var invalid *registry.InvalidArgumentError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "would have 4 subjects") || !strings.Contains(err.Error(), "limits.max_subjects") {
		t.Fatalf("push adding a fourth subject: %v, want the subjects limit named", err)
	}
}
