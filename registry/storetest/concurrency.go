package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// testConcurrentIdenticalPushes: identical pushes racing create one version;
// every pusher gets it back.
func testConcurrentIdenticalPushes(t *testing.T, s registry.Store) {
	racePushes(t, []registry.Store{s}, 8)
}

// testConcurrentPushers: distinct pushes racing, each retrying on a stale
// baseline, get versions 1..n with no gap and no duplicate.
func testConcurrentPushers(t *testing.T, s registry.Store) {
	racePushers(t, []registry.Store{s}, 4, 6)
}

// racePushes runs n goroutines, spread over stores, pushing the same
// content to a new module at once, and checks that exactly one created
// version 1 and all got it.
func racePushes(t *testing.T, stores []registry.Store, n int) {
	c := ctx(t)
	start := make(chan struct{})
	type result struct {
		v       registry.Version
		created bool
		err     error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, created, err := stores[i%len(stores)].CommitPush(c, Push("acme/race", 0, "same"))
			results[i] = result{v, created, err}
		}()
	}
	close(start)
	wg.Wait()
	createdCount := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("pusher %d: %v", i, r.err)
		}
		if r.v.Number != 1 || r.v.Digest != results[0].v.Digest {
			t.Errorf("pusher %d got version %d %s, want version 1", i, r.v.Number, r.v.Digest)
		}
		if r.created {
			createdCount++
		}
	}
	if createdCount != 1 {
		t.Errorf("%d pushers created a version, want 1", createdCount)
	}
	for _, s := range stores {
		if n, err := latest(c, s, "acme/race"); err != nil || n != 1 {
			t.Errorf("latest version = %d, %v; want 1", n, err)
		}
	}
}

// racePushers runs pushers goroutines, spread over stores, each pushing
// perPusher distinct contents to one module, re-reading the latest version
// and retrying on ErrStaleBaseline; then checks that the module has
// versions 1..pushers*perPusher, each content exactly once, each with its
// outbox event.
func racePushers(t *testing.T, stores []registry.Store, pushers, perPusher int) {
	c := ctx(t)
	start := make(chan struct{})
	errs := make(chan error, pushers)
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := stores[p%len(stores)]
			for i := range perPusher {
				seed := fmt.Sprintf("p%d-%d", p, i)
				v, created, err := PushRetrying(c, s, "acme/race", seed)
				if err != nil {
					errs <- fmt.Errorf("pusher %d push %d: %w", p, i, err)
					return
				}
				if !created {
					errs <- fmt.Errorf("pusher %d push %d: version %d was not created", p, i, v.Number)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := int64(pushers * perPusher)
	checkHistory(c, t, stores[len(stores)-1], "acme/race", total)
	seen := map[string]bool{}
	for n := int64(1); n <= total; n++ {
		v, err := stores[0].GetVersion(c, "acme/race", n)
		must(t, err)
		if seen[v.Digest] {
			t.Errorf("version %d repeats digest %s", n, v.Digest)
		}
		seen[v.Digest] = true
	}
	for p := range pushers {
		for i := range perPusher {
			if !seen[Push("acme/race", 0, fmt.Sprintf("p%d-%d", p, i)).Digest] {
				t.Errorf("push p%d-%d has no version", p, i)
			}
		}
	}
}

// checkHistory checks that module has exactly versions 1..want, each whole
// — metadata, files, descriptor set, config — and that the outbox has
// exactly one event per version, as seen by a new consumer registered with
// backfill.
func checkHistory(c context.Context, t *testing.T, s registry.Store, module string, want int64) {
	t.Helper()
	if n, err := latest(c, s, module); err != nil || n != want {
		t.Fatalf("latest version of %s = %d, %v; want %d", module, n, err, want)
	}
	var listed []int64
	page := registry.PageRequest{Size: 7}
	for {
		res, err := s.ListVersions(c, module, page)
		must(t, err)
		for _, v := range res.Items {
			listed = append(listed, v.Number)
		}
		if res.NextPageToken == "" {
			break
		}
		page.Token = res.NextPageToken
	}
	if int64(len(listed)) != want {
		t.Fatalf("ListVersions lists %d versions, want %d: %v", len(listed), want, listed)
	}
	for i, n := range listed {
		if n != want-int64(i) {
			t.Fatalf("ListVersions = %v, want %d down to 1 with no gap", listed, want)
		}
	}
	for n := int64(1); n <= want; n++ {
		v, err := s.GetVersion(c, module, n)
		must(t, err)
		files, err := s.GetFiles(c, module, n)
		must(t, err)
		if len(files) == 0 || len(files) != v.FileCount {
			t.Errorf("version %d has %d files, want %d", n, len(files), v.FileCount)
		}
		if d, err := registry.Digest(files, mustConfig(c, t, s, module, n)); err != nil || d != v.Digest {
			t.Errorf("version %d: files and config digest to %s (%v), version says %s", n, d, err, v.Digest)
		}
		if set, err := s.GetDescriptorSet(c, module, n); err != nil || len(set) == 0 {
			t.Errorf("version %d: descriptor set %q, %v", n, set, err)
		}
	}
	consumer := fmt.Sprintf("check-%d", time.Now().UnixNano())
	if _, err := s.RegisterConsumer(c, consumer, true); err != nil {
		t.Fatal(err)
	}
	events := map[int64]int{}
	for {
		ds, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: consumer, Worker: "checkHistory", Limit: 50})
		must(t, err)
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			if d.Event.Module == module {
				events[d.Event.Version]++
			}
			must(t, s.AckOutbox(c, consumer, d.Event.ID))
		}
	}
	if int64(len(events)) != want {
		t.Errorf("outbox has events for %d versions, want %d", len(events), want)
	}
	for n := int64(1); n <= want; n++ {
		if events[n] != 1 {
			t.Errorf("outbox has %d events for version %d, want 1", events[n], n)
		}
	}
}

// mustConfig returns the config of a version.
func mustConfig(c context.Context, t *testing.T, s registry.Store, module string, n int64) []byte {
	t.Helper()
	cfg, err := s.GetConfig(c, module, n)
	must(t, err)
	return cfg
}
