package submodule_test

import (
	"context"
	"testing"
)

// BenchmarkPublish measures one publication: a module version's files
// read from the store (SQLite), the tree written, main moved and two
// tags, on a repository growing by one commit per iteration.
func BenchmarkPublish(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.push()
		b.StartTimer()
		if _, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", int64(e.pushed))); err != nil {
			b.Fatal(err)
		}
	}
}
