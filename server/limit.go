package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
)

// retryAfterBusy is the Retry-After, in seconds, of requests refused
// because the server is at its cap of requests or request bytes.
const retryAfterBusy = 1

// admission is the first handler of every request. Health checks pass
// straight through; every other request is rate limited (429), counted
// against MaxConcurrentRequests and MaxInflightBytes (503), and its body
// must keep pace with MinBodyRate after ReadTimeout's grace.
type admission struct {
	cfg      HTTPConfig
	next     http.Handler
	limiter  *rateLimiter // nil without rate limits
	maxBody  int64        // the largest request body, to clamp reservations
	errors   *connect.ErrorWriter
	logger   *slog.Logger
	rejected *Counter

	requests atomic.Int64
	bytes    atomic.Int64
}

// Reasons a request is refused, the values of the reason label of
// pbregistry_http_rejected_requests_total.
const (
	rejectRateIP      = "rate_limit_ip"
	rejectRateToken   = "rate_limit_token"
	rejectConcurrency = "max_concurrent_requests"
	rejectBytes       = "max_inflight_bytes"
	rejectSlowBody    = "slow_body"
	rejectSlowReader  = "slow_reader"
)

// isHealthCheck reports whether r is a health check, which no limit
// refuses: a load balancer must see the server's health, not its load.
func isHealthCheck(r *http.Request) bool {
	return r.URL.Path == "/healthz" || strings.HasPrefix(r.URL.Path, "/grpc.health.v1.Health/")
}

// ServeHTTP implements http.Handler.
func (a *admission) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := newPacedWriter(rw, a.cfg, a.rejected)
	defer w.finish()
	if isHealthCheck(r) {
		a.next.ServeHTTP(w, r)
		return
	}
	if a.limiter != nil {
		if reason, wait := a.limiter.check(r); reason != "" {
			secs := int(math.Ceil(wait.Seconds()))
			a.refuse(w, r, reason, connect.CodeResourceExhausted, http.StatusTooManyRequests, max(1, secs),
				fmt.Sprintf("too many requests from this %s: retry in %s (rate_limits in registryd's configuration)", strings.TrimPrefix(reason, "rate_limit_"), time.Duration(secs)*time.Second))
			return
		}
	}
	if n := a.requests.Add(1); n > int64(a.cfg.MaxConcurrentRequests) {
		a.requests.Add(-1)
		a.refuse(w, r, rejectConcurrency, connect.CodeUnavailable, http.StatusServiceUnavailable, retryAfterBusy,
			fmt.Sprintf("registryd is serving its maximum of %d requests at once (http.max_concurrent_requests): retry shortly", a.cfg.MaxConcurrentRequests))
		return
	}
	defer a.requests.Add(-1)

	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		a.next.ServeHTTP(w, r)
		return
	}
	body := &guardedBody{ReadCloser: r.Body, a: a, w: w, ctl: w.ctl, start: time.Now(), http1: r.ProtoMajor == 1}
	if r.ContentLength > 0 {
		body.reserved = min(r.ContentLength, a.maxBody)
		if !a.reserve(body.reserved) {
			a.refuse(w, r, rejectBytes, connect.CodeUnavailable, http.StatusServiceUnavailable, retryAfterBusy, a.bytesMessage())
			return
		}
		body.sized = true
	}
	defer body.release()
	body.deadline = body.start.Add(a.cfg.ReadTimeout.D())
	_ = body.ctl.SetReadDeadline(body.deadline) // unsupported only by test recorders
	// A shallow copy: net/http must still see its own body in r to
	// judge whether the connection can be reused.
	guarded := r.WithContext(r.Context())
	guarded.Body = body
	a.next.ServeHTTP(w, guarded)
}

// bytesMessage is the error of a request refused at MaxInflightBytes.
func (a *admission) bytesMessage() string {
	return fmt.Sprintf("registryd holds its maximum of %d request bytes at once (http.max_inflight_bytes): retry shortly", a.cfg.MaxInflightBytes)
}

