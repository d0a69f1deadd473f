package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/webhook"
)

// okServer is a loopback receiver that answers 200 to everything.
func okServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkSend measures one signed webhook POSTed to a loopback receiver
// that answers 200, on a kept-alive connection: one endpoint's sending
// throughput, without the outbox.
func BenchmarkSend(b *testing.B) {
	srv := okServer(b)
	secret, err := webhook.ParseSecret(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	client := webhook.NewHTTPClient()
	body := []byte(`{"type":"module.version.accepted","timestamp":"2026-12-02T08:00:00Z","data":{"event_id":1,"module":"acme/commerce","version":1}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := webhook.Send(ctx, client, srv.URL, secret, "evt_1", body, time.Now(), 5*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliver measures one event delivered end to end through the
// outbox (SQLite): claimed, its payload built from the store, POSTed to
// a loopback receiver and acknowledged. Run it with a fixed count
// (-benchtime 200x): each iteration's event comes from a push made
// beforehand, untimed.
func BenchmarkDeliver(b *testing.B) {
	srv := okServer(b)
	e := newEnv(b)
	for i := 0; i < b.N; i++ {
		e.push("acme/bench")
	}
	ctx := context.Background()
	cfg := e.cfg
	cfg.Endpoints = []webhook.Endpoint{fastEndpoint(srv.URL)}
	d, err := webhook.New(ctx, e.store, cfg, webhook.Options{Getenv: getenv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	// The endpoint was registered after the pushes: push b.N more.
	for i := 0; i < b.N; i++ {
		e.push("acme/bench")
	}
	b.ResetTimer()
	n, err := d.DeliverPending(ctx, "ci")
	if err != nil || n != b.N {
		b.Fatalf("DeliverPending = %d, %v; want %d", n, err, b.N)
	}
}
