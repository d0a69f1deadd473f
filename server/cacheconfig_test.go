package server_test

import (
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/server"
)

// TestCacheConfig: cache.max_bytes parses; 0 or absent is the default,
// negative disables the cache; a wrong key or type is an error naming it.
func TestCacheConfig(t *testing.T) {
	for _, tc := range []struct {
		yaml    string
		want    int64
		wantErr string
	}{
		{"", server.DefaultCacheMaxBytes, ""},
		{"cache: {}", server.DefaultCacheMaxBytes, ""},
		{"cache:\n  max_bytes: 0", server.DefaultCacheMaxBytes, ""},
		{"cache:\n  max_bytes: 1048576", 1 << 20, ""},
		{"cache:\n  max_bytes: -1", 0, ""},
		{"cache:\n  max_byte: 5", 0, "max_byte"},
		{"cache:\n  max_bytes: lots", 0, "lots"},
	} {
		c, err := server.ParseConfig("registryd.yaml", []byte(tc.yaml))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "registryd.yaml") {
				t.Errorf("%q: err = %v, want one naming %q and the file", tc.yaml, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.Cache.Bound() != tc.want {
			t.Errorf("%q: bound %d, %v; want %d", tc.yaml, c.Cache.Bound(), err, tc.want)
		}
	}
}
