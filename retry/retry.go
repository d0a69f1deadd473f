// Package retry spaces the retries of work that may succeed later — a push
// that lost a race, an outbox event whose consumer failed, a webhook whose
// endpoint is down: exponential backoff with full jitter, and a sleep that
// ends with its context.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff returns the wait before retry attempt (0 for the first retry):
// uniform in (0, ceiling], where the ceiling doubles from base with each
// attempt up to max ("full jitter", so that clients that failed together
// do not retry together). It is 0 when base or max is not positive.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	if base <= 0 || max <= 0 {
		return 0
	}
	ceiling := max
	if attempt < 62 && base < max>>attempt {
		ceiling = base << attempt
	}
	return Jitter(ceiling)
}

// Jitter returns a random duration in (0, d]; 0 when d is not positive.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d))) + 1
}

// Sleep waits for d, or returns ctx's error if ctx is done first. With d
// not positive it returns at once, with ctx's error if ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
