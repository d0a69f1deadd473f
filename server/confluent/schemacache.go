package confluent

import (
	"context"
	"sync"

	"github.com/pbregistry/pbregistry/registry"
)

// maxCachedSchemas bounds the schemas a Handler keeps in memory.
const maxCachedSchemas = 10000

// schemaCache keeps schemas read by id or digest. A schema never changes
// once it has an id (registry.SchemaIDStore gives an id to one content for
// good), so entries are never stale, whichever process wrote them: it
// spares the store the reads of every producer's start (GET
// /schemas/ids/{id}, registering a schema that exists).
type schemaCache struct {
	mu       sync.RWMutex
	byID     map[int64]registry.Schema
	byDigest map[string]int64
}

func newSchemaCache() *schemaCache {
	return &schemaCache{byID: map[int64]registry.Schema{}, byDigest: map[string]int64{}}
}

// put remembers sc; past maxCachedSchemas, the cache starts over.
func (c *schemaCache) put(sc registry.Schema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byID) >= maxCachedSchemas {
		c.byID, c.byDigest = map[int64]registry.Schema{}, map[string]int64{}
	}
	c.byID[sc.ID] = sc
	c.byDigest[sc.Digest] = sc.ID
}

// schema returns the schema with id, from the cache or the store.
func (h *Handler) schema(ctx context.Context, id int64) (registry.Schema, error) {
	h.schemas.mu.RLock()
	sc, ok := h.schemas.byID[id]
	h.schemas.mu.RUnlock()
	if ok {
		return sc, nil
	}
	sc, err := h.ids.GetSchema(ctx, id)
	if err != nil {
		return sc, err
	}
	h.schemas.put(sc)
	return sc, nil
}

// schemaByDigest returns the schema with digest, from the cache or the
// store.
func (h *Handler) schemaByDigest(ctx context.Context, digest string) (registry.Schema, error) {
	h.schemas.mu.RLock()
	id, ok := h.schemas.byDigest[digest]
	sc := h.schemas.byID[id]
	h.schemas.mu.RUnlock()
	if ok {
		return sc, nil
	}
	sc, err := h.ids.GetSchemaByDigest(ctx, digest)
	if err != nil {
		return sc, err
	}
	h.schemas.put(sc)
	return sc, nil
}
