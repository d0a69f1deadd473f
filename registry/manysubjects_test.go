package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// manySubjects returns a module of n messages, each declared a subject
// (events, pbtables and logs in turn) and each holding a shared message, in
// one .proto file of about 150 bytes per message: probe 8 of issue 8 at
// n = 8,000 is a push of about 1 MB. idType is the type of each message's
// field 1; extra adds fields to each.
func manySubjects(n int, idType, extra string) []registry.File {
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
		fmt.Fprintf(&proto, "message M%d {\n  %s id = 1;\n  string event_id = 2;\n  google.protobuf.Timestamp occurred_at = 3;\n  Shared shared = 4;\n%s}\n", i, idType, extra)
	}
	proto.WriteString("message Shared {\n  string note = 1;\n}\n")
	return []registry.File{
		{Path: "pbregistry.yaml", Content: []byte(cfg.String())},
		{Path: "proto/acme/many/v1/many.proto", Content: []byte(proto.String())},
	}
}

// TestCheckLinearInSubjects is probe 8 of issue 8 (8,000 subjects in a
// 1 MB CheckPush took 9.5 s, checked once per subject over the whole
// schema): the check runs the subjects' rules once, whatever their number,
// and its work on scopes and on attributing findings grows in proportion to
// the subjects — measured with counters, not clocks. The change breaks
// every subject, so every subject's attribution is exercised.
func TestCheckLinearInSubjects(t *testing.T) {
	sizes := []int{500, 4000} // BenchmarkCheckManySubjects runs 8,000
	if testing.Short() {
		sizes = []int{125, 1000}
	}
	type work struct{ members, lookups, checks, blocking int }
	var got []work
	for _, n := range sizes {
		s := newService(t)
		ctx := context.Background()
		if _, _, _, err := s.Push(ctx, registry.PushRequest{Files: manySubjects(n, "string", ""), Principal: "ci"}); err != nil {
			t.Fatal(err)
		}
		v, err := s.CheckPush(ctx, registry.PushRequest{Files: manySubjects(n, "int32", "  string note = 5;\n")})
		if err != nil {
			t.Fatal(err)
		}
		var w work
		w.members, w.lookups, w.checks = registry.CheckWork(v)
		for _, f := range v.Findings {
			if f.Blocking() && f.Subject != "" {
				w.blocking++
			}
		}
		t.Logf("%d subjects: %d scope members, %d owner lookups, %d compat checks, %d blocking findings", n, w.members, w.lookups, w.checks, w.blocking)
		if w.blocking < n {
			t.Fatalf("%d subjects, each with its field 1 changed from string to int32: %d blocking findings, want at least one per subject", n, w.blocking)
		}
		if w.checks != 1 {
			t.Errorf("%d subjects: %d compat checks of the subjects' rules, want 1", n, w.checks)
		}
		got = append(got, w)
	}
	ratio := float64(sizes[1]) / float64(sizes[0])
	for _, c := range []struct {
		what  string
		small int
		large int
	}{
		{"scope members", got[0].members, got[1].members},
		{"owner lookups", got[0].lookups, got[1].lookups},
	} {
		if float64(c.large) > 1.1*ratio*float64(c.small) {
			t.Errorf("%s grew from %d to %d for %.0f× the subjects: more than linear", c.what, c.small, c.large, ratio)
		}
	}
}

// BenchmarkCheckManySubjects measures CheckPush of a module of 1,000 and
// 8,000 subjects, as a new module and against a baseline (the push adds a
// field to every message).
func BenchmarkCheckManySubjects(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		for _, baseline := range []bool{false, true} {
			b.Run(fmt.Sprintf("subjects=%d/baseline=%v", n, baseline), func(b *testing.B) {
				s := newService(b)
				ctx := context.Background()
				if baseline {
					if _, _, _, err := s.Push(ctx, registry.PushRequest{Files: manySubjects(n, "string", ""), Principal: "ci"}); err != nil {
						b.Fatal(err)
					}
				}
				files := manySubjects(n, "string", "  string note = 5;\n")
				b.ReportAllocs()
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
