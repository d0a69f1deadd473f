package postgres_test

import (
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

func TestSchemaIDs(t *testing.T) {
	storetest.RunSchemaIDs(t, func(t *testing.T) registry.Store {
		return open(t, freshSchema(t), postgres.Options{MaxConns: 4})
	})
}
