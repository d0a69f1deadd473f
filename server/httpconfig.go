package server

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// HTTPConfig bounds connections and requests: how long a client may take
// to send them, how many run at once and how many request bytes they hold.
// Zero values take the defaults of DefaultHTTP.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout is the grace a request body gets on top of what
	// MinBodyRate earns it: a body of n bytes must have arrived within
	// ReadTimeout + n/MinBodyRate of the request's start, or the request
	// fails with DeadlineExceeded and its connection is closed.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout is the grace a response gets on top of what
	// MinBodyRate earns it: a client must have read a response of n bytes
	// within WriteTimeout + n/MinBodyRate of its first byte, or the
	// response is cut and its connection closed.
	WriteTimeout Duration `yaml:"write_timeout"`
	// MinBodyRate is the slowest average rate, in bytes per second, at
	// which a request body may arrive, and a response be read, once
	// ReadTimeout's (WriteTimeout's) grace is spent. The default lets a
	// 64 MiB push through a 128 kbit/s link; a very large value makes
	// ReadTimeout and WriteTimeout absolute limits.
	MinBodyRate int64 `yaml:"min_body_rate"`
	// IdleTimeout closes keep-alive connections idle that long.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxConcurrentRequests is the most requests served at once; past it
	// requests get 503 (Connect: unavailable) with Retry-After. Health
	// checks are not counted.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests"`
	// MaxInflightBytes is the most request-body bytes held at once, counted
	// by Content-Length when a request has one and as they are read
	// otherwise; past it requests get 503 (Connect: unavailable) with
	// Retry-After. It must be at least the largest request
	// (limits.max_request_bytes).
	MaxInflightBytes int64 `yaml:"max_inflight_bytes"`
	// TrustedProxies lists the reverse proxies (IP addresses or CIDR
	// prefixes) whose X-Forwarded-For header is believed. A request's
	// client is its remote address; when that address is a trusted proxy,
	// the client is the right-most X-Forwarded-For address that is not a
	// trusted proxy. Without trusted proxies X-Forwarded-For is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// DefaultHTTP holds the HTTP limits registryd uses when its configuration
// leaves them out.
var DefaultHTTP = HTTPConfig{
	ReadHeaderTimeout:     Duration(10 * time.Second),
	ReadTimeout:           Duration(30 * time.Second),
	WriteTimeout:          Duration(30 * time.Second),
	MinBodyRate:           16 << 10,
	IdleTimeout:           Duration(2 * time.Minute),
	MaxConcurrentRequests: 128,
	MaxInflightBytes:      256 << 20,
}

// withDefaults returns h with each zero replaced by its default.
func (h HTTPConfig) withDefaults() HTTPConfig {
	d := DefaultHTTP
	if h.ReadHeaderTimeout <= 0 {
		h.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if h.ReadTimeout <= 0 {
		h.ReadTimeout = d.ReadTimeout
	}
	if h.WriteTimeout <= 0 {
		h.WriteTimeout = d.WriteTimeout
	}
	if h.MinBodyRate <= 0 {
		h.MinBodyRate = d.MinBodyRate
	}
	if h.IdleTimeout <= 0 {
		h.IdleTimeout = d.IdleTimeout
	}
	if h.MaxConcurrentRequests <= 0 {
		h.MaxConcurrentRequests = d.MaxConcurrentRequests
	}
	if h.MaxInflightBytes <= 0 {
		h.MaxInflightBytes = d.MaxInflightBytes
	}
	return h
}

// trustedProxies parses TrustedProxies.
func (h HTTPConfig) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range h.TrustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("http.trusted_proxies: %q is neither an IP address nor a CIDR prefix: write e.g. 10.0.0.7 or 10.0.0.0/8", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// RateLimitsConfig limits how often one client may call. A request with a
// valid token counts against its token's limit; every other request
// (anonymous, or with a token the registry does not know) against its
// client IP's. Health checks (/healthz, gRPC health) are not limited.
type RateLimitsConfig struct {
	// PerIP limits each client address (IPv6 clients by /64).
	PerIP RateLimit `yaml:"per_ip"`
	// PerToken limits each token.
	PerToken RateLimit `yaml:"per_token"`
}

// RateLimit is a token bucket: RequestsPerSecond on average, Burst at
// once. A zero RequestsPerSecond means no limit.
type RateLimit struct {
	// RequestsPerSecond is the sustained rate; 0 means no limit.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// Burst is how many requests may come at once after a quiet spell;
	// 0 means twice RequestsPerSecond (at least 1).
	Burst int `yaml:"burst"`
}

// burst returns Burst, or its default.
func (r RateLimit) burst() int {
	if r.Burst > 0 {
		return r.Burst
	}
	return max(1, int(math.Ceil(2*r.RequestsPerSecond)))
}

// DatabaseConfig tunes the PostgreSQL store (--database-url); the SQLite
// store ignores it. Zero values take the store's defaults.
type DatabaseConfig struct {
	// MaxConns is the most connections in the pool.
	MaxConns int32 `yaml:"max_conns"`
	// LockTimeout bounds how long a statement waits for a lock another
	// registryd holds (Postgres lock_timeout).
	LockTimeout Duration `yaml:"lock_timeout"`
	// StatementTimeout bounds one statement (Postgres statement_timeout).
	StatementTimeout Duration `yaml:"statement_timeout"`
}

// Duration is a time.Duration written as Go writes durations: "500ms",
// "30s", "2m", "1h30m".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 30s or 2m, not a %s", n.Line, nodeKind(n))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration: write a number with a unit, e.g. 500ms, 30s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// validateRuntime checks the http, rate_limits and database settings;
// name names the file in errors.
func (c *Config) validateRuntime(name string) error {
	h := c.HTTP
	for key, v := range map[string]Duration{
		"http.read_header_timeout": h.ReadHeaderTimeout, "http.read_timeout": h.ReadTimeout, "http.write_timeout": h.WriteTimeout, "http.idle_timeout": h.IdleTimeout,
		"database.lock_timeout": c.Database.LockTimeout, "database.statement_timeout": c.Database.StatementTimeout,
	} {
		if v < 0 {
			return fmt.Errorf("%s: %s is %s: use a positive duration such as 30s, or leave it out for the default", name, key, v.D())
		}
	}
	for key, v := range map[string]int64{
		"http.min_body_rate": h.MinBodyRate, "http.max_concurrent_requests": int64(h.MaxConcurrentRequests),
		"http.max_inflight_bytes": h.MaxInflightBytes, "database.max_conns": int64(c.Database.MaxConns),
		"rate_limits.per_ip.burst": int64(c.RateLimits.PerIP.Burst), "rate_limits.per_token.burst": int64(c.RateLimits.PerToken.Burst),
	} {
		if v < 0 {
			return fmt.Errorf("%s: %s is %d: use a positive number, or leave it out for the default", name, key, v)
		}
	}
	for key, v := range map[string]float64{
		"rate_limits.per_ip.requests_per_second": c.RateLimits.PerIP.RequestsPerSecond, "rate_limits.per_token.requests_per_second": c.RateLimits.PerToken.RequestsPerSecond,
	} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: %s is %v: use a positive number, or 0 (the default) for no limit", name, key, v)
		}
	}
	if _, err := h.trustedProxies(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if inflight, req := h.withDefaults().MaxInflightBytes, int64(c.Limits.RequestLimit()); inflight < req {
		return fmt.Errorf("%s: http.max_inflight_bytes is %d, less than the largest request (%d bytes, limits.max_request_bytes): such a request could never be served; raise http.max_inflight_bytes to at least %d", name, inflight, req, req)
	}
	return nil
}
