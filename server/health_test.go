package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// postgresSchema creates a schema of its own for t (see pgtest.Schema)
// and returns the database URL with search_path set to it.
func postgresSchema(t *testing.T) string {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "pbregistry_test_")
	return dsn
}

// TestHealthz: /healthz tells a store that answers (200 ok) from one whose
// database answers but whose module queries do not (200 degraded) and
// from one that does not answer at all (503).
func TestHealthz(t *testing.T) {
	tests := []struct {
		name  string
		store func(t *testing.T) registry.Store
		code  int
		want  []string
	}{
		{"answers", func(t *testing.T) registry.Store {
			s, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, 200, []string{"ok (read-write)"}},
		{"modules table locked", func(t *testing.T) registry.Store {
			dsn := postgresSchema(t)
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			// Another session holds the modules table (as a long
			// migration or a manual LOCK TABLE would) until the test
			// ends: module queries wait, the database answers.
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `LOCK TABLE modules IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tx.Rollback(ctx); conn.Close(ctx) })
			return s
		}, 200, []string{"degraded (read-write)", "the database answers", "list modules"}},
		{"database gone", func(t *testing.T) registry.Store {
			s, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			return s
		}, 503, []string{"store unavailable", "ping sqlite store"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := start(t, "", server.Options{Store: tc.store(t)})
			began := time.Now()
			resp, err := http.Get(in.url + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("GET /healthz = %d %q, want %d", resp.StatusCode, body, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("GET /healthz = %q, want it to say %q", body, w)
				}
			}
			// A generous guard, not a performance claim: a probe must get
			// an answer before its own timeout.
			if d := time.Since(began); d > 20*time.Second {
				t.Errorf("GET /healthz took %s", d)
			}
		})
	}
}
