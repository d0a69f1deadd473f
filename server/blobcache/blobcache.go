// Package blobcache holds immutable byte blobs — a registry version's
// descriptor set, its files — in memory, bounded by bytes and evicted least
// recently used first, each with its content digest and a precompressed
// gzip form, so that a read serves stored bytes without a database query or
// a compression per request.
//
// Concurrent misses of one key load it once (singleflight); the loader runs
// detached from the caller's cancellation, so that one impatient caller
// does not fail the others waiting for the same key.
package blobcache

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"golang.org/x/sync/singleflight"
)

// entryOverhead is what an entry costs beyond its bytes, counted against
// the bound: key, list element, map slot and Blob header, rounded up.
const entryOverhead = 256

// MinGzipBytes is the smallest blob NewBlob precompresses: below it gzip's
// framing outweighs what it saves, and Connect does not compress either.
const MinGzipBytes = 1024

// Blob is one cached value. A Blob is never modified once built: callers
// must not write to Data or Gzip.
type Blob struct {
	// Data is the value's bytes, uncompressed.
	Data []byte
	// Gzip is Data gzip-compressed, or nil when Data is shorter than
	// MinGzipBytes or does not compress.
	Gzip []byte
	// Digest is "sha256:<hex>" of Data: what an HTTP ETag quotes.
	Digest string
	// ETag is Digest quoted: the strong HTTP entity tag of Data.
	ETag string
	// GzipETag is the strong entity tag of Gzip: Digest with "+gzip",
	// quoted. It names the same content in another representation.
	GzipETag string
	// Meta is whatever the caller stores along (for example the
	// version the bytes belong to); it must be immutable too.
	Meta any
	// Extra counts bytes Meta holds, for the bound.
	Extra int
}

// Size returns what the blob counts against a cache's bound, besides its
// key's length.
func (b *Blob) Size() int64 {
	return int64(len(b.Data) + len(b.Gzip) + b.Extra + entryOverhead)
}

// NewBlob returns a Blob of data with its digest and, when compress is set
// and data is at least MinGzipBytes and compresses, its gzip form. The
// caller sets Meta and Extra, if any.
func NewBlob(data []byte, compress bool) (*Blob, error) {
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	b := &Blob{Data: data, Digest: digest, ETag: `"` + digest + `"`, GzipETag: `"` + digest + `+gzip"`}
	if compress && len(data) >= MinGzipBytes {
		var buf bytes.Buffer
		buf.Grow(len(data) / 3)
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("blobcache: gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("blobcache: gzip: %w", err)
		}
		if buf.Len() < len(data) {
			b.Gzip = bytes.Clone(buf.Bytes())
		}
	}
	return b, nil
}

// Cache is a bounded LRU cache of Blobs by key. The zero value is not
// usable; build one with New. A Cache is safe for concurrent use.
type Cache struct {
	max    int64
	flight singleflight.Group

	mu      sync.Mutex
	size    int64
	order   *list.List // of *entry, most recently used first
	entries map[string]*list.Element
	hits    uint64
	misses  uint64
}

type entry struct {
	key  string
	blob *Blob
	size int64 // blob.Size() + len(key)
}

// New returns a cache holding at most maxBytes bytes of blobs (Blob.Size).
// maxBytes ≤ 0 returns a disabled cache: Get loads every time (still once
// for concurrent callers of one key) and keeps nothing.
func New(maxBytes int64) *Cache {
	return &Cache{max: max(maxBytes, 0), order: list.New(), entries: map[string]*list.Element{}}
}

// Enabled reports whether the cache keeps anything.
func (c *Cache) Enabled() bool { return c.max > 0 }

// MaxBytes returns the bound.
func (c *Cache) MaxBytes() int64 { return c.max }

// Stats are a cache's counters.
type Stats struct {
	// Bytes is what the entries count against the bound; never above it.
	Bytes int64
	// Entries is the number of entries.
	Entries int
	// Hits and Misses count Gets answered from the cache or not.
	Hits, Misses uint64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Bytes: c.size, Entries: len(c.entries), Hits: c.hits, Misses: c.misses}
}

// Peek returns the blob under key, if cached, marking it recently used.
func (c *Cache) Peek(key string) (*Blob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.hits++
		return el.Value.(*entry).blob, true
	}
	return nil, false
}

// Get returns the blob under key, calling load on a miss and keeping what
// it returns (unless it is larger than the whole bound). Concurrent Gets
// of one missing key call load once; each returns when the load ends or
// its own ctx is done, whichever is first. load's context carries ctx's
// values but not its cancellation. Errors are not cached.
func (c *Cache) Get(ctx context.Context, key string, load func(context.Context) (*Blob, error)) (*Blob, error) {
	if b, ok := c.Peek(key); ok {
		return b, nil
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		// A Get that finished loading the key just before this call's
		// Peek missed it has left it in the cache.
		c.mu.Lock()
		if el, ok := c.entries[key]; ok {
			c.mu.Unlock()
			return el.Value.(*entry).blob, nil
		}
		c.misses++
		c.mu.Unlock()
		b, err := load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, fmt.Errorf("blobcache: the loader of %q returned no blob and no error", key)
		}
		c.put(key, b)
		return b, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Blob), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put keeps b under key, evicting the least recently used entries until
// the cache is within its bound.
func (c *Cache) put(key string, b *Blob) {
	size := b.Size() + int64(len(key))
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.size -= el.Value.(*entry).size
		c.order.Remove(el)
		delete(c.entries, key)
	}
	for c.size+size > c.max {
		last := c.order.Back()
		e := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.entries, e.key)
		c.size -= e.size
	}
	c.entries[key] = c.order.PushFront(&entry{key: key, blob: b, size: size})
	c.size += size
}
