package server

// DefaultCacheMaxBytes is the read cache's default bound: 256 MiB.
const DefaultCacheMaxBytes = 256 << 20

// CacheConfig configures the read cache: versions are immutable, so their
// descriptor sets and files are served from memory, with a precompressed
// gzip form, once read.
//
//	cache:
//	  max_bytes: 268435456   # bytes held at most; 0: 256 MiB; negative: no cache
type CacheConfig struct {
	// MaxBytes bounds what the cache holds (data, its gzip form and a
	// small per-entry overhead); 0 means DefaultCacheMaxBytes, a
	// negative value disables the cache.
	MaxBytes int64 `yaml:"max_bytes"`
}

// Bound returns the cache's bound in bytes: 0 when the cache is disabled.
func (c CacheConfig) Bound() int64 {
	switch {
	case c.MaxBytes < 0:
		return 0
	case c.MaxBytes == 0:
		return DefaultCacheMaxBytes
	}
	return c.MaxBytes
}
