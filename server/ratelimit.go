package server

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pbregistry/pbregistry/auth"
)

// maxRateKeys bounds the clients the rate limiter remembers. Past it, idle
// clients (whose buckets are full again) are forgotten; if all are busy,
// new clients share one bucket per kind.
const maxRateKeys = 1 << 16

// rateLimiter keeps a token bucket per client: per token for requests
// with a valid token, per IP address (IPv6 by /64) for the others.
type rateLimiter struct {
	auth     *auth.Authenticator
	perIP    RateLimit
	perToken RateLimit
	trusted  []netip.Prefix

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// sweepEvery is how often, at most, a full rate limiter looks for idle
// clients to forget, so that a flood of new clients costs no full scan
// per request.
const sweepEvery = time.Second

// newRateLimiter returns a rateLimiter, or nil when both limits are off.
func newRateLimiter(a *auth.Authenticator, cfg RateLimitsConfig, trusted []netip.Prefix) *rateLimiter {
	if cfg.PerIP.RequestsPerSecond <= 0 && cfg.PerToken.RequestsPerSecond <= 0 {
		return nil
	}
	return &rateLimiter{auth: a, perIP: cfg.PerIP, perToken: cfg.PerToken, trusted: trusted, buckets: map[string]*rate.Limiter{}}
}

// check takes one request from r's bucket. When the bucket is empty it
// returns the reason (rejectRateIP or rejectRateToken) and how long until
// a request would be allowed; "" when r may proceed.
func (l *rateLimiter) check(r *http.Request) (string, time.Duration) {
	var key, reason string
	var limit RateLimit
	if p, err := l.auth.Authenticate(r.Header.Get("Authorization")); err == nil && !p.Anonymous {
		key, reason, limit = "token:"+p.Name, rejectRateToken, l.perToken
	} else {
		key, reason, limit = "ip:"+clientAddr(r, l.trusted), rejectRateIP, l.perIP
	}
	if limit.RequestsPerSecond <= 0 {
		return "", 0
	}
	now := time.Now()
	res := l.bucket(key, reason, limit, now).ReserveN(now, 1)
	if !res.OK() {
		return reason, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return reason, d
	}
	return "", 0
}

// bucket returns the bucket of key, creating it.
func (l *rateLimiter) bucket(key, kind string, limit RateLimit, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		return b
	}
	if len(l.buckets) >= maxRateKeys && now.Sub(l.lastSweep) >= sweepEvery {
		l.lastSweep = now
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(b.Burst()) {
				delete(l.buckets, k) // as good as new
			}
		}
	}
	if len(l.buckets) >= maxRateKeys {
		key = "overflow:" + kind
		if b, ok := l.buckets[key]; ok {
			return b
		}
	}
	b := rate.NewLimiter(rate.Limit(limit.RequestsPerSecond), limit.burst())
	l.buckets[key] = b
	return b
}

// clientAddr returns the client of r, as a prefix: its remote address
// (IPv6 addresses by /64, which one host usually holds whole), or, when
// that is a trusted proxy, the right-most X-Forwarded-For address that is
// not.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := ap.Addr().Unmap()
	if isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a garbled hop: trust nothing left of it
			}
			addr = a.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
