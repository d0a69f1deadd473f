package server_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/server"
)

// TestParseRuntimeConfig: the http, rate_limits and database sections
// parse into their fields, and bad values are refused naming the key or
// line and what to write.
func TestParseRuntimeConfig(t *testing.T) {
	c, err := server.ParseConfig("registryd.yaml", []byte(`http:
  read_header_timeout: 5s
  read_timeout: 1m
  write_timeout: 45s
  min_body_rate: 8192
  idle_timeout: 90s
  max_concurrent_requests: 64
  max_inflight_bytes: 134217728
  trusted_proxies: [10.0.0.7, "192.168.0.0/16", "::1"]
rate_limits:
  per_ip: {requests_per_second: 20, burst: 40}
  per_token: {requests_per_second: 100.5}
database:
  max_conns: 16
  lock_timeout: 2s
  statement_timeout: 30s
`))
	if err != nil {
		t.Fatal(err)
	}
	wantHTTP := server.HTTPConfig{
		ReadHeaderTimeout: server.Duration(5 * time.Second), ReadTimeout: server.Duration(time.Minute), WriteTimeout: server.Duration(45 * time.Second), MinBodyRate: 8192,
		IdleTimeout: server.Duration(90 * time.Second), MaxConcurrentRequests: 64, MaxInflightBytes: 128 << 20,
		TrustedProxies: []string{"10.0.0.7", "192.168.0.0/16", "::1"},
	}
	if !reflect.DeepEqual(c.HTTP, wantHTTP) {
		t.Errorf("http = %+v, want %+v", c.HTTP, wantHTTP)
	}
	if want := (server.RateLimitsConfig{PerIP: server.RateLimit{RequestsPerSecond: 20, Burst: 40}, PerToken: server.RateLimit{RequestsPerSecond: 100.5}}); c.RateLimits != want {
		t.Errorf("rate_limits = %+v, want %+v", c.RateLimits, want)
	}
	if want := (server.DatabaseConfig{MaxConns: 16, LockTimeout: server.Duration(2 * time.Second), StatementTimeout: server.Duration(30 * time.Second)}); c.Database != want {
		t.Errorf("database = %+v, want %+v", c.Database, want)
	}

	for _, bad := range []struct{ name, yaml, want string }{
		{"duration without unit", "http:\n  read_timeout: 30\n", `registryd.yaml: line 2: "30" is not a duration: write a number with a unit, e.g. 500ms, 30s or 2m`},
		{"duration garbage", "database:\n  lock_timeout: soon\n", `line 2: "soon" is not a duration`},
		{"duration list", "http:\n  idle_timeout: [1s]\n", "line 2: want a duration such as 30s or 2m, not a list"},
		{"negative duration", "database:\n  statement_timeout: -1s\n", "database.statement_timeout is -1s: use a positive duration"},
		{"negative count", "http:\n  max_concurrent_requests: -5\n", "http.max_concurrent_requests is -5: use a positive number"},
		{"count not a number", "http:\n  max_inflight_bytes: lots\n", "line 2: cannot unmarshal !!str `lots` into int64: write a number"},
		{"negative rate", "rate_limits:\n  per_ip: {requests_per_second: -1}\n", "rate_limits.per_ip.requests_per_second is -1: use a positive number, or 0 (the default) for no limit"},
		{"negative burst", "rate_limits:\n  per_token: {requests_per_second: 1, burst: -2}\n", "rate_limits.per_token.burst is -2"},
		{"unknown http key", "http:\n  read_timeoutt: 1s\n", "line 2: field read_timeoutt not found in type server.HTTPConfig: the keys are"},
		{"unknown rate key", "rate_limits:\n  per_user: {}\n", "field per_user not found"},
		{"bad proxy", "http:\n  trusted_proxies: [proxy.local]\n", `http.trusted_proxies: "proxy.local" is neither an IP address nor a CIDR prefix`},
		{"inflight below request", "http:\n  max_inflight_bytes: 1000\n", "http.max_inflight_bytes is 1000, less than the largest request (68157440 bytes, limits.max_request_bytes)"},
		{"inflight below configured request", "limits:\n  max_request_bytes: 2000\nhttp:\n  max_inflight_bytes: 1000\n", "raise http.max_inflight_bytes to at least 2000"},
		{"max_conns overflow", "database:\n  max_conns: 99999999999\n", "line 2: cannot unmarshal"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := server.ParseConfig("registryd.yaml", []byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("ParseConfig(%q) = %v, want an error saying %q", bad.yaml, err, bad.want)
			}
		})
	}
}
