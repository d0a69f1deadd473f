package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// TestReadCacheBound reads many versions' descriptor sets and files
// through a server whose cache is far smaller than all of them: the cache
// holds at most its bound, evicts, and every read still gets its own
// version's bytes; a server with the cache disabled holds nothing.
func TestReadCacheBound(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Dir(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const bound = 24 << 10
	s := New(Options{Store: store, Config: &Config{Cache: CacheConfig{MaxBytes: bound}}})
	off := New(Options{Store: store, Config: &Config{Cache: CacheConfig{MaxBytes: -1}}})
	const versions = 12
	for i := range versions {
		var b strings.Builder
		fmt.Fprintf(&b, "syntax = \"proto3\";\npackage acme.bound.v1;\n// version %d\n", i)
		for m := range 20 + 5*i {
			fmt.Fprintf(&b, "message M%d { string some_field = 1; int64 n = 2; }\n", m)
		}
		files := []registry.File{
			{Path: registry.ConfigFileName, Content: []byte("version: v1\nmodule: acme/bound\n")},
			{Path: "acme/bound/v1/bound.proto", Content: []byte(b.String())},
		}
		if _, _, _, err := s.service.Push(ctx, registry.PushRequest{Files: files, Principal: "test"}); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
	}
	total := 0
	for round := range 2 {
		for n := int64(1); n <= versions; n++ {
			v, b, err := s.descriptorSet(ctx, "acme/bound", n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := store.GetDescriptorSet(ctx, "acme/bound", n)
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != n || string(b.Data) != string(want) {
				t.Fatalf("round %d: version %d: got version %d's %d bytes, want %d", round, n, v.Number, len(b.Data), len(want))
			}
			fs, err := s.files(ctx, v)
			if err != nil || len(fs) != 2 || !strings.Contains(string(fs[0].Content), fmt.Sprintf("// version %d\n", n-1)) {
				t.Fatalf("round %d: files of version %d: %d files, %v", round, n, len(fs), err)
			}
			if round == 0 {
				total += len(b.Data) + len(b.Gzip) + len(fs[0].Content)
			}
			if st := s.readCache().Stats(); st.Bytes > bound {
				t.Fatalf("cache holds %d bytes, bound %d", st.Bytes, bound)
			}
			if _, _, err := off.descriptorSet(ctx, "acme/bound", n); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := s.readCache().Stats()
	if total <= 2*bound || st.Misses <= 3*versions {
		t.Errorf("%d bytes read through a %d-byte cache: %+v; want evictions (misses above %d)", total, bound, st, 3*versions)
	}
	// The version just read is still there: reading it again is a hit (its
	// bytes; its metadata is read from the store, as an admin may have
	// deleted it since).
	if _, _, err := s.descriptorSet(ctx, "acme/bound", versions); err != nil {
		t.Fatal(err)
	}
	if again := s.readCache().Stats(); again.Misses != st.Misses || again.Hits != st.Hits+1 {
		t.Errorf("re-reading the last version: %+v after %+v, want one hit (its bytes)", again, st)
	}
	if st := off.readCache().Stats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("disabled cache: %+v", st)
	}
}
