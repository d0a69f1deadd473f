package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
)

// Budgets of a health check: a module-level query, then, if it fails, a
// ping of the database. Together under the 5 s that probes usually allow.
const (
	healthQueryBudget = 2 * time.Second
	healthPingBudget  = 2 * time.Second
)

// healthz answers 200 "ok" when the store answers a module-level query
// within healthQueryBudget; 200 "degraded: …" with the query's error when
// it does not but the database answers a ping (registry.Pinger) — a peer
// stalled in a push holds a module's lock, the pool is busy: this process
// still serves what it can, and restarting it would not help; 503 with the
// error when the database does not answer (or the store cannot ping).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	mode := "read-write"
	if s.readOnly {
		mode = "read-only"
	}
	ctx, cancel := contextWithTimeout(r, healthQueryBudget)
	_, qerr := s.store.ListModules(ctx, registry.PageRequest{Size: 1})
	cancel()
	if qerr == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "ok (%s)\n", mode)
		return
	}
	down := qerr
	if p, ok := s.store.(registry.Pinger); ok {
		ctx, cancel := contextWithTimeout(r, healthPingBudget)
		down = p.Ping(ctx)
		cancel()
	}
	if down != nil {
		s.logger.ErrorContext(r.Context(), "health check failed", "error", down, "query_error", qerr)
		http.Error(w, "store unavailable: "+down.Error(), http.StatusServiceUnavailable)
		return
	}
	s.logger.WarnContext(r.Context(), "health check degraded: the database answers a ping but not a module query", "error", qerr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "degraded (%s): the database answers, but a module query did not within %s: %v\n", mode, healthQueryBudget, qerr)
}

// serveMetrics writes the metrics in the Prometheus text format, for
// principals who may read the registry or hold scope metrics (anonymous
// callers only with anonymous_read).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	if p.CanRead() != nil && !slices.Contains(p.Scopes, auth.ScopeMetrics) {
		if p.Anonymous {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pbregistry"`)
			http.Error(w, "/metrics needs a token with scope read or metrics (header \"Authorization: Bearer <token>\"); an admin creates one with `registryd token create --scope metrics`", http.StatusUnauthorized)
			return
		}
		http.Error(w, fmt.Sprintf("/metrics needs scope read or metrics, and the token of %q has neither: ask an admin for a token with scope metrics", p.Name), http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = s.metrics.WriteTo(w)
}

// downloadImage serves GET (and HEAD) /modules/{module}/versions/{n|latest}/image.binpb:
// the version's FileDescriptorSet, for build tools that want no RPC
// client, from the read cache (see serveBlob: ETag, If-None-Match,
// Cache-Control, gzip).
func (s *Server) downloadImage(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/modules/")
	module, tail, ok := strings.Cut(rest, "/versions/")
	num, file, ok2 := strings.Cut(tail, "/")
	if !ok || !ok2 || file != "image.binpb" {
		http.Error(w, "not found: download images at /modules/{module}/versions/{number or latest}/image.binpb", http.StatusNotFound)
		return
	}
	if err := auth.FromContext(r.Context()).CanRead(); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	n, err := pathVersion(num)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v, blob, err := s.descriptorSet(r.Context(), module, n)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case errors.Is(err, registry.ErrInvalidArgument):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		s.logger.ErrorContext(r.Context(), "download image", "module", module, "version", num, "error", err)
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Pbregistry-Version", strconv.FormatInt(v.Number, 10))
	h.Set("X-Pbregistry-Digest", v.Digest)
	h.Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(module, "/", "_")+"-v"+strconv.FormatInt(v.Number, 10)+`.binpb"`)
	s.serveBlob(w, r, blob, n == registry.LatestVersion)
}

// pathVersion reads the version of a download path: a number (1, 2, …) or
// "latest" (registry.LatestVersion).
func pathVersion(num string) (int64, error) {
	if num == "latest" {
		return registry.LatestVersion, nil
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("version %q is not a version number (1, 2, …) or \"latest\"", num)
	}
	return n, nil
}
