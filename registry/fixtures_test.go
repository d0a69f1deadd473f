package registry_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pbregistry/pbregistry/registry"
)

// pushFixtures pushes the billing module with the given Invoice fields and
// extra files (fixtures).
func pushFixtures(t *testing.T, s *registry.Service, invoice string, extra ...registry.File) (registry.Version, *registry.Verdict, error) {
	t.Helper()
	files := append(module(billingConfig, billingProto(invoice, "", "")), extra...)
	v, _, verdict, err := s.Push(context.Background(), registry.PushRequest{
		Files: files, Principal: "ci@acme", Build: registry.BuildInfo{Commit: "abc123"},
	})
	return v, verdict, err
}

func fixture(p, content string) registry.File {
	return registry.File{Path: p, Content: []byte(content)}
}

func TestFixturesAcceptedAndStored(t *testing.T) {
	s := newService(t)
	bin := protowire.AppendTag(nil, 1, protowire.BytesType)
	bin = protowire.AppendString(bin, "inv-2")
	bin = protowire.AppendTag(bin, 2, protowire.VarintType)
	bin = protowire.AppendVarint(bin, 7)
	v, _, err := pushFixtures(t, s, "int64 amount = 2;",
		fixture("testdata/acme.billing.v1.Invoice/one.json", `{"id":"inv-1","amount":"12"}`),
		registry.File{Path: "testdata/acme.billing.v1.Invoice/two.binpb", Content: bin})
	if err != nil {
		t.Fatal(err)
	}
	files, err := s.Store().GetFiles(context.Background(), "acme/billing", v.Number)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		if strings.HasPrefix(f.Path, "testdata/") {
			got = append(got, f.Path)
		}
	}
	if strings.Join(got, ",") != "testdata/acme.billing.v1.Invoice/one.json,testdata/acme.billing.v1.Invoice/two.binpb" {
		t.Fatalf("stored fixtures = %v", got)
	}
}

func TestFixturesRefused(t *testing.T) {
	unknownBin := protowire.AppendTag(nil, 9, protowire.VarintType)
	unknownBin = protowire.AppendVarint(unknownBin, 1)
	tests := []struct {
		name    string
		file    registry.File
		wantErr []string
	}{
		{"bad JSON", fixture("testdata/acme.billing.v1.Invoice/a.json", `{"id":`), []string{"testdata/acme.billing.v1.Invoice/a.json", "does not parse as acme.billing.v1.Invoice"}},
		{"wrong type", fixture("testdata/acme.billing.v1.Invoice/a.json", `{"id":"x","amount":"twelve"}`), []string{"testdata/acme.billing.v1.Invoice/a.json", "amount"}},
		{"unknown JSON field", fixture("testdata/acme.billing.v1.Invoice/a.json", `{"id":"x","colour":"red"}`), []string{"a.json", "colour"}},
		{"unknown binary field", registry.File{Path: "testdata/acme.billing.v1.Invoice/a.binpb", Content: unknownBin}, []string{"a.binpb", "does not declare"}},
		{"bad binary", registry.File{Path: "testdata/acme.billing.v1.Invoice/a.binpb", Content: []byte{0x0a, 0x05, 'x'}}, []string{"a.binpb", "does not parse"}},
		{"unknown subject dir", fixture("testdata/acme.billing.v1.Nope/a.json", `{}`), []string{"testdata/acme.billing.v1.Nope/a.json", "is not a subject of module acme/billing"}},
		{"misplaced fixture", fixture("testdata/a.json", `{}`), []string{"testdata/a.json", "neither a .proto file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			_, _, err := pushFixtures(t, s, "int64 amount = 2;", tt.file)
			if !errors.Is(err, registry.ErrInvalidArgument) {
				t.Fatalf("err = %v, want invalid argument", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
			if _, err := s.Store().GetModule(context.Background(), "acme/billing"); !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("module stored after a refused push: %v", err)
			}
		})
	}
}

func TestFixtureStillParses(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	old := fixture("testdata/acme.billing.v1.Invoice/one.json", `{"id":"inv-1","amount":"12"}`)
	if _, _, err := pushFixtures(t, s, "int64 amount = 2;", old); err != nil {
		t.Fatal(err)
	}
	// Unchanged fixtures under a compatible change: accepted, the fixture carried on.
	if _, _, err := pushFixtures(t, s, "int64 amount = 2;\n  string note = 3;", old); err != nil {
		t.Fatal(err)
	}
	// The push drops the fixture and changes amount's type: the old
	// fixture ({"amount":"12"}) no longer parses. Every blocking finding
	// (the type change's too) is approved by an exception, as any finding.
	files := module(billingConfig, billingProto("bool amount = 2;\n  string note = 3;", "", ""))
	req := registry.PushRequest{Files: files, Principal: "ci@acme", Build: registry.BuildInfo{Commit: "def456"}}
	_, _, verdict, err := s.Push(ctx, req)
	if !errors.Is(err, registry.ErrRejected) {
		t.Fatalf("err = %v, want rejected", err)
	}
	var fixtureFindings []registry.Finding
	for _, f := range verdict.Findings {
		if !f.Blocking() {
			continue
		}
		if f.Rule == registry.RuleFixtureStillParses {
			fixtureFindings = append(fixtureFindings, f)
		}
		if _, err := s.ApproveException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: verdict.Digest,
			Rule: f.Rule, Element: f.Element, Reason: "amounts become flags; the old fixture is obsolete", Principal: "lead@acme"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(fixtureFindings) != 1 {
		t.Fatalf("findings = %+v, want one %s finding", verdict.Findings, registry.RuleFixtureStillParses)
	}
	if f := fixtureFindings[0]; f.Element != "acme.billing.v1.Invoice" || f.Location.Path != old.Path || !strings.Contains(f.Message, "of version 2 no longer parses") {
		t.Fatalf("finding = %+v, want one on %s", f, old.Path)
	}
	if _, created, _, err := s.Push(ctx, req); err != nil || !created {
		t.Fatalf("push with the exception: created %v, err %v", created, err)
	}
}

// TestImagePushFixtures: an image push's fixtures are checked as a source
// push's: a good one is stored, a bad one refuses the push naming it.
func TestImagePushFixtures(t *testing.T) {
	ctx := context.Background()
	src := newService(t)
	v, _, err := pushFixtures(t, src, "int64 amount = 2;")
	if err != nil {
		t.Fatal(err)
	}
	img, err := src.Store().GetDescriptorSet(ctx, "acme/billing", v.Number)
	if err != nil {
		t.Fatal(err)
	}
	cfg := registry.File{Path: "pbregistry.yaml", Content: []byte(billingConfig)}
	tests := []struct {
		name    string
		fixture string
		wantErr string
	}{
		{"good", `{"id":"inv-1","amount":"12"}`, ""},
		{"bad", `{"id":"inv-1","amount":true}`, "fixture testdata/acme.billing.v1.Invoice/one.json does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			v, _, _, err := s.Push(ctx, registry.PushRequest{Image: img, Principal: "ci@acme", Files: []registry.File{cfg,
				fixture("testdata/acme.billing.v1.Invoice/one.json", tt.fixture)}})
			if tt.wantErr != "" {
				if !errors.Is(err, registry.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			files, err := s.Store().GetFiles(ctx, "acme/billing", v.Number)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(files, func(f registry.File) bool { return f.Path == "testdata/acme.billing.v1.Invoice/one.json" }) {
				t.Errorf("stored files %v lack the fixture", files)
			}
		})
	}
}
