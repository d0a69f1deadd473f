package kafkatest

import (
	"context"
	"net"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// registryd is a registryd serving on a real port over a fresh SQLite
// store, with one token that may register under every Confluent subject
// and one that may only read.
type registryd struct {
	url            string
	store          *sqlite.Store
	pusher, reader string
	adminToken     string
}

// start starts registryd until the test ends.
func start(t *testing.T) *registryd {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d := &registryd{store: store}
	var entries []auth.Entry
	for _, tok := range []struct {
		name  string
		scope string
		into  *string
	}{{"kafka", "push:confluent/**", &d.pusher}, {"reader", "read", &d.reader}, {"admin", "admin", &d.adminToken}} {
		token, e, err := auth.CreateToken(tok.name, []string{tok.scope})
		if err != nil {
			t.Fatal(err)
		}
		*tok.into = token
		entries = append(entries, e)
	}
	a := auth.New(&auth.TokensFile{Entries: entries}, auth.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{Store: store, Auth: a}).Handler()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	d.url = "http://" + ln.Addr().String()
	return d
}

// compile compiles .proto sources (by path) and returns the files.
func compile(t *testing.T, sources map[string]string, paths ...string) []protoreflect.FileDescriptor {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(sources),
	})}
	files, err := c.Compile(context.Background(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]protoreflect.FileDescriptor, len(files))
	for i, f := range files {
		out[i] = f
	}
	return out
}

// The test's schemas: orders imports money, a file of its own, which the
// serializers register as a reference.
var sources = map[string]string{
	"acme/common/v1/money.proto": `syntax = "proto3";
package acme.common.v1;
message Money {
  string currency = 1;
  int64 units = 2;
}
`,
	"acme/orders/v1/order.proto": `syntax = "proto3";
package acme.orders.v1;
import "acme/common/v1/money.proto";
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  acme.common.v1.Money total = 2;
  google.protobuf.Timestamp placed_at = 3;
}
message OrderCancelled {
  string id = 1;
  string reason = 2;
}
`,
}
