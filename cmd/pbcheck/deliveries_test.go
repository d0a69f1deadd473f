package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
	"github.com/pbregistry/pbregistry/submodule"
	"github.com/pbregistry/pbregistry/webhook"
)

// startConfiguredRegistry serves a registry configured with cfg over a
// fresh SQLite store on a real port, with tokens alice (admin) and ci
// (push:acme/*), anonymous reads on, and the stacks' repositories of
// cfg.Stacks; it returns the URL, the tokens and the store.
func startConfiguredRegistry(t *testing.T, cfg *server.Config) (url, alice, ci string, store registry.Store) {
	t.Helper()
	alice, aliceEntry, err := auth.CreateToken("alice", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	ci, ciEntry, err := auth.CreateToken("ci", []string{"push:acme/*"})
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(&auth.TokensFile{Entries: []auth.Entry{aliceEntry, ciEntry}}, auth.Options{AnonymousRead: true})
	store, err = sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var git http.Handler
	if len(cfg.Stacks.Repos) > 0 {
		var names []string
		for _, s := range cfg.Stacks.Repos {
			names = append(names, s.Name)
		}
		if git, err = submodule.NewHandler(submodule.HandlerOptions{Dir: cfg.Stacks.Dir, Stacks: names, Auth: authn}); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, ln, server.New(server.Options{Store: store, Auth: authn, Config: cfg, Git: git}).Handler())
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		store.Close()
	})
	return "http://" + ln.Addr().String(), alice, ci, store
}

// TestDeliveriesCommands: an admin lists the webhook endpoints and their
// dead letters and re-drives one, which registryd sends to the endpoint
// (signed, with the letter's webhook-id) and removes; others are refused.
func TestDeliveriesCommands(t *testing.T) {
	var mu sync.Mutex
	var received []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.Header.Get("webhook-signature") != "" {
			received = append(received, r.Header.Get("webhook-id"))
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &server.Config{Webhooks: webhook.Config{Dir: t.TempDir(), Endpoints: []webhook.Endpoint{
		{Name: "ci", URL: receiver.URL, SecretFile: secret, Modules: []string{"acme/**"}},
	}}}
	if err := cfg.Webhooks.Validate(); err != nil {
		t.Fatal(err)
	}
	dead := webhook.DeadLetters{Dir: cfg.Webhooks.Dir}
	for _, id := range []int64{1, 2} {
		err := dead.Put(webhook.DeadLetter{Endpoint: "ci", EventID: id, WebhookID: "evt_" + string(rune('0'+id)), Type: "module.version.accepted",
			Module: "acme/commerce", Version: id, URL: receiver.URL, Body: []byte(`{"type":"module.version.accepted"}`), Attempts: 10,
			EventTime: time.Now().Add(-time.Hour), LastAttempt: time.Now(), LastError: "502 Bad Gateway"})
		if err != nil {
			t.Fatal(err)
		}
	}
	url, alice, ci, _ := startConfiguredRegistry(t, cfg)
	t.Setenv(envRegistryURL, url)
	dir := t.TempDir()
	reg := func(token string, args ...string) []string {
		args = append([]string{"registry"}, args...)
		if token != "" {
			args = append(args, "--token", token)
		}
		return args
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"endpoints", reg(alice, "deliveries"), exitOK, []string{"ENDPOINT  URL", "ci        " + receiver.URL + "  acme/**  all     2"}, nil},
		{"dead letters", reg(alice, "deliveries", "--dead"), exitOK, []string{"ci/1  evt_1", "ci/2  evt_2", "502 Bad Gateway", "pbcheck registry redrive <ID>"}, nil},
		{"unknown endpoint", reg(alice, "deliveries", "nope"), exitError, []string{"not_found", `no webhook endpoint "nope"`}, nil},
		{"not an admin", reg(ci, "deliveries", "--dead"), exitError, []string{"permission_denied"}, []string{"evt_1"}},
		{"anonymous", reg("", "deliveries"), exitError, []string{"unauthenticated"}, nil},
		{"redrive, not an admin", reg(ci, "redrive", "ci/1"), exitError, []string{"permission_denied"}, nil},
		{"redrive", reg(alice, "redrive", "ci/1"), exitOK, []string{"re-driven ci/1 (evt_1 acme/commerce v1) to ci"}, nil},
		{"redriven letter gone", reg(alice, "deliveries", "--dead"), exitOK, []string{"ci/2  evt_2"}, []string{"ci/1"}},
		{"redrive again", reg(alice, "redrive", "ci/1"), exitError, []string{"not_found", "no dead letter ci/1"}, nil},
		{"redrive, bad id", reg(alice, "redrive", "ci"), exitError, []string{"invalid_argument"}, nil},
		{"redrive, no id", reg(alice, "redrive"), exitError, []string{"redrive takes the ids of dead letters"}, nil},
		{"--dead elsewhere", reg(alice, "ls", "--dead"), exitError, []string{"--dead applies to registry deliveries only"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, dir, tt.args, tt.wantCode, tt.want, tt.notWant)
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(received) != 1 || received[0] != "evt_1" {
		t.Errorf("the endpoint received %q, want the one re-driven letter, signed", received)
	}
}
