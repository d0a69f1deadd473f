package witness_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/witness"
)

// BenchmarkExplainLargeMessage: the witnesses of 20 deletions without
// reservation (conservative: every candidate is tried) in a message of
// 1,000 fields — the worst case a refused push pays for.
func BenchmarkExplainLargeMessage(b *testing.B) {
	src := func(from int) string {
		var sb strings.Builder
		sb.WriteString("syntax = \"proto3\";\npackage acme.v1;\nmessage M {\n")
		for i := from; i <= 1000; i++ {
			fmt.Fprintf(&sb, "  int64 f%d = %d;\n", i, i)
		}
		sb.WriteString("}\n")
		return sb.String()
	}
	load := func(text string) *input.Input {
		in, err := input.LoadFS(context.Background(), fstest.MapFS{"acme/v1/m.proto": {Data: []byte(text)}}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		return in
	}
	prev, curr := load(src(1)).Image, load(src(21)).Image
	findings, err := compat.Check(prev, curr, compat.Config{Use: []string{compat.CategoryWire}})
	if err != nil || len(findings) != 20 {
		b.Fatalf("%d findings, %v", len(findings), err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		witness.NewExplainer(prev, curr).ExplainAll(findings)
	}
}
