package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/outbox"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

// backends opens an empty store of each backend; PostgreSQL only when
// PBREGISTRY_TEST_DATABASE_URL is set (pgtest skips otherwise).
var backends = []struct {
	name string
	open func(t *testing.T) registry.Store
}{
	{"sqlite", func(t *testing.T) registry.Store {
		s, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) registry.Store {
		dsn, _ := pgtest.Schema(t, "pbregistry_outbox_")
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// pushes registers consumer "c" and writes n events (versions 1..n of
// acme/a).
func pushes(t *testing.T, s registry.Store, n int) {
	t.Helper()
	ctx := context.Background()
	if err := outbox.Register(ctx, s, false, "c"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, _, err := s.CommitPush(ctx, storetest.Push("acme/a", int64(i-1), fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
}

// call is one call of a Handler.
type call struct {
	version int64
	attempt int
}

// recorder is a Handler that fails each version's first fail[version]
// attempts.
type recorder struct {
	mu    sync.Mutex
	fail  map[int64]int
	after time.Duration // returned as RetryAfter when positive
	calls []call
}

func (h *recorder) handle(_ context.Context, d registry.OutboxDelivery, attempt int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call{d.Event.Version, attempt})
	if attempt <= h.fail[d.Event.Version] {
		err := fmt.Errorf("version %d, attempt %d fails", d.Event.Version, attempt)
		if h.after > 0 {
			return outbox.RetryAfter(err, h.after)
		}
		return err
	}
	return nil
}

func fixed(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

// TestDrain: every event is handled oldest first, failures retried
// within the claim with attempts counted, and each acknowledged once it
// succeeded: a second Drain finds nothing.
func TestDrain(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			pushes(t, s, 3)
			h := &recorder{fail: map[int64]int{2: 2}}
			r := &outbox.Runner{Store: s, Consumer: "c", Handle: h.handle, Backoff: fixed(time.Millisecond)}
			n, err := r.Drain(context.Background())
			if err != nil || n != 3 {
				t.Fatalf("Drain = %d, %v; want 3", n, err)
			}
			want := []call{{1, 1}, {2, 1}, {2, 2}, {2, 3}, {3, 1}}
			if fmt.Sprint(h.calls) != fmt.Sprint(want) {
				t.Errorf("calls = %v, want %v", h.calls, want)
			}
			if n, err := r.Drain(context.Background()); err != nil || n != 0 {
				t.Errorf("second Drain = %d, %v; want 0: every event acknowledged", n, err)
			}
		})
	}
}

// TestLeaseOutlasted: a failure whose retry would outlast the lease ends
// the step with the event unacknowledged. Unordered, the next step
// claims the next event; ordered, the step waits for the lease to end,
// so that the next step claims the same event again, counting on from
// its attempts.
func TestLeaseOutlasted(t *testing.T) {
	cases := []struct {
		name    string
		ordered bool
		lease   time.Duration
		after   time.Duration // RetryAfter instead of a long Backoff
		want    []call
	}{
		{"unordered", false, time.Minute, 0, []call{{1, 1}, {2, 1}}},
		{"unordered, retry after", false, time.Minute, time.Hour, []call{{1, 1}, {2, 1}}},
		{"ordered", true, 300 * time.Millisecond, 0, []call{{1, 1}, {1, 2}}},
	}
	for _, b := range backends {
		for _, c := range cases {
			t.Run(b.name+"/"+c.name, func(t *testing.T) {
				s := b.open(t)
				pushes(t, s, 2)
				h := &recorder{fail: map[int64]int{1: 99, 2: 99}, after: c.after}
				backoff := c.lease // always past the lease
				if c.after > 0 {
					backoff = time.Millisecond
				}
				r := &outbox.Runner{Store: s, Consumer: "c", Handle: h.handle, Lease: c.lease, Ordered: c.ordered, Backoff: fixed(backoff)}
				for range 2 {
					did, err := r.Step(context.Background())
					if did || err == nil {
						t.Fatalf("Step = %v, %v; want the handler's failure", did, err)
					}
				}
				if fmt.Sprint(h.calls) != fmt.Sprint(c.want) {
					t.Errorf("calls = %v, want %v", h.calls, c.want)
				}
			})
		}
	}
}

// TestRun: Run handles events as they are written and stops with its
// context; Pause holds it back.
func TestRun(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			pushes(t, s, 2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			handled := make(chan int64, 10)
			paused := 0
			r := &outbox.Runner{
				Store: s, Consumer: "c", PollInterval: 5 * time.Millisecond,
				Pause: func() time.Time {
					paused++
					return time.Time{}
				},
				Handle: func(_ context.Context, d registry.OutboxDelivery, _ int) error {
					handled <- d.Event.Version
					return nil
				},
			}
			done := make(chan struct{})
			go func() {
				r.Run(ctx)
				close(done)
			}()
			for want := int64(1); want <= 2; want++ {
				if got := <-handled; got != want {
					t.Fatalf("handled version %d, want %d", got, want)
				}
			}
			if _, _, err := s.CommitPush(ctx, storetest.Push("acme/a", 2, "3")); err != nil {
				t.Fatal(err)
			}
			if got := <-handled; got != 3 {
				t.Fatalf("handled version %d, want 3", got)
			}
			cancel()
			<-done
			if paused < 3 {
				t.Errorf("Pause asked %d times, want one per step", paused)
			}
		})
	}
}

// TestRetryAfterError: RetryAfter keeps the failure for errors.Is and
// its message.
func TestRetryAfterError(t *testing.T) {
	base := errors.New("endpoint down")
	err := outbox.RetryAfter(fmt.Errorf("send: %w", base), time.Second)
	var ra *outbox.RetryAfterError
	if !errors.Is(err, base) || !errors.As(err, &ra) || ra.After != time.Second || err.Error() != "send: endpoint down" {
		t.Errorf("RetryAfter = %v (%#v)", err, err)
	}
}
