package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/server"
)

// fromAddr returns an HTTP client whose connections come from local
// address ip (any of 127.0.0.0/8 on loopback).
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// listModules calls ListModules over the Connect protocol with client,
// token (none when "") and extra headers; it returns the status, the
// Retry-After header and the body.
func listModules(t *testing.T, in *instance, client *http.Client, token string, header ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, in.url+"/pbregistry.v1.RegistryService/ListModules", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
}

// TestRateLimits: per client IP for requests without a (valid) token, per
// token for the others, 429 with Retry-After past the burst (a Connect
// client sees resource_exhausted); other IPs and tokens keep their own
// buckets; health checks are never limited; X-Forwarded-For counts only
// from a trusted proxy.
func TestRateLimits(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "other", SHA256: auth.Hash("o"), Scopes: []auth.Scope{auth.ScopeRead}},
	}}
	// One request per 100 s: no bucket refills during the test.
	cfg := &server.Config{
		RateLimits: server.RateLimitsConfig{
			PerIP:    server.RateLimit{RequestsPerSecond: 0.01, Burst: 3},
			PerToken: server.RateLimit{RequestsPerSecond: 0.01, Burst: 2},
		},
		HTTP: server.HTTPConfig{TrustedProxies: []string{"127.0.0.9"}},
	}
	in := start(t, "", server.Options{Config: cfg, Auth: auth.New(tf, auth.Options{AnonymousRead: true})})
	ip1, ip2, proxy := fromAddr("127.0.0.1"), fromAddr("127.0.0.2"), fromAddr("127.0.0.9")

	want := func(what string, status int, gotStatus int, retry, body string) {
		t.Helper()
		if gotStatus != status {
			t.Errorf("%s: %d %s, want %d", what, gotStatus, body, status)
			return
		}
		if status == http.StatusTooManyRequests {
			secs, err := strconv.Atoi(retry)
			if err != nil || secs < 1 || secs > 100 || !strings.Contains(body, `"code":"resource_exhausted"`) {
				t.Errorf("%s: Retry-After %q, body %s: want 1 to 100 seconds and code resource_exhausted", what, retry, body)
			}
		}
	}
	for i := range 3 {
		s, r, b := listModules(t, in, ip1, "")
		want("anonymous request "+strconv.Itoa(i+1)+" of the burst", http.StatusOK, s, r, b)
	}
	s, r, b := listModules(t, in, ip1, "")
	want("anonymous request past the burst", http.StatusTooManyRequests, s, r, b)
	s, r, b = listModules(t, in, ip1, "not-a-token")
	want("unknown token from the same IP (counted per IP)", http.StatusTooManyRequests, s, r, b)
	s, r, b = listModules(t, in, ip2, "")
	want("anonymous request from another IP", http.StatusOK, s, r, b)
	_, err := pbregistryv1connect.NewRegistryServiceClient(ip1, in.url).ListModules(context.Background(), connect.NewRequest(&v1.ListModulesRequest{}))
	wantCode(t, "Connect client past the burst", err, connect.CodeResourceExhausted, "too many requests")

	// A valid token has its own bucket, whatever its IP.
	for i := range 2 {
		s, r, b := listModules(t, in, ip1, "c")
		want("token request "+strconv.Itoa(i+1)+" of the burst", http.StatusOK, s, r, b)
	}
	s, r, b = listModules(t, in, ip2, "c")
	want("token request past the burst, from another IP", http.StatusTooManyRequests, s, r, b)
	s, r, b = listModules(t, in, ip1, "o")
	want("another token", http.StatusOK, s, r, b)

	// Health checks are never limited.
	for range 5 {
		resp, err := ip1.Get(in.url + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("/healthz from a limited IP: %v, %v", resp, err)
		}
		resp.Body.Close()
		hc := grpchealth.NewClient(h2c, in.url)
		if r, err := hc.Check(context.Background(), &grpchealth.CheckRequest{}); err != nil || r.Status != grpchealth.StatusServing {
			t.Fatalf("gRPC health from a limited IP: %v, %v", r, err)
		}
	}
	// Plain endpoints are limited too, with a plain 429.
	resp, err := ip1.Get(in.url + "/metrics")
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("/metrics from a limited IP: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// X-Forwarded-For is ignored from an untrusted peer (ip1 stays
	// limited), and names the client behind a trusted proxy.
	s, r, b = listModules(t, in, ip1, "", "X-Forwarded-For", "10.0.0.1")
	want("X-Forwarded-For from an untrusted peer", http.StatusTooManyRequests, s, r, b)
	for i := range 3 {
		s, r, b := listModules(t, in, proxy, "", "X-Forwarded-For", "127.0.0.1, 10.0.0.1")
		want("client 10.0.0.1 behind the trusted proxy, request "+strconv.Itoa(i+1), http.StatusOK, s, r, b)
	}
	s, r, b = listModules(t, in, proxy, "", "X-Forwarded-For", "10.0.0.1")
	want("client 10.0.0.1 behind the trusted proxy, past the burst", http.StatusTooManyRequests, s, r, b)
	s, r, b = listModules(t, in, proxy, "", "X-Forwarded-For", "10.0.0.2")
	want("client 10.0.0.2 behind the trusted proxy", http.StatusOK, s, r, b)
}
