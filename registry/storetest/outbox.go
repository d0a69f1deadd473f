package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// testOutbox: each accepted push writes one event; workers claim disjoint
// deliveries oldest first and acknowledge them.
func testOutbox(t *testing.T, s registry.Store) {
	c := ctx(t)
	_, err := s.RegisterConsumer(c, "git", false)
	must(t, err)
	var versions []registry.Version
	for _, seed := range []string{"a", "b", "c"} {
		versions = append(versions, mustPush(t, s, "acme/commerce", seed))
	}
	mustPush(t, s, "acme/commerce", "a") // idempotent: no event

	first, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git", Worker: "w1", Limit: 2})
	must(t, err)
	if len(first) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(first))
	}
	for i, d := range first {
		v := versions[i]
		var payload registry.VersionAccepted
		if err := json.Unmarshal(d.Event.Payload, &payload); err != nil {
			t.Fatalf("payload %q: %v", d.Event.Payload, err)
		}
		if d.Consumer != "git" || d.Worker != "w1" || d.Attempts != 1 || d.LeaseUntil.Before(time.Now()) ||
			d.Event.Type != registry.EventVersionAccepted || d.Event.Module != v.Module || d.Event.Version != v.Number ||
			d.Event.Digest != v.Digest || d.Event.CreatedAt.IsZero() ||
			payload != (registry.VersionAccepted{Module: v.Module, Version: v.Number, Digest: v.Digest}) {
			t.Errorf("delivery %d = %+v, want the event of version %d", i, d, v.Number)
		}
	}
	if first[0].Event.ID >= first[1].Event.ID {
		t.Errorf("deliveries not oldest first: %d, %d", first[0].Event.ID, first[1].Event.ID)
	}
	second, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git", Worker: "w2"})
	must(t, err)
	if len(second) != 1 || second[0].Event.Version != 3 || second[0].Worker != "w2" {
		t.Fatalf("second worker claimed %+v, want version 3 only", second)
	}
	for _, d := range append(first, second...) {
		must(t, s.AckOutbox(c, "git", d.Event.ID))
	}
	must(t, s.AckOutbox(c, "git", first[0].Event.ID)) // twice is fine
	mustPush(t, s, "acme/commerce", "d")
	next, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git", Worker: "w1"})
	must(t, err)
	if len(next) != 1 || next[0].Event.Version != 4 {
		t.Fatalf("after acks, claimed %+v, want version 4 only", next)
	}
}

// testOutboxLeaseExpiry: a delivery not acknowledged before its lease ends
// is claimed again (at least once).
func testOutboxLeaseExpiry(t *testing.T, s registry.Store) {
	c := ctx(t)
	_, err := s.RegisterConsumer(c, "dbt", false)
	must(t, err)
	mustPush(t, s, "acme/commerce", "a")
	ds, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "dbt", Worker: "crashed", Lease: time.Second})
	must(t, err)
	if len(ds) != 1 {
		t.Fatalf("claimed %d, want 1", len(ds))
	}
	held, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "dbt", Worker: "other"})
	must(t, err)
	if len(held) != 0 {
		t.Fatalf("claimed %+v while leased", held)
	}
	time.Sleep(1500 * time.Millisecond)
	again, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "dbt", Worker: "other"})
	must(t, err)
	if len(again) != 1 || again[0].Event.ID != ds[0].Event.ID || again[0].Attempts != 2 || again[0].Worker != "other" {
		t.Fatalf("after the lease, claimed %+v, want the same event, attempt 2", again)
	}
	must(t, s.AckOutbox(c, "dbt", again[0].Event.ID))
	done, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "dbt", Worker: "other", Lease: time.Millisecond})
	must(t, err)
	if len(done) != 0 {
		t.Fatalf("acknowledged delivery claimed again: %+v", done)
	}
}

// testOutboxConsumers: every consumer gets every event written after it
// registers, and with backfill every earlier one; registering is
// idempotent; unknown consumers are refused.
func testOutboxConsumers(t *testing.T, s registry.Store) {
	c := ctx(t)
	git, err := s.RegisterConsumer(c, "git", false)
	must(t, err)
	if git.Name != "git" || git.CreatedAt.IsZero() {
		t.Errorf("RegisterConsumer = %+v", git)
	}
	mustPush(t, s, "acme/commerce", "a")
	_, err = s.RegisterConsumer(c, "webhooks", false)
	must(t, err)
	_, err = s.RegisterConsumer(c, "dbt", true)
	must(t, err)
	again, err := s.RegisterConsumer(c, "git", true) // exists: no backfill, same record
	must(t, err)
	if !again.CreatedAt.Equal(git.CreatedAt) {
		t.Errorf("re-registering changed the consumer: %+v, was %+v", again, git)
	}
	mustPush(t, s, "acme/commerce", "b")
	for name, want := range map[string][]int64{"git": {1, 2}, "webhooks": {2}, "dbt": {1, 2}} {
		ds, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: name, Worker: "w"})
		must(t, err)
		var got []int64
		for _, d := range ds {
			got = append(got, d.Event.Version)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("consumer %s claimed versions %v, want %v", name, got, want)
		}
	}
	_, err = s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "nobody", Worker: "w"})
	wantErr(t, "claim for unknown consumer", err, registry.ErrNotFound)
	_, err = s.RegisterConsumer(c, "bad name", false)
	wantErr(t, "bad consumer name", err, registry.ErrInvalidArgument)
	_, err = s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git", Limit: -1})
	wantErr(t, "negative limit", err, registry.ErrInvalidArgument)
	err = s.AckOutbox(c, "git", 999999)
	wantErr(t, "ack of unknown event", err, registry.ErrNotFound)
}

// testOutboxConcurrentWorkers: workers claiming at once never get the same
// delivery while it is leased; together they process every event once.
func testOutboxConcurrentWorkers(t *testing.T, s registry.Store) {
	c := ctx(t)
	_, err := s.RegisterConsumer(c, "git", false)
	must(t, err)
	const pushes = 12
	for i := range pushes {
		mustPush(t, s, "acme/commerce", fmt.Sprint(i))
	}
	var mu sync.Mutex
	processed := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git", Worker: fmt.Sprint("w", w), Limit: 2, Lease: time.Hour})
				if err != nil {
					errs <- err
					return
				}
				if len(ds) == 0 {
					return
				}
				for _, d := range ds {
					mu.Lock()
					processed[d.Event.Version]++
					mu.Unlock()
					if err := s.AckOutbox(c, "git", d.Event.ID); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for n := int64(1); n <= pushes; n++ {
		if processed[n] != 1 {
			t.Errorf("version %d processed %d times, want 1", n, processed[n])
		}
	}
}
