package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/retry"
)

// TestBackoff: every wait is in (0, ceiling], the ceiling doubling from
// base to max and staying there, whatever the attempt.
func TestBackoff(t *testing.T) {
	const base, max = 10 * time.Millisecond, time.Second
	for _, tt := range []struct {
		attempt int
		ceiling time.Duration
	}{
		{0, 10 * time.Millisecond}, {1, 20 * time.Millisecond}, {6, 640 * time.Millisecond},
		{7, time.Second}, {40, time.Second}, {70, time.Second}, {1 << 20, time.Second},
	} {
		for range 200 {
			if d := retry.Backoff(tt.attempt, base, max); d <= 0 || d > tt.ceiling {
				t.Fatalf("Backoff(%d) = %s, want in (0, %s]", tt.attempt, d, tt.ceiling)
			}
		}
	}
	// The waits are spread, not all at the ceiling.
	low := 0
	for range 1000 {
		if retry.Backoff(10, base, max) < max/2 {
			low++
		}
	}
	if low < 300 || low > 700 {
		t.Errorf("%d of 1000 waits under half the ceiling, want about half", low)
	}
	if d := retry.Backoff(3, 0, max); d != 0 {
		t.Errorf("Backoff with no base = %s, want 0", d)
	}
}

// TestSleep: Sleep waits, and ends with its context.
func TestSleep(t *testing.T) {
	if err := retry.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := retry.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep with a cancelled context = %v, want context.Canceled", err)
	}
	if err := retry.Sleep(ctx, 0); err != context.Canceled {
		t.Errorf("Sleep(0) with a cancelled context = %v, want context.Canceled", err)
	}
}
