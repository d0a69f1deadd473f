package webhook

import (
	"sync"
	"time"
)

// Breaker is an endpoint's circuit breaker: after Failures consecutive
// failed attempts it opens for Cooldown, during which no attempt is
// made; the first attempt after the cooldown is a probe, and one more
// failure opens it again.
type Breaker struct {
	// Failures is how many consecutive failures open the breaker.
	Failures int
	// Cooldown is how long it stays open.
	Cooldown time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
}

// OpenUntil returns when the breaker closes again; the zero time or a
// time past if it is closed.
func (b *Breaker) OpenUntil() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openUntil
}

// Success records a successful attempt, closing the breaker.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.openUntil = 0, time.Time{}
}

// Failure records a failed attempt at now and reports whether it opened
// the breaker.
func (b *Breaker) Failure(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.failures >= max(1, b.Failures) {
		b.failures = max(1, b.Failures) - 1 // one failure of the probe re-opens it
		b.openUntil = now.Add(b.Cooldown)
		return true
	}
	return false
}
