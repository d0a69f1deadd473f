package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pbregistry/pbregistry/server/blobcache"
)

// Cache-Control of downloads: a numbered version never changes; latest
// moves with each push, so caches keep it briefly.
const (
	immutableMaxAge = 365 * 24 * time.Hour
	latestMaxAge    = 10 * time.Second
)

// serveBlob writes b as the response to a GET or HEAD, with the headers
// the caller set (Content-Type and others) and:
//
//   - ETag: the SHA-256 digest of the bytes, quoted ("sha256:…"), or with
//     "+gzip" appended when the gzip form is sent: each representation has
//     its own strong tag, and both name the same content;
//   - If-None-Match naming either tag (or *): 304 Not Modified, no body —
//     only ever for these very bytes, since the tag is their digest;
//   - Cache-Control: max-age one year and immutable for a numbered
//     version, latestMaxAge for latest (latest set); public when
//     anonymous reads are allowed, else private (a shared cache must not
//     hand a token holder's download to others);
//   - Accept-Encoding allowing gzip, and a gzip form precompressed in the
//     cache: that form, Content-Encoding: gzip; Vary: Accept-Encoding
//     whenever there is a gzip form;
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, b *blobcache.Blob, latest bool) {
	h := w.Header()
	scope := "private"
	if s.auth.AnonymousRead() {
		scope = "public"
	}
	if latest {
		h.Set("Cache-Control", scope+", max-age="+strconv.Itoa(int(latestMaxAge/time.Second)))
	} else {
		h.Set("Cache-Control", scope+", max-age="+strconv.Itoa(int(immutableMaxAge/time.Second))+", immutable")
	}
	etag, gzipTag := b.ETag, b.GzipETag
	data := b.Data
	if b.Gzip != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			data, etag = b.Gzip, gzipTag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && (matchesETag(inm, b.ETag) || matchesETag(inm, gzipTag)) {
		// Either representation a client holds is current.
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// One Write of the whole body, as a bare handler does: fewer
	// syscalls than http.ServeContent's copy in 32 KiB pieces (no Range
	// support; clients download whole images).
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip:
// gzip (or x-gzip) with a q-value above 0, or, when gzip is not named, *
// with one.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" && name != "*" {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			if name == "*" {
				starQ = max(starQ, q)
			} else {
				gzipQ = max(gzipQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// matchesETag reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 §13.1.2 asks) or is "*".
func matchesETag(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}
