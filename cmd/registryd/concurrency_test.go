package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

// TestTwoProcessesConcurrentPushes: two registryd processes on one
// PostgreSQL database take many concurrent pushes of one module. Push i
// declares fields f_0…f_i, so a push is compatible only with versions that
// have no more fields than it: a push checked against a stale baseline
// and accepted would delete a field of the real latest version. Versions
// must be 1..N without gaps or duplicates, and each compatible with its
// predecessor.
func TestTwoProcessesConcurrentPushes(t *testing.T) {
	dsn := freshSchema(t)
	a := startRegistryd(t, nil, "--database-url", dsn)
	b := startRegistryd(t, nil, "--database-url", dsn)
	ctx := context.Background()
	if _, err := a.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", "")})); err != nil {
		t.Fatal(err)
	}
	const pushes, workers = 60, 8
	// Mostly increasing, so that many pushes are accepted, with
	// neighbours swapped at random so that some race and lose.
	order := make([]int, pushes)
	for i := range order {
		order[i] = i
	}
	for i := 0; i+1 < pushes; i += 2 {
		if rand.IntN(2) == 0 {
			order[i], order[i+1] = order[i+1], order[i]
		}
	}
	jobs := make(chan int)
	var mu sync.Mutex
	accepted, rejected := 0, 0
	var wg sync.WaitGroup
	for w := range workers {
		c := a.client("")
		if w%2 == 1 {
			c = b.client("")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				_, err := c.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, i+1))}))
				mu.Lock()
				switch {
				case err == nil:
					accepted++
				case connect.CodeOf(err) == connect.CodeFailedPrecondition:
					rejected++
				default:
					t.Errorf("push %d: %v", i, err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if accepted == 0 || accepted+rejected != pushes {
		t.Fatalf("%d accepted, %d rejected of %d pushes", accepted, rejected, pushes)
	}
	nums := versions(t, b.client(""), "acme/commerce")
	checkContiguous(t, nums, int64(1+accepted))
	// Each version is compatible with its predecessor: no finding, and
	// field counts only grow.
	for _, n := range nums[1:] {
		d, err := a.client("").Diff(ctx, connect.NewRequest(&v1.DiffRequest{Module: "acme/commerce", From: n - 1, To: n}))
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Msg.Findings) != 0 {
			t.Errorf("version %d breaks version %d: %v", n, n-1, d.Msg.Findings)
		}
		for _, c := range d.Msg.Changes {
			if c.Kind != "added" {
				t.Errorf("version %d after %d: %s %s", n, n-1, c.Kind, c.Description)
			}
		}
	}
	t.Logf("%d pushes over two processes: %d versions accepted, %d rejected as incompatible with a later version", pushes, accepted, rejected)
}
