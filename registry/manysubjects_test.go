package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// manySubjects returns a module of n messages, each declared a subject
// (events, pbtables and logs in turn), in one .proto file of about 125
// bytes per message: probe 8 of issue 8 at n = 8,000 is a 1 MB push.
func manySubjects(n int, extra string) []registry.File {
	var cfg, proto strings.Builder
	cfg.WriteString("version: v1\nmodule: acme/many\nroots: [proto]\nsubjects:\n")
	proto.WriteString("syntax = \"proto3\";\npackage acme.many.v1;\nimport \"google/protobuf/timestamp.proto\";\n\n")
	for i := range n {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&cfg, "  - message: acme.many.v1.M%d\n    kind: event\n", i)
		case 1:
			fmt.Fprintf(&cfg, "  - message: acme.many.v1.M%d\n    kind: pbtable\n    primary_key: [id]\n", i)
		default:
			fmt.Fprintf(&cfg, "  - message: acme.many.v1.M%d\n    kind: log\n", i)
		}
		fmt.Fprintf(&proto, "message M%d {\n  string id = 1;\n  string event_id = 2;\n  google.protobuf.Timestamp occurred_at = 3;\n  Shared shared = 4;\n%s}\n", i, extra)
	}
	proto.WriteString("message Shared {\n  string note = 1;\n}\n")
	return []registry.File{
		{Path: "pbregistry.yaml", Content: []byte(cfg.String())},
		{Path: "proto/acme/many/v1/many.proto", Content: []byte(proto.String())},
	}
}

func BenchmarkCheckManySubjects(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		for _, baseline := range []bool{false, true} {
			b.Run(fmt.Sprintf("subjects=%d/baseline=%v", n, baseline), func(b *testing.B) {
				s := newService(b)
				ctx := context.Background()
				if baseline {
					if _, _, _, err := s.Push(ctx, registry.PushRequest{Files: manySubjects(n, ""), Principal: "ci"}); err != nil {
						b.Fatal(err)
					}
				}
				files := manySubjects(n, "  string note = 5;\n")
				b.ResetTimer()
				for range b.N {
					v, err := s.CheckPush(ctx, registry.PushRequest{Files: files})
					if err != nil || !v.Accepted() {
						b.Fatalf("CheckPush: %v, %+v", err, v)
					}
				}
			})
		}
	}
}
