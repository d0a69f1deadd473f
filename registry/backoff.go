package registry

import (
	"time"

	"github.com/pbregistry/pbregistry/retry"
)

// backoff spaces the retries of a push that keeps losing races to other
// processes' pushes: exponential from backoffBase to backoffMax, with full
// jitter, until a time budget is spent.
type backoff struct {
	deadline time.Time
	attempts int
}

const (
	backoffBase = 10 * time.Millisecond
	backoffMax  = time.Second
)

// newBackoff returns a backoff that allows retries for budget; a budget of
// zero or less allows none.
func newBackoff(budget time.Duration) *backoff {
	return &backoff{deadline: time.Now().Add(budget)}
}

// next returns how long to wait before the next attempt, and false when
// the budget does not allow it.
func (b *backoff) next() (time.Duration, bool) {
	wait := retry.Backoff(b.attempts, backoffBase, backoffMax)
	if time.Now().Add(wait).After(b.deadline) {
		return 0, false
	}
	b.attempts++
	return wait, true
}
