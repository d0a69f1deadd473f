package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/protocompile"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/webhook"
)

// env is a registry (SQLite) and a Deliverer of one endpoint, "ci".
type env struct {
	t      testing.TB
	store  registry.Store
	svc    *registry.Service
	cfg    webhook.Config
	d      *webhook.Deliverer
	pushed map[string]int
}

// fastEndpoint returns an endpoint at url with short timeouts and
// backoff, so that retries take milliseconds.
func fastEndpoint(url string) webhook.Endpoint {
	return webhook.Endpoint{
		Name: "ci", URL: url, SecretEnv: "CI_SECRET",
		Timeout:      webhook.Duration(500 * time.Millisecond),
		RetryInitial: webhook.Duration(5 * time.Millisecond), RetryMax: webhook.Duration(20 * time.Millisecond),
		BreakerFailures: 100, BreakerCooldown: webhook.Duration(10 * time.Millisecond),
	}
}

func newEnv(t testing.TB, eps ...webhook.Endpoint) *env {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newEnvStore(t, store, eps...)
}

func newEnvStore(t testing.TB, store registry.Store, eps ...webhook.Endpoint) *env {
	t.Helper()
	ctx := context.Background()
	var err error
	e := &env{t: t, store: store, svc: registry.NewService(store, registry.ServiceOptions{Compiler: protocompile.Compiler{}, Policies: cel.NewEngine(nil, policies.Limits{})}), pushed: map[string]int{}}
	e.cfg = webhook.Config{Dir: t.TempDir(), PublicURL: "https://registry.acme.com/", Endpoints: eps}
	e.d, err = webhook.New(ctx, store, e.cfg, webhook.Options{Worker: "test", Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func getenv(k string) string {
	if k == "CI_SECRET" {
		return testSecret
	}
	return ""
}

// push pushes the next version of module.
func (e *env) push(module string) {
	e.t.Helper()
	e.pushed[module]++
	n := e.pushed[module]
	var proto strings.Builder
	fmt.Fprintf(&proto, "syntax = \"proto3\";\n\npackage p%d.v1;\n\nmessage Invoice {\n  string id = 1;\n", len(module))
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&proto, "  int64 amount_%d = %d;\n", i, i)
	}
	proto.WriteString("}\n")
	if n >= 2 {
		proto.WriteString("message Refund {\n  string id = 1;\n}\n")
	}
	subjects := fmt.Sprintf("  - message: p%d.v1.Invoice\n    kind: pbtable\n    primary_key: [id]\n", len(module))
	if n >= 2 {
		subjects += fmt.Sprintf("  - message: p%d.v1.Refund\n    kind: pbtable\n    primary_key: [id]\n", len(module))
	}
	_, created, verdict, err := e.svc.Push(context.Background(), registry.PushRequest{
		Files: []registry.File{
			{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: " + module + "\nsubjects:\n" + subjects)},
			{Path: "p/v1/invoice.proto", Content: []byte(proto.String())},
		},
		Principal: "ci@acme",
		Build:     registry.BuildInfo{Commit: fmt.Sprintf("c0ffee%d", n), Branch: "main"},
	})
	if err != nil || !created || !verdict.Accepted() {
		e.t.Fatalf("push %s v%d: created %v, err %v, verdict %+v", module, n, created, err, verdict)
	}
}

// deliver delivers the pending events of "ci" and checks how many.
func (e *env) deliver(want int) {
	e.t.Helper()
	n, err := e.d.DeliverPending(context.Background(), "ci")
	if err != nil || n != want {
		e.t.Fatalf("DeliverPending = %d, %v; want %d events", n, err, want)
	}
}

// TestDeliverFailTimeoutRecover: the receiver fails (500), then takes the
// event and times out, then recovers. Every event is delivered, every
// request is signed, every retry carries the same webhook-id, and the
// receiver, deduplicating by webhook-id, processes each event once.
func TestDeliverFailTimeoutRecover(t *testing.T) {
	r := newReceiver(t, fail500, processThenHang)
	ep := fastEndpoint(r.srv.URL + "/hooks")
	ep.Timeout = webhook.Duration(200 * time.Millisecond)
	ep.BreakerFailures = 2
	e := newEnv(t, ep)
	for range 3 {
		e.push("acme/commerce")
	}
	e.deliver(3)
	r.checkSignatures()

	reqs := r.requests()
	var ids []string
	for _, q := range reqs {
		ids = append(ids, q.header.Get("webhook-id"))
	}
	// The first event: 500, a timeout, then accepted; the others once.
	if want := []string{"evt_1", "evt_1", "evt_1", "evt_2", "evt_3"}; !slices.Equal(ids, want) {
		t.Errorf("webhook-ids sent = %v, want %v", ids, want)
	}
	if want := []string{"evt_1", "evt_2", "evt_3"}; !slices.Equal(r.order, want) {
		t.Errorf("processed = %v, want %v", r.order, want)
	}
	for id, n := range r.processed {
		if n != 1 {
			t.Errorf("%s processed %d times", id, n)
		}
	}
	m := e.d.Metrics()
	for outcome, want := range map[string]int64{webhook.OutcomeDelivered: 3, webhook.OutcomeFailed: 2, webhook.OutcomeBreakerOpen: 1, webhook.OutcomeDeadLetter: 0} {
		if got := m.Get("ci", outcome); got != want {
			t.Errorf("metric %s = %d, want %d", outcome, got, want)
		}
	}

	// The payload of version 2.
	var p webhook.Payload
	if err := json.Unmarshal(reqs[3].body, &p); err != nil {
		t.Fatal(err)
	}
	want := webhook.Data{
		EventID: 2, Module: "acme/commerce", Version: 2, PushedBy: "ci@acme", Commit: "c0ffee2", Branch: "main",
		SubjectsAdded: []string{"p13.v1.Refund"}, SubjectsAddedCount: 1,
		Links: map[string]string{"image": "https://registry.acme.com/modules/acme/commerce/versions/2/image.binpb"},
	}
	p.Data.Digest = ""
	if p.Type != registry.EventVersionAccepted || fmt.Sprint(p.Data) != fmt.Sprint(want) {
		t.Errorf("payload = %s\nwant data %+v", reqs[3].body, want)
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	// Nothing more to deliver.
	e.deliver(0)
}

// TestDeadLetter: an endpoint that always fails gets max_attempts
// attempts; the event becomes a dead letter, is acknowledged, and the
// next event is delivered. Re-driven after the receiver recovers, it
// arrives with its webhook-id and a valid signature, and the letter is
// gone.
func TestDeadLetter(t *testing.T) {
	r := newReceiver(t)
	r.set(fail500)
	ep := fastEndpoint(r.srv.URL)
	ep.MaxAttempts = 3
	e := newEnv(t, ep)
	e.push("acme/commerce")
	e.deliver(1)
	if got := len(r.requests()); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	letters, err := e.d.DeadLetters().List("")
	if err != nil || len(letters) != 1 {
		t.Fatalf("dead letters = %+v, %v; want 1", letters, err)
	}
	l := letters[0]
	if l.ID() != "ci/1" || l.WebhookID != "evt_1" || l.Attempts != 3 || !strings.Contains(l.LastError, "500") {
		t.Errorf("dead letter = %+v", l)
	}
	if got := e.d.Metrics().Get("ci", webhook.OutcomeDeadLetter); got != 1 {
		t.Errorf("dead_letter metric = %d", got)
	}
	e.deliver(0)

	r.set(answerOK)
	e.push("acme/commerce")
	e.deliver(1)
	if _, err := webhook.Redrive(context.Background(), &e.cfg, getenv, nil, "ci/1"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"evt_2", "evt_1"}; !slices.Equal(r.order, want) {
		t.Errorf("processed = %v, want %v", r.order, want)
	}
	r.checkSignatures()
	if letters, err := e.d.DeadLetters().List(""); err != nil || len(letters) != 0 {
		t.Errorf("after re-drive: dead letters = %+v, %v", letters, err)
	}
	if _, err := webhook.Redrive(context.Background(), &e.cfg, getenv, nil, "ci/1"); err == nil || !strings.Contains(err.Error(), "no dead letter ci/1") {
		t.Errorf("second re-drive: %v", err)
	}
}

// TestDeadLetterByAge: an event older than max_age is dead-lettered at
// its first failure.
func TestDeadLetterByAge(t *testing.T) {
	r := newReceiver(t)
	r.set(fail500)
	ep := fastEndpoint(r.srv.URL)
	ep.MaxAge = webhook.Duration(time.Nanosecond)
	e := newEnv(t, ep)
	e.push("acme/commerce")
	e.deliver(1)
	if got := len(r.requests()); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
	if letters, _ := e.d.DeadLetters().List("ci"); len(letters) != 1 {
		t.Errorf("dead letters = %+v", letters)
	}
}

// TestRedirect: a redirect on the same host is followed; one to another
// host is not, and the other host gets no request.
func TestRedirect(t *testing.T) {
	other := newReceiver(t)
	same := newReceiver(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/away":
			http.Redirect(w, req, other.srv.URL+"/steal", http.StatusTemporaryRedirect)
		case "/see-other":
			http.Redirect(w, req, "/here", http.StatusFound)
		case "/moved":
			http.Redirect(w, req, "/here", http.StatusPermanentRedirect)
		case "/here":
			same.srv.Config.Handler.ServeHTTP(w, req)
		}
	}))
	t.Cleanup(redirector.Close)
	secret, _ := webhook.ParseSecret(testSecret)
	ctx := context.Background()
	err := webhook.Send(ctx, webhook.NewHTTPClient(), redirector.URL+"/away", secret, "evt_1", []byte(`{}`), time.Now(), 5*time.Second)
	if !errors.Is(err, webhook.ErrRedirectRefused) || !strings.Contains(err.Error(), "another host") {
		t.Errorf("redirect to another host: %v, want ErrRedirectRefused", err)
	}
	err = webhook.Send(ctx, webhook.NewHTTPClient(), redirector.URL+"/see-other", secret, "evt_1", []byte(`{}`), time.Now(), 5*time.Second)
	if !errors.Is(err, webhook.ErrRedirectRefused) || !strings.Contains(err.Error(), "turns the POST into a GET") {
		t.Errorf("302 on the same host: %v, want ErrRedirectRefused", err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
	if err := webhook.Send(ctx, webhook.NewHTTPClient(), redirector.URL+"/moved", secret, "evt_2", []byte(`{"a":1}`), time.Now(), 5*time.Second); err != nil {
		t.Errorf("redirect on the same host: %v", err)
	}
	if got := same.requests(); len(got) != 1 || string(got[0].body) != `{"a":1}` {
		t.Errorf("same-host redirect target got %+v", got)
	}
	same.checkSignatures()
}

// TestResponseBounded: a huge error body is read only up to
// MaxResponseBytes and reported shortened.
func TestResponseBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		chunk := []byte(strings.Repeat("x", 1<<16))
		for range 1 << 10 { // 64 MiB unless the client stops reading
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	secret, _ := webhook.ParseSecret(testSecret)
	err := webhook.Send(context.Background(), webhook.NewHTTPClient(), srv.URL, secret, "evt_1", []byte(`{}`), time.Now(), 30*time.Second)
	var ae *webhook.AttemptError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadGateway || len(ae.Body) > 600 {
		t.Fatalf("Send = %v", err)
	}
}

// TestModuleGlobs: an endpoint subscribed to acme/** gets acme's events
// only; the others are acknowledged as skipped.
func TestModuleGlobs(t *testing.T) {
	r := newReceiver(t)
	ep := fastEndpoint(r.srv.URL)
	ep.Modules = []string{"acme/**"}
	e := newEnv(t, ep)
	e.push("acme/commerce")
	e.push("other/logistics")
	e.push("acme/billing/core")
	e.deliver(3)
	var mods []string
	for _, q := range r.requests() {
		var p webhook.Payload
		if err := json.Unmarshal(q.body, &p); err != nil {
			t.Fatal(err)
		}
		mods = append(mods, p.Data.Module)
	}
	if want := []string{"acme/commerce", "acme/billing/core"}; !slices.Equal(mods, want) {
		t.Errorf("delivered modules = %v, want %v", mods, want)
	}
	if got := e.d.Metrics().Get("ci", webhook.OutcomeSkipped); got != 1 {
		t.Errorf("skipped = %d, want 1", got)
	}
}

// TestNewEndpointGetsNoHistory: an endpoint receives only the events
// written after it was first configured.
func TestNewEndpointGetsNoHistory(t *testing.T) {
	ctx := context.Background()
	r := newReceiver(t)
	e := newEnv(t)
	e.push("acme/commerce")
	cfg := e.cfg
	cfg.Endpoints = []webhook.Endpoint{fastEndpoint(r.srv.URL)}
	d, err := webhook.New(ctx, e.store, cfg, webhook.Options{Worker: "test", Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	e.push("acme/commerce")
	if n, err := d.DeliverPending(ctx, "ci"); err != nil || n != 1 {
		t.Fatalf("DeliverPending = %d, %v; want 1", n, err)
	}
}
