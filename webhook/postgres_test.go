package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/webhook"
)

// freshSchema creates a PostgreSQL schema of its own for t, dropped at
// cleanup, and returns the database URL with search_path set to it. It
// skips t without PBREGISTRY_TEST_DATABASE_URL, and fails it under CI.
func freshSchema(t *testing.T) string {
	t.Helper()
	const urlEnv = "PBREGISTRY_TEST_DATABASE_URL"
	base := os.Getenv(urlEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", urlEnv)
		}
		t.Skipf("%s is not set: skipping PostgreSQL tests", urlEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "pbregistry_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	exec := func(sql string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", urlEnv, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s must be a postgres:// URL: %v", urlEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestTwoDeliverersOnePostgres: two registryd's deliverers share one
// PostgreSQL outbox. The receiver takes every event and then answers 500
// the first time, so every event is retried: each webhook-id arrives
// exactly twice (the failed attempt and the accepted retry), never
// again after it was accepted, whichever deliverer held it, and the
// deduplicating receiver processes each event once.
func TestTwoDeliverersOnePostgres(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	r := newReceiver(t)
	first := processThen500
	r.firstTime = &first
	ep := fastEndpoint(r.srv.URL)
	e := newEnvStore(t, open(), ep)
	other, err := webhook.New(ctx, open(), e.cfg, webhook.Options{Worker: "other", Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	const versions = 10
	for range versions {
		e.push("acme/commerce")
		e.push("acme/billing")
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i, d := range []*webhook.Deliverer{e.d, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = d.DeliverPending(ctx, "ci")
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || counts[0]+counts[1] != 2*versions {
		t.Fatalf("DeliverPending = %v, %v; want %d events in all", counts, errs, 2*versions)
	}
	r.checkSignatures()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i <= 2*versions; i++ {
		id := fmt.Sprintf("evt_%d", i)
		if n := r.seen(id); n != 2 || r.processed[id] != 1 {
			t.Errorf("%s: %d requests, processed %d times; want 2 requests, processed once", id, n, r.processed[id])
		}
	}
	if len(r.processed) != 2*versions {
		t.Errorf("processed %d events, want %d", len(r.processed), 2*versions)
	}
	t.Logf("deliverer shares: %v", counts)
}
