package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// maxHeaderBytes bounds a request's headers.
const maxHeaderBytes = 64 << 10

// ShutdownTimeout is how long Serve lets requests in flight finish once its
// context is done.
const ShutdownTimeout = 30 * time.Second

// Serve serves h on ln — HTTP/1.1 and unencrypted HTTP/2 (h2c, for gRPC
// clients) on the same port — until ctx is done, then shuts down
// gracefully: it stops accepting, waits for requests in flight (at most
// ShutdownTimeout) and returns nil. Its timeouts are DefaultHTTP's.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return ServeHTTP(ctx, ln, h, HTTPConfig{})
}

// ServeHTTP is Serve with cfg's header and idle timeouts (zero values take
// DefaultHTTP's). The body pace and the caps are the Handler's.
func ServeHTTP(ctx context.Context, ln net.Listener, h http.Handler, cfg HTTPConfig) error {
	cfg = cfg.withDefaults()
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:   h,
		Protocols: &protocols,
		// Bodies have no whole-request ReadTimeout: the Handler sets
		// each request's read deadline from its body's pace, so that a
		// large push on a slow link fits and a trickle does not.
		ReadHeaderTimeout: cfg.ReadHeaderTimeout.D(),
		IdleTimeout:       cfg.IdleTimeout.D(),
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// contextWithTimeout returns r's context with a timeout.
func contextWithTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}
