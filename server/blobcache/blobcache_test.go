package blobcache_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbregistry/pbregistry/server/blobcache"
)

// loader returns a load function of n bytes of b that counts its calls.
func loader(calls *atomic.Int64, n int, b byte) func(context.Context) (*blobcache.Blob, error) {
	return func(context.Context) (*blobcache.Blob, error) {
		calls.Add(1)
		return blobcache.NewBlob(bytes.Repeat([]byte{b}, n), true)
	}
}

// TestNewBlob: the digest is SHA-256 of the bytes, the gzip form inflates
// to them, and small or incompressible data has no gzip form.
func TestNewBlob(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919>>3 ^ i*31)
	}
	sum := sha256.Sum256(random)
	for _, tc := range []struct {
		name     string
		data     []byte
		compress bool
		wantGzip bool
	}{
		{"compressible", bytes.Repeat([]byte("message Foo {}\n"), 200), true, true},
		{"compress off", bytes.Repeat([]byte("message Foo {}\n"), 200), false, false},
		{"small", []byte("tiny"), true, false},
		{"empty", nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := blobcache.NewBlob(tc.data, tc.compress)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tc.data)
			if want := "sha256:" + hex.EncodeToString(sum[:]); b.Digest != want || b.ETag != `"`+want+`"` || b.GzipETag != `"`+want+`+gzip"` {
				t.Errorf("digest %s, etags %s %s, want %s", b.Digest, b.ETag, b.GzipETag, want)
			}
			if (b.Gzip != nil) != tc.wantGzip {
				t.Fatalf("gzip form: %v, want %v", b.Gzip != nil, tc.wantGzip)
			}
			if b.Gzip != nil {
				zr, err := gzip.NewReader(bytes.NewReader(b.Gzip))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, tc.data) {
					t.Errorf("gzip form inflates to %d bytes (%v), want the %d bytes", len(got), err, len(tc.data))
				}
			}
		})
	}
	b, err := blobcache.NewBlob(random, true)
	if err != nil || b.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("NewBlob(random) = %v, %v", b, err)
	}
}

// TestBound fills the cache far past its size: the byte count never
// exceeds the bound, the least recently used entries go first, and a blob
// larger than the bound is returned but not kept.
func TestBound(t *testing.T) {
	const bound = 64 << 10
	c := blobcache.New(bound)
	ctx := context.Background()
	var calls atomic.Int64
	for i := range 200 {
		b, err := c.Get(ctx, fmt.Sprintf("k%d", i), loader(&calls, 3000+i*37, byte(i)))
		if err != nil || len(b.Data) != 3000+i*37 {
			t.Fatalf("Get k%d = %d bytes, %v", i, len(b.Data), err)
		}
		// k0 is used after every Get: it stays.
		if _, ok := c.Peek("k0"); !ok {
			t.Fatalf("after k%d, k0 (most recently used) was evicted", i)
		}
		if st := c.Stats(); st.Bytes > bound || st.Bytes <= 0 {
			t.Fatalf("after k%d: %d bytes held, bound %d", i, st.Bytes, bound)
		}
	}
	st := c.Stats()
	if st.Entries >= 200 || st.Entries < 2 {
		t.Errorf("%d entries after 200 Gets of ~10 KiB in %d bytes", st.Entries, bound)
	}
	if _, ok := c.Peek("k1"); ok {
		t.Error("k1, least recently used, is still cached")
	}
	if _, ok := c.Peek("k199"); !ok {
		t.Error("k199, just loaded, is not cached")
	}
	if calls.Load() != 200 {
		t.Errorf("%d loads for 200 distinct keys", calls.Load())
	}

	huge := make([]byte, bound+1)
	b, err := c.Get(ctx, "huge", func(context.Context) (*blobcache.Blob, error) { return blobcache.NewBlob(huge, false) })
	if err != nil || len(b.Data) != len(huge) {
		t.Fatalf("Get huge = %v", err)
	}
	if _, ok := c.Peek("huge"); ok {
		t.Error("a blob larger than the bound is cached")
	}
	if st := c.Stats(); st.Bytes > bound {
		t.Errorf("%d bytes held after the huge blob, bound %d", st.Bytes, bound)
	}
}

