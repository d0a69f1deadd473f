package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// Limits of an attempt's HTTP exchange.
const (
	// MaxResponseBytes is the most of a response body read.
	MaxResponseBytes = 4 << 10
	// MaxRedirects is the most same-host redirects followed.
	MaxRedirects = 3
	// UserAgent is sent with every webhook.
	UserAgent = "pbregistry-webhooks/1"
)

// ErrRedirectRefused is the cause of an attempt whose endpoint
// redirected to another host or scheme.
var ErrRedirectRefused = errors.New("redirect refused")

// NewHTTPClient returns the client webhooks are sent with: redirects are
// followed only to the same scheme and host, keeping the POST (307 and
// 308), at most MaxRedirects times.
// Each request's timeout comes from its context.
func NewHTTPClient() *http.Client {
	return &http.Client{CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) > MaxRedirects:
		return fmt.Errorf("%w: more than %d redirects", ErrRedirectRefused, MaxRedirects)
	case req.Method != via[0].Method:
		return fmt.Errorf("%w: %s answered a redirect that turns the POST into a %s (only 307 and 308 keep it): configure the final URL", ErrRedirectRefused, first.Host, req.Method)
	case req.URL.Scheme != first.Scheme || req.URL.Host != first.Host:
		return fmt.Errorf("%w: %s redirected to %s://%s, another host; webhooks follow redirects on the same host only: configure the final URL",
			ErrRedirectRefused, first.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// AttemptError is a failed attempt: a transport error, or a response
// that is not 2xx.
type AttemptError struct {
	// Status is the response's status code; 0 if there was none.
	Status int
	// Body is the start of the response body, at most 512 bytes.
	Body string
	// Err is the transport error, if any.
	Err error
}

// Error describes the failure: the transport error, or the status and
// the start of the body.
func (e *AttemptError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("the endpoint answered %d %s: %q", e.Status, http.StatusText(e.Status), e.Body)
}

// Unwrap returns the transport error, if any.
func (e *AttemptError) Unwrap() error { return e.Err }

// Send POSTs one webhook: body signed with secret under id and the
// timestamp now, within timeout. It returns nil if the endpoint answered
// 2xx, else an *AttemptError.
func Send(ctx context.Context, client *http.Client, url string, secret Secret, id string, body []byte, now time.Time, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &AttemptError{Err: fmt.Errorf("build the request: %w", err)}
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", secret.Sign(id, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		return &AttemptError{Err: err}
	}
	defer resp.Body.Close()
	head, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The answer counts even if its body could not be read.
		return nil
	}
	if err != nil && len(head) == 0 {
		return &AttemptError{Status: resp.StatusCode, Err: fmt.Errorf("read the %d answer: %w", resp.StatusCode, err)}
	}
	return &AttemptError{Status: resp.StatusCode, Body: registry.Truncate(string(head), 512)}
}
