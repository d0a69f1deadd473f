package sqlite_test

import (
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/registry/storetest"
)

func TestSchemaIDs(t *testing.T) {
	storetest.RunSchemaIDs(t, func(t *testing.T) registry.Store {
		s, _ := open(t, sqlite.Options{})
		return s
	})
}