// TestSingleflight: many concurrent Gets of one missing key load it once
// and all get the same blob; a second round is all hits. Run with -race.
func TestSingleflight(t *testing.T) {
	c := blobcache.New(1 << 20)
	var calls atomic.Int64
	release := make(chan struct{})
	started := make(chan struct{})
	var once sync.Once
	load := func(context.Context) (*blobcache.Blob, error) {
		calls.Add(1)
		once.Do(func() { close(started) })
		<-release
		return blobcache.NewBlob(bytes.Repeat([]byte("x"), 5000), true)
	}
	const n = 32
	got := make([]*blobcache.Blob, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b, err := c.Get(context.Background(), "k", load)
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		})
	}
	<-started
	close(release)
	wg.Wait()
	// Gets that arrived after the load ended hit the cache; none loaded
	// again.
	if calls.Load() != 1 {
		t.Errorf("%d loads of one key by %d concurrent Gets, want 1", calls.Load(), n)
	}
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("Get %d returned another blob", i)
		}
	}
	// Mixed keys under contention, with eviction: every Get gets its
	// key's bytes.
	c = blobcache.New(40 << 10)
	for i := range 8 {
		wg.Go(func() {
			for j := range 300 {
				k := (i + j) % 24
				b, err := c.Get(context.Background(), fmt.Sprint(k), loader(&calls, 2000+k, byte(k)))
				if err != nil || len(b.Data) != 2000+k || b.Data[0] != byte(k) {
					t.Errorf("Get %d: %d bytes, %v", k, len(b.Data), err)
					return
				}
			}
		})
	}
	wg.Wait()
	if st := c.Stats(); st.Bytes > 40<<10 {
		t.Errorf("%d bytes held, bound %d", st.Bytes, 40<<10)
	}
}

// TestErrorsAndCancel: a failed load is not cached; a caller whose context
// ends stops waiting, while the load goes on for the others.
func TestErrorsAndCancel(t *testing.T) {
	c := blobcache.New(1 << 20)
	boom := errors.New("store down")
	if _, err := c.Get(context.Background(), "k", func(context.Context) (*blobcache.Blob, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Get = %v, want %v", err, boom)
	}
	var calls atomic.Int64
	if b, err := c.Get(context.Background(), "k", loader(&calls, 10, 'a')); err != nil || calls.Load() != 1 || string(b.Data) != "aaaaaaaaaa" {
		t.Fatalf("Get after a failed load = %v, %v (%d loads)", b, err, calls.Load())
	}
	if _, err := c.Get(context.Background(), "nil", func(context.Context) (*blobcache.Blob, error) { return nil, nil }); err == nil {
		t.Error("a loader returning nothing is not an error")
	}

	release := make(chan struct{})
	loading := make(chan struct{})
	load := func(ctx context.Context) (*blobcache.Blob, error) {
		close(loading)
		<-release
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the load was cancelled with its first caller: %w", ctx.Err())
		}
		return blobcache.NewBlob([]byte("done"), false)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, "slow", load)
		first <- err
	}()
	<-loading
	second := make(chan *blobcache.Blob, 1)
	go func() {
		b, err := c.Get(context.Background(), "slow", load)
		if err != nil {
			t.Error(err)
		}
		second <- b
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Get = %v, want context.Canceled", err)
	}
	close(release)
	if b := <-second; b == nil || string(b.Data) != "done" {
		t.Errorf("the other Get = %v", b)
	}
}

// TestDisabled: a cache of bound 0 keeps nothing and loads every time.
func TestDisabled(t *testing.T) {
	for _, bound := range []int64{0, -1} {
		c := blobcache.New(bound)
		var calls atomic.Int64
		for range 3 {
			if _, err := c.Get(context.Background(), "k", loader(&calls, 100, 'x')); err != nil {
				t.Fatal(err)
			}
		}
		if c.Enabled() || calls.Load() != 3 || c.Stats().Entries != 0 || c.Stats().Bytes != 0 {
			t.Errorf("bound %d: enabled %v, %d loads, %+v", bound, c.Enabled(), calls.Load(), c.Stats())
		}
	}
}
