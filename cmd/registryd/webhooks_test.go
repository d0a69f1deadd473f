package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

const webhookSecret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="

// hookReceiver is a loopback HTTP receiver that verifies each request
// with the Standard Webhooks library and answers 503 until up.
type hookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	up  bool
	ids []string // webhook-ids accepted, in order
	bad []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	wh, err := standardwebhooks.NewWebhook(webhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := wh.Verify(body, req.Header); err != nil {
			r.bad = append(r.bad, err.Error())
		}
		if !r.up {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		r.ids = append(r.ids, req.Header.Get("webhook-id"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) state() (ids, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...), append([]string(nil), r.bad...)
}

// runRegistrydCmd runs registryd with args and returns its exit code and
// output.
func runRegistrydCmd(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(registrydBin, args...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestWebhooksDeadLetterRedrive: registryd with a webhooks: section
// dead-letters an event its endpoint refuses, `registryd webhooks
// deliveries` lists it, and once the endpoint is back `registryd webhooks
// redrive` delivers it, signed, with its webhook-id.
func TestWebhooksDeadLetterRedrive(t *testing.T) {
	ctx := context.Background()
	r := newHookReceiver(t)
	data := t.TempDir()
	config := writeConfig(t, fmt.Sprintf(`webhooks:
  poll_interval: 20ms
  endpoints:
    - name: ci
      url: %s/hooks
      modules: ["acme/**"]
      secret_env: CI_WEBHOOK_SECRET
      max_attempts: 2
      retry_initial: 10ms
      retry_max: 20ms
`, r.srv.URL))
	env := []string{"CI_WEBHOOK_SECRET=" + webhookSecret}
	p := startRegistryd(t, env, "--data-dir", data, "--config", config)
	if _, err := p.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", "")})); err != nil {
		t.Fatal(err)
	}
	if _, err := p.await("dead letter", func(l string) bool { return strings.Contains(l, "webhook dead-lettered") }); err != nil {
		t.Fatal(err)
	}
	code, out := runRegistrydCmd(t, nil, "webhooks", "deliveries", "--config", config, "--data-dir", data)
	if code != 0 || !strings.Contains(out, "ci/1") || !strings.Contains(out, "evt_1") || !strings.Contains(out, "503") {
		t.Fatalf("webhooks deliveries: exit %d\n%s", code, out)
	}
	code, out = runRegistrydCmd(t, env, "webhooks", "redrive", "--config", config, "--data-dir", data, "ci/1")
	if code != 1 || !strings.Contains(out, "503") || !strings.Contains(out, "the dead letter is kept") {
		t.Errorf("redrive while the endpoint is down: exit %d\n%s", code, out)
	}

	r.mu.Lock()
	r.up = true
	r.mu.Unlock()
	code, out = runRegistrydCmd(t, env, "webhooks", "redrive", "--config", config, "--data-dir", data, "ci/1")
	if code != 0 || !strings.Contains(out, "re-driven ci/1") {
		t.Fatalf("webhooks redrive: exit %d\n%s", code, out)
	}
	code, out = runRegistrydCmd(t, nil, "webhooks", "deliveries", "--config", config, "--data-dir", data)
	if code != 0 || !strings.Contains(out, "No dead letters") {
		t.Errorf("after redrive, webhooks deliveries: exit %d\n%s", code, out)
	}
	// The next push is delivered by registryd itself.
	if _, err := p.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, 1))})); err != nil {
		t.Fatal(err)
	}
	if _, err := p.await("delivery", func(l string) bool { return strings.Contains(l, "webhook delivered") }); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`pbregistry_webhook_deliveries_total{endpoint="ci",outcome="delivered"} 1`,
		`pbregistry_webhook_deliveries_total{endpoint="ci",outcome="failed"} 2`,
		`pbregistry_webhook_deliveries_total{endpoint="ci",outcome="dead_letter"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	ids, bad := r.state()
	if strings.Join(ids, " ") != "evt_1 evt_2" || len(bad) > 0 {
		t.Errorf("receiver accepted %v; signature errors %v", ids, bad)
	}
}

// TestWebhooksConfigRefused: registryd refuses to start when an
// endpoint's secret is missing, naming the endpoint and the variable.
func TestWebhooksConfigRefused(t *testing.T) {
	config := writeConfig(t, `webhooks:
  endpoints:
    - name: ci
      url: https://ci.example.com/hooks
      secret_env: CI_WEBHOOK_SECRET_UNSET
`)
	code, out := runRegistrydCmd(t, nil, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--config", config)
	if code != 1 || !strings.Contains(out, "webhook endpoint ci: secret_env CI_WEBHOOK_SECRET_UNSET: the environment variable is unset or empty") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestWebhooksKilled SIGKILLs registryd while its endpoint holds a
// webhook it has processed but not answered, then restarts it: once the
// lease ends the restarted registryd sends the event again with the same
// webhook-id, and the receiver, deduplicating by it, processes it once.
// (The lease is raised to four attempt timeouts, 4s; the timeout of 1s
// leaves the kill ample time to land before registryd would retry.)
func TestWebhooksKilled(t *testing.T) {
	ctx := context.Background()
	wh, err := standardwebhooks.NewWebhook(webhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}      // requests per webhook-id
	processed := map[string]int{} // processings per webhook-id
	var bad []string
	holding := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get("webhook-id")
		mu.Lock()
		if err := wh.Verify(body, req.Header); err != nil {
			bad = append(bad, err.Error())
		}
		seen[id]++
		first := seen[id] == 1
		if processed[id] == 0 {
			processed[id]++
		}
		mu.Unlock()
		if first {
			// Processed; the answer never leaves before the kill.
			close(holding)
			<-req.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	data := t.TempDir()
	config := writeConfig(t, fmt.Sprintf(`webhooks:
  poll_interval: 20ms
  lease: 1s
  endpoints:
    - name: ci
      url: %s
      secret_env: CI_WEBHOOK_SECRET
      timeout: 1s
`, srv.URL))
	env := []string{"CI_WEBHOOK_SECRET=" + webhookSecret}
	p := startRegistryd(t, env, "--data-dir", data, "--config", config)
	if _, err := p.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", "")})); err != nil {
		t.Fatal(err)
	}
	<-holding
	p.kill()
	p = startRegistryd(t, env, "--data-dir", data, "--config", config)
	if _, err := p.await("delivery after restart", func(l string) bool { return strings.Contains(l, "webhook delivered") }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["evt_1"] != 2 || processed["evt_1"] != 1 || len(seen) != 1 || len(bad) > 0 {
		t.Errorf("requests %v, processed %v, signature errors %v; want evt_1 sent twice, processed once", seen, processed, bad)
	}
}
