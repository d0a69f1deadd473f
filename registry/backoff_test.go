package registry

import (
	"testing"
	"time"
)

// TestBackoff: waits grow exponentially from backoffBase to backoffMax,
// jittered below each ceiling, and stop when the budget would be passed.
func TestBackoff(t *testing.T) {
	if _, ok := newBackoff(0).next(); ok {
		t.Error("a zero budget allowed a retry")
	}
	b := newBackoff(time.Hour)
	for attempt := range 12 {
		wait, ok := b.next()
		ceiling := min(backoffMax, backoffBase<<attempt)
		if !ok || wait <= 0 || wait > ceiling {
			t.Fatalf("attempt %d: wait %v, %v; want (0, %v]", attempt, wait, ok, ceiling)
		}
	}
	b = newBackoff(50 * time.Millisecond)
	var total time.Duration
	for {
		wait, ok := b.next()
		if !ok {
			break
		}
		total += wait
		b.deadline = b.deadline.Add(-wait) // as if the wait had passed
	}
	if total > 50*time.Millisecond || b.attempts == 0 {
		t.Errorf("%d retries waiting %v in all, want at least one, within the 50ms budget", b.attempts, total)
	}
}
