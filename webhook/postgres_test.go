package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/webhook"
)

// TestTwoDeliverersOnePostgres: two registryd's deliverers share one
// PostgreSQL outbox. The receiver takes every event and then answers 500
// the first time, so every event is retried: each webhook-id arrives
// exactly twice (the failed attempt and the accepted retry), never
// again after it was accepted, whichever deliverer held it, and the
// deduplicating receiver processes each event once.
func TestTwoDeliverersOnePostgres(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgtest.Schema(t, "pbregistry_webhook_")
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
