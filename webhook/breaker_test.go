package webhook_test

import (
	"os"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/webhook"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBreaker: 3 consecutive failures open the breaker for the
// cooldown; a success closes it; after a cooldown, one failure of the
// probe opens it again.
func TestBreaker(t *testing.T) {
	b := &webhook.Breaker{Failures: 3, Cooldown: time.Minute}
	t0 := time.Unix(1_700_000_000, 0)
	steps := []struct {
		fail   bool
		opened bool
	}{
		{true, false}, {true, false}, {false, false}, // the success resets the count
		{true, false}, {true, false}, {true, true}, // opens
		{true, true}, // the probe after the cooldown fails: open again
		{false, false}, {true, false},
	}
	for i, s := range steps {
		now := t0.Add(time.Duration(i) * 2 * time.Minute)
		if !s.fail {
			b.Success()
			if !b.OpenUntil().IsZero() {
				t.Errorf("step %d: open after a success", i)
			}
			continue
		}
		if got := b.Failure(now); got != s.opened {
			t.Errorf("step %d: Failure opened = %v, want %v", i, got, s.opened)
		}
		if s.opened && !b.OpenUntil().Equal(now.Add(time.Minute)) {
			t.Errorf("step %d: open until %v, want %v", i, b.OpenUntil(), now.Add(time.Minute))
		}
	}
}