// reserve counts n more in-flight bytes, unless that passes the cap while
// other requests hold bytes (so that one request alone always fits).
func (a *admission) reserve(n int64) bool {
	for {
		cur := a.bytes.Load()
		if cur > 0 && cur+n > a.cfg.MaxInflightBytes {
			return false
		}
		if a.bytes.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// refuse answers a refused request in the request's protocol: a Connect,
// gRPC or gRPC-Web error with code for RPCs (Connect unary maps
// ResourceExhausted to 429 and Unavailable to 503), status otherwise;
// both with Retry-After.
func (a *admission) refuse(w http.ResponseWriter, r *http.Request, reason string, code connect.Code, status, retryAfter int, msg string) {
	a.rejected.Inc(reason)
	a.logger.DebugContext(r.Context(), "request refused", "reason", reason, "path", r.URL.Path, "peer", r.RemoteAddr)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	if a.errors.IsSupported(r) {
		_ = a.errors.Write(w, r, connect.NewError(code, errors.New(msg)))
		return
	}
	http.Error(w, msg, status)
}

// guardedBody is a request body that must keep pace with MinBodyRate, and
// that counts its bytes against MaxInflightBytes as they arrive when the
// request did not say its length.
type guardedBody struct {
	io.ReadCloser
	a        *admission
	w        http.ResponseWriter
	ctl      *http.ResponseController
	start    time.Time
	deadline time.Time
	read     int64
	sized    bool  // reserved up front from Content-Length
	reserved int64 // bytes counted against MaxInflightBytes
	done     bool
	http1    bool
}

// Read implements io.Reader.
func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if !b.sized && n > 0 && b.reserved < b.a.maxBody {
		grow := min(int64(n), b.a.maxBody-b.reserved)
		if !b.a.reserve(grow) {
			b.a.rejected.Inc(rejectBytes)
			b.w.Header().Set("Retry-After", strconv.Itoa(retryAfterBusy))
			return n, connect.NewError(connect.CodeUnavailable, errors.New(b.a.bytesMessage()))
		}
		b.reserved += grow
	}
	switch {
	case err == io.EOF:
		// Lift the deadline, so that it cannot cut the connection while
		// the handler works.
		if !b.done {
			b.done = true
			_ = b.ctl.SetReadDeadline(time.Time{})
		}
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		b.a.rejected.Inc(rejectSlowBody)
		if b.http1 {
			// The rest of the body will not come in time either: close
			// the connection after the answer.
			b.w.Header().Set("Connection", "close")
		}
		cfg := b.a.cfg
		return n, connect.NewError(connect.CodeDeadlineExceeded, fmt.Errorf(
			"request body too slow: %d bytes in %s; registryd wants a body within %s plus 1 s per %d bytes (http.read_timeout, http.min_body_rate)",
			b.read, time.Since(b.start).Round(time.Millisecond), cfg.ReadTimeout.D(), cfg.MinBodyRate))
	case n > 0:
		earned := time.Duration(float64(b.read) / float64(b.a.cfg.MinBodyRate) * float64(time.Second))
		if next := b.start.Add(b.a.cfg.ReadTimeout.D() + earned); next.Sub(b.deadline) >= 100*time.Millisecond {
			b.deadline = next
			_ = b.ctl.SetReadDeadline(next)
		}
	}
	return n, err
}

// release returns the body's in-flight bytes.
func (b *guardedBody) release() {
	b.a.bytes.Add(-b.reserved)
	b.reserved = 0
}

// pacedWriter is a response writer whose client must read the response at
// MinBodyRate after WriteTimeout's grace, or its writes fail: a client
// that stops reading cannot hold a request, and its memory, for ever.
type pacedWriter struct {
	http.ResponseWriter
	ctl      *http.ResponseController
	cfg      HTTPConfig
	rejected *Counter
	start    time.Time // of the first write
	written  int64
	deadline time.Time
	cut      bool
}

// newPacedWriter returns w paced by cfg, counting cut responses in
// rejected. It lifts any write deadline a previous request on the
// connection left.
func newPacedWriter(w http.ResponseWriter, cfg HTTPConfig, rejected *Counter) *pacedWriter {
	p := &pacedWriter{ResponseWriter: w, ctl: http.NewResponseController(w), cfg: cfg, rejected: rejected}
	_ = p.ctl.SetWriteDeadline(time.Time{})
	return p
}

// Write implements io.Writer.
func (p *pacedWriter) Write(b []byte) (int, error) {
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
	}
	p.written += int64(len(b))
	earned := time.Duration(float64(p.written) / float64(p.cfg.MinBodyRate) * float64(time.Second))
	if next := p.start.Add(p.cfg.WriteTimeout.D() + earned); next.Sub(p.deadline) >= 100*time.Millisecond {
		p.deadline = next
		_ = p.ctl.SetWriteDeadline(next)
	}
	n, err := p.ResponseWriter.Write(b)
	if err != nil && !p.cut && errors.Is(err, os.ErrDeadlineExceeded) {
		p.cut = true
		p.rejected.Inc(rejectSlowReader)
	}
	return n, err
}

// Flush implements http.Flusher.
func (p *pacedWriter) Flush() { _ = p.ctl.Flush() }

// Unwrap returns the underlying writer, for http.ResponseController.
func (p *pacedWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// finish gives what the handler left buffered WriteTimeout to reach the
// client, once the handler has returned.
func (p *pacedWriter) finish() {
	_ = p.ctl.SetWriteDeadline(time.Now().Add(p.cfg.WriteTimeout.D()))
}
