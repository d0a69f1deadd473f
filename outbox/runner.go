package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/retry"
)

// Defaults of a Runner.
const (
	DefaultLease        = time.Minute
	DefaultPollInterval = 2 * time.Second
	DefaultRetryBase    = 100 * time.Millisecond
	DefaultRetryMax     = 30 * time.Second
	// maxTracked bounds the events whose attempts a Runner counts.
	maxTracked = 1024
)

// Store is the outbox of the registry's store; registry.Store satisfies
// it.
type Store interface {
	// RegisterConsumer registers an outbox consumer.
	RegisterConsumer(ctx context.Context, name string, backfill bool) (registry.OutboxConsumer, error)
	// ClaimOutbox claims a consumer's oldest unacknowledged events.
	ClaimOutbox(ctx context.Context, c registry.OutboxClaim) ([]registry.OutboxDelivery, error)
	// AckOutbox acknowledges a delivery.
	AckOutbox(ctx context.Context, consumer string, eventID int64) error
}

// Handler handles a claimed event. attempt counts the attempts at the
// event, this one included, across its claims. It returns nil when the
// event is done with — handled, skipped or given up on — and the Runner
// acknowledges it; an error is retried.
type Handler func(ctx context.Context, d registry.OutboxDelivery, attempt int) error

// Runner is one worker of one outbox consumer: it claims the consumer's
// events one at a time, oldest first, hands each to its Handler,
// retrying failures, and acknowledges it. The zero values of its
// optional fields mean their defaults.
type Runner struct {
	// Store holds the outbox.
	Store Store
	// Consumer is the registered consumer's name.
	Consumer string
	// Handle handles each event.
	Handle Handler

	// Worker identifies this process on its claims; "" means
	// DefaultWorker().
	Worker string
	// Lease is how long a claimed event is held; 0 means DefaultLease.
	Lease time.Duration
	// PollInterval is the wait before claiming again when nothing was
	// pending; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// Backoff returns the wait before retrying after failed attempt
	// (1 for the first failure); nil means retry.Backoff(attempt-1,
	// DefaultRetryBase, DefaultRetryMax).
	Backoff func(attempt int) time.Duration
	// Pause, if set, returns a time before which Run claims nothing (an
	// open circuit breaker).
	Pause func() time.Time
	// Ordered makes an event whose retries outlast its lease hold the
	// consumer until the lease ends, so that it is claimed again before
	// any later event.
	Ordered bool
	// Logger logs failures; nil means slog.Default().
	Logger *slog.Logger

	mu       sync.Mutex
	attempts map[int64]int
}

// RetryAfterError is a failure that must not be retried before After.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

// RetryAfter returns err, to be retried no sooner than after d.
func RetryAfter(err error, d time.Duration) error { return &RetryAfterError{Err: err, After: d} }

// Error returns the failure's message.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the failure.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// DefaultWorker returns host:pid, the worker name of this process.
func DefaultWorker() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Register registers the consumers names (with backfill: they receive
// every event ever written, else only those written from now on).
func Register(ctx context.Context, s Store, backfill bool, names ...string) error {
	for _, name := range names {
		if _, err := s.RegisterConsumer(ctx, name, backfill); err != nil {
			return fmt.Errorf("register outbox consumer %s: %w", name, err)
		}
	}
	return nil
}

// Run handles the consumer's events until ctx is done.
func (r *Runner) Run(ctx context.Context) {
	failures := 0
	busy := true
	for ctx.Err() == nil {
		if r.Pause != nil {
			if until := r.Pause(); time.Now().Before(until) {
				if retry.Sleep(ctx, time.Until(until)) != nil {
					return
				}
			}
		}
		did, err := r.Step(ctx)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			failures++
			wait = r.backoff(failures)
			r.logger().Error("outbox consumer failed; claiming again", "consumer", r.Consumer, "error", err, "retry_in", wait)
		case did:
			failures, busy = 0, true
			continue
		default:
			if busy {
				r.logger().Info("outbox consumer up to date", "consumer", r.Consumer)
			}
			failures, busy = 0, false
			wait = r.PollInterval
			if wait <= 0 {
				wait = DefaultPollInterval
			}
		}
		if retry.Sleep(ctx, wait) != nil {
			return
		}
	}
}

// Drain handles every pending event, oldest first, retrying each as Run
// does, and returns how many it handled. It stops at the first error: an
// event still failing when its lease would run out.
func (r *Runner) Drain(ctx context.Context) (int, error) {
	n := 0
	for {
		did, err := r.Step(ctx)
		if err != nil || !did {
			return n, err
		}
		n++
	}
}

// Step claims one event and handles it until the Handler succeeds or the
// lease would run out; did is false when none was pending.
func (r *Runner) Step(ctx context.Context) (did bool, err error) {
	lease := r.lease()
	worker := r.Worker
	if worker == "" {
		worker = DefaultWorker()
	}
	ds, err := r.Store.ClaimOutbox(ctx, registry.OutboxClaim{Consumer: r.Consumer, Worker: worker, Limit: 1, Lease: lease})
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", r.Consumer, err)
	}
	if len(ds) == 0 {
		return false, nil
	}
	d := ds[0]
	ev := d.Event
	for {
		n := r.attempt(ev.ID, d.Attempts)
		err := r.Handle(ctx, d, n)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		wait := r.backoff(n)
		var ra *RetryAfterError
		if errors.As(err, &ra) {
			wait = max(wait, ra.After)
		}
		if time.Now().Add(wait).After(d.LeaseUntil.Add(-lease / 4)) {
			r.logger().Error("outbox event failed; it will be claimed again when its lease ends",
				"consumer", r.Consumer, "event", ev.ID, "module", ev.Module, "version", ev.Version, "attempts", n, "lease_until", d.LeaseUntil, "error", err)
			if r.Ordered {
				if serr := retry.Sleep(ctx, time.Until(d.LeaseUntil)); serr != nil {
					return false, serr
				}
			}
			return false, fmt.Errorf("%s, event %d: %w", r.Consumer, ev.ID, err)
		}
		r.logger().Warn("outbox event failed; retrying",
			"consumer", r.Consumer, "event", ev.ID, "module", ev.Module, "version", ev.Version, "attempts", n, "retry_in", wait, "error", err)
		if serr := retry.Sleep(ctx, wait); serr != nil {
			return false, serr
		}
	}
	if err := r.Store.AckOutbox(ctx, r.Consumer, ev.ID); err != nil {
		return false, fmt.Errorf("acknowledge event %d of %s: %w", ev.ID, r.Consumer, err)
	}
	r.mu.Lock()
	delete(r.attempts, ev.ID)
	r.mu.Unlock()
	return true, nil
}

// attempt counts an attempt at event and returns its number: the claims
// of the event before this Runner saw it count as one attempt each.
func (r *Runner) attempt(event int64, claims int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.attempts == nil {
		r.attempts = map[int64]int{}
	}
	n, ok := r.attempts[event]
	if !ok {
		if len(r.attempts) >= maxTracked {
			// Events acknowledged by other workers leave entries
			// behind: forget them all, at worst a retry's backoff
			// starts lower.
			clear(r.attempts)
		}
		n = max(claims-1, 0)
	}
	n++
	r.attempts[event] = n
	return n
}

func (r *Runner) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return DefaultLease
}

func (r *Runner) backoff(attempt int) time.Duration {
	if r.Backoff != nil {
		return r.Backoff(attempt)
	}
	return retry.Backoff(attempt-1, DefaultRetryBase, DefaultRetryMax)
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}
