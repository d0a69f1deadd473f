package registry_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// editionsDir is the Edition 2024 corpus (testdata/editions/README.md):
// a module before and after breaking changes, in Edition 2024 and 2023,
// with the images buf built of each.
const editionsDir = "../testdata/editions"

// imageStores are the store backends image pushes are tested on.
var imageStores = []struct {
	name string
	open func(t *testing.T) registry.Store
}{
	{"sqlite", func(t *testing.T) registry.Store {
		s, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) registry.Store {
		dsn, _ := pgtest.Schema(t, "pbregistry_imagepush_")
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// editionImage returns a corpus image ("2024", "before"), decompressed.
func editionImage(t testing.TB, edition, side string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(editionsDir, edition, side+".binpb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// editionSources returns the .proto files of a corpus directory, at their
// paths relative to it (its buf.yaml makes it the root).
func editionSources(t testing.TB, edition, side string) []registry.File {
	t.Helper()
	dir := filepath.Join(editionsDir, edition, side)
	var out []registry.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".proto") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, registry.File{Path: filepath.ToSlash(rel), Content: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editionsConfig is the corpus module's pbregistry.yaml with the
// breaking: rules of category.
func editionsConfig(module, category string) registry.File {
	return registry.File{Path: registry.ConfigFileName, Content: []byte(fmt.Sprintf(
		"version: v1\nmodule: %s\nbreaking:\n  use: [%s]\n", module, category))}
}

// gz returns data gzip-compressed.
func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// findingLines reduces findings to sorted "path:line:RULE" lines.
func findingLines(fs []registry.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d:%s", f.Location.Path, f.Location.StartLine, f.Rule))
		for _, also := range f.Also {
			out = append(out, fmt.Sprintf("%s:%d:%s", f.Location.Path, f.Location.StartLine, also))
		}
	}
	slices.Sort(out)
	return out
}

// TestImagePushEdition2024: the Edition 2024 images buf built are pushed
// (v1, then the breaking v2) on both stores; the v2 push is rejected with
// the findings of the corpus at WIRE, WIRE_JSON and FILE, which
// cmd/pbcheck's TestImagePushMatchesBuf compares with buf breaking. The
// same image pushed again — compressed or not, its files in another
// order, without buf's extension — is the version already stored. The
// stored version serves every later reader: its sources, its descriptor
// set (the canonical image) and a diff.
func TestImagePushEdition2024(t *testing.T) {
	want := map[string][]string{
		"WIRE": {"acme/billing/v1/invoice.proto:12:FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"},
		"WIRE_JSON": {
			"acme/billing/v1/invoice.proto:12:FIELD_NO_DELETE_UNLESS_NAME_RESERVED", "acme/billing/v1/invoice.proto:12:FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
			"acme/billing/v1/invoice.proto:15:FIELD_WIRE_JSON_COMPATIBLE_TYPE", "acme/billing/v1/invoice.proto:16:FIELD_SAME_JSON_NAME",
			"acme/billing/v1/invoice.proto:16:FIELD_SAME_NAME", "acme/billing/v1/invoice.proto:22:FIELD_WIRE_JSON_COMPATIBLE_TYPE",
		},
		"FILE": {
			"acme/billing/v1/invoice.proto:12:FIELD_NO_DELETE", "acme/billing/v1/invoice.proto:14:FIELD_SAME_CPP_STRING_TYPE",
			"acme/billing/v1/invoice.proto:15:FIELD_SAME_TYPE", "acme/billing/v1/invoice.proto:16:FIELD_SAME_CPP_STRING_TYPE",
			"acme/billing/v1/invoice.proto:16:FIELD_SAME_JSON_NAME", "acme/billing/v1/invoice.proto:16:FIELD_SAME_NAME",
			"acme/billing/v1/invoice.proto:1:MESSAGE_NO_DELETE", "acme/billing/v1/invoice.proto:22:FIELD_SAME_TYPE",
			"acme/billing/v1/invoice.proto:29:ENUM_SAME_TYPE", "acme/options/v1/options.proto:10:FIELD_SAME_CARDINALITY",
		},
	}
	before, after := editionImage(t, "2024", "before"), editionImage(t, "2024", "after")
	ctx := context.Background()
	for _, st := range imageStores {
		t.Run(st.name, func(t *testing.T) {
			for _, category := range []string{"WIRE", "WIRE_JSON", "FILE"} {
				t.Run(category, func(t *testing.T) {
					store := st.open(t)
					s := registry.NewService(store, compose(registry.ServiceOptions{}))
					module := "acme/editions"
					cfg := editionsConfig(module, category)
					req := func(img []byte, files ...registry.File) registry.PushRequest {
						return registry.PushRequest{Image: img, Files: append([]registry.File{cfg}, files...), Principal: "ci@acme"}
					}
					v1, created, _, err := s.Push(ctx, req(before, editionSources(t, "2024", "before")...))
					if err != nil || !created || v1.Number != 1 {
						t.Fatalf("push v1 = %+v, %v, %v", v1, created, err)
					}
					// Idempotent: the same image, compressed, is version 1.
					again, created, _, err := s.Push(ctx, req(gz(t, before), editionSources(t, "2024", "before")...))
					if err != nil || created || again.Number != 1 || again.Digest != v1.Digest {
						t.Fatalf("push v1 again = %+v, %v, %v; want version 1, not created", again, created, err)
					}
					// The stored sources and canonical image.
					files, err := store.GetFiles(ctx, module, 1)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := len(files), len(editionSources(t, "2024", "before")); got != want {
						t.Errorf("stored %d files, want the %d sources", got, want)
					}
					set, err := store.GetDescriptorSet(ctx, module, 1)
					if err != nil {
						t.Fatal(err)
					}
					img, err := image.Decode(set)
					if err != nil {
						t.Fatalf("stored descriptor set: %v", err)
					}
					if f := img.File("acme/billing/v1/invoice.proto"); f == nil || f.IsImport || !img.File("google/protobuf/cpp_features.proto").IsImport {
						t.Errorf("stored image: invoice.proto input, cpp_features.proto import expected")
					}

					// The breaking v2: CheckPush and Push give the same verdict.
					cv, err := s.CheckPush(ctx, req(after, editionSources(t, "2024", "after")...))
					if err != nil {
						t.Fatal(err)
					}
					if cv.Accepted() || cv.Baseline != 1 {
						t.Errorf("CheckPush v2: accepted %v against %d, want rejected against 1", cv.Accepted(), cv.Baseline)
					}
					_, _, v, err := s.Push(ctx, req(after, editionSources(t, "2024", "after")...))
					if !errors.Is(err, registry.ErrRejected) {
						t.Fatalf("push v2: %v, want rejected", err)
					}
					if got := findingLines(v.Findings); !slices.Equal(got, want[category]) {
						t.Errorf("push v2 findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want[category], "\n"))
					}
					if got := findingLines(cv.Findings); !slices.Equal(got, want[category]) {
						t.Errorf("CheckPush v2 findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want[category], "\n"))
					}
					// Without sources, an image push is accepted on its own
					// (a module with no rules to break).
					bare := registry.PushRequest{Module: "acme/bare", Image: after, Principal: "ci@acme"}
					bv, created, _, err := s.Push(ctx, bare)
					if err != nil || !created {
						t.Fatalf("push without sources = %+v, %v, %v", bv, created, err)
					}
					if files, err := store.GetFiles(ctx, "acme/bare", 1); err != nil || len(files) != 0 {
						t.Errorf("files of a push without sources = %v, %v; want none", files, err)
					}
					// Its diff against a version pushed from another image works
					// from the stored descriptor sets.
					if _, _, _, err := s.Push(ctx, registry.PushRequest{Module: "acme/bare", Image: before, Principal: "ci@acme"}); err != nil && !errors.Is(err, registry.ErrRejected) {
						t.Fatal(err)
					}
					if _, _, _, err := s.Diff(ctx, "acme/bare", 1, 1); err != nil {
						t.Errorf("Diff: %v", err)
					}
				})
			}
		})
	}
}

// TestImagePushCanonical: the digest of an image push does not depend on
// how the image was written — compressed or not, its files in any order,
// with buf's extension or as protoc writes it (with or without sources,
// under a root or not) — and it changes with the sources sent.
func TestImagePushCanonical(t *testing.T) {
	ctx := context.Background()
	before := editionImage(t, "2024", "before")
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(before, &set); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(set.File)
	reversed, err := proto.Marshal(&set)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.File {
		f.ProtoReflect().SetUnknown(nil) // protoc writes no buf extension
	}
	protoc, err := proto.Marshal(&set)
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t)
	cfg := editionsConfig("acme/editions", "FILE")
	var digest string
	for i, img := range [][]byte{before, gz(t, before), reversed, gz(t, reversed), protoc} {
		v, err := s.CheckPush(ctx, registry.PushRequest{Image: img, Files: []registry.File{cfg}})
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if i == 0 {
			digest = v.Digest
		} else if v.Digest != digest {
			t.Errorf("image %d: digest %s, want %s", i, v.Digest, digest)
		}
	}
	// Pushed with its sources, the image is other content than without.
	withSources, err := s.CheckPush(ctx, registry.PushRequest{Image: before, Files: append([]registry.File{cfg}, editionSources(t, "2024", "before")...)})
	if err != nil {
		t.Fatal(err)
	}
	if withSources.Digest == digest {
		t.Errorf("an image with and without sources have the same digest")
	}
	// protoc's descriptor set with the sources under a root: the files
	// without a source are the imports, as buf says.
	var rooted []registry.File
	for _, f := range editionSources(t, "2024", "before") {
		rooted = append(rooted, registry.File{Path: "proto/" + f.Path, Content: f.Content})
	}
	fromBuf, err := s.CheckPush(ctx, registry.PushRequest{Image: before, Files: append([]registry.File{cfg}, rooted...)})
	if err != nil {
		t.Fatal(err)
	}
	fromProtoc, err := s.CheckPush(ctx, registry.PushRequest{Image: protoc, Files: append([]registry.File{cfg}, rooted...)})
	if err != nil {
		t.Fatal(err)
	}
	if fromBuf.Digest != fromProtoc.Digest {
		t.Errorf("with sources, protoc's descriptor set has digest %s, buf's image %s", fromProtoc.Digest, fromBuf.Digest)
	}
}

// TestImagePushMatchesSourcePush: an image push of the Edition 2023
// module gets the verdicts and findings of the source push of the same
// module, at each category of the module's rules and with a pbtable
// subject (its own level and rules, the built-in policies): the breaking
// version is rejected by both with the same findings; with exceptions an
// admin approves for each push's digest, both are accepted as version 2
// and record the same ledger.
func TestImagePushMatchesSourcePush(t *testing.T) {
	ctx := context.Background()
	for _, st := range imageStores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			s := registry.NewService(store, compose(registry.ServiceOptions{}))
			for _, category := range []string{"WIRE", "WIRE_JSON", "FILE", "PACKAGE"} {
				t.Run(category, func(t *testing.T) {
					suffix := strings.ToLower(strings.ReplaceAll(category, "_", ""))
					modules := []string{"acme/src" + suffix, "acme/img" + suffix}
					request := func(module, side string) registry.PushRequest {
						cfg := editionsConfig(module, category)
						cfg.Content = append(cfg.Content, "subjects:\n  - message: acme.billing.v1.Invoice\n    kind: pbtable\n    primary_key: [id]\n"...)
						req := registry.PushRequest{Files: append([]registry.File{cfg}, editionSources(t, "2023", side)...), Principal: "ci@acme"}
						if strings.HasPrefix(module, "acme/img") {
							req.Image = editionImage(t, "2023", side)
						}
						return req
					}
					var findings [2][][]string
					var rejected [2]*registry.Verdict
					for _, side := range []string{"before", "after"} {
						var errs [2]error
						for i, module := range modules {
							_, _, v, err := s.Push(ctx, request(module, side))
							errs[i] = err
							findings[i] = append(findings[i], findingLines(v.Findings))
							if err != nil {
								rejected[i] = v
							}
						}
						if (errs[0] == nil) != (errs[1] == nil) || errs[0] != nil && !errors.Is(errs[0], registry.ErrRejected) {
							t.Fatalf("%s: source push: %v; image push: %v", side, errs[0], errs[1])
						}
					}
					if len(findings[0][1]) == 0 || rejected[0] == nil {
						t.Fatalf("the source push of the breaking version was accepted, findings %v", findings[0][1])
					}
					for n := range findings[0] {
						if !slices.Equal(findings[0][n], findings[1][n]) {
							t.Errorf("push %d: image findings:\n%s\nsource findings:\n%s", n+1, strings.Join(findings[1][n], "\n"), strings.Join(findings[0][n], "\n"))
						}
					}
					if rejected[0].Digest == rejected[1].Digest {
						t.Errorf("the source and image pushes have the same digest")
					}
					var ledgers [2][]string
					for i, module := range modules {
						for _, f := range rejected[i].Findings {
							if !f.Blocking() {
								continue
							}
							if _, err := s.ApproveException(ctx, registry.ExceptionSpec{Module: module, Digest: rejected[i].Digest, Rule: f.Rule,
								Element: f.Element, Reason: "test", Principal: "admin@acme"}); err != nil {
								t.Fatal(err)
							}
						}
						v, created, _, err := s.Push(ctx, request(module, "after"))
						if err != nil || !created || v.Number != 2 {
							t.Fatalf("%s with exceptions = %+v, %v, %v; want version 2", module, v, created, err)
						}
						entries, err := store.Ledger(ctx, registry.LedgerQuery{Module: module, Subject: "acme.billing.v1.Invoice"})
						if err != nil {
							t.Fatal(err)
						}
						for _, e := range entries {
							ledgers[i] = append(ledgers[i], fmt.Sprintf("%s %s %s %s v%d", e.Scope, e.Kind, e.Key, e.Meaning, e.FirstVersion))
						}
						slices.Sort(ledgers[i])
					}
					if len(ledgers[0]) == 0 || !slices.Equal(ledgers[0], ledgers[1]) {
						t.Errorf("image push ledger:\n%s\nsource push ledger:\n%s", strings.Join(ledgers[1], "\n"), strings.Join(ledgers[0], "\n"))
					}
				})
			}
		})
	}
}

// TestImagePushHostile: a malformed or hostile image, or sources that do
// not describe it, get an invalid-argument error saying what is wrong,
// and change nothing: the module keeps its one version and the outbox its
// one event.
func TestImagePushHostile(t *testing.T) {
	ctx := context.Background()
	before := editionImage(t, "2024", "before")
	mutate := func(f func(set *descriptorpb.FileDescriptorSet)) []byte {
		var set descriptorpb.FileDescriptorSet
		if err := proto.Unmarshal(before, &set); err != nil {
			t.Fatal(err)
		}
		f(&set)
		data, err := proto.Marshal(&set)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	file := func(set *descriptorpb.FileDescriptorSet, name string) *descriptorpb.FileDescriptorProto {
		for _, f := range set.File {
			if f.GetName() == name {
				return f
			}
		}
		t.Fatalf("no file %s in the image", name)
		return nil
	}
	const invoice = "acme/billing/v1/invoice.proto"
	hugeSourceInfo := mutate(func(set *descriptorpb.FileDescriptorSet) {
		sci := &descriptorpb.SourceCodeInfo{}
		for range image.DefaultLimits.MaxSourceLocations + 1 {
			sci.Location = append(sci.Location, &descriptorpb.SourceCodeInfo_Location{})
		}
		file(set, invoice).SourceCodeInfo = sci
	})
	bomb := gz(t, make([]byte, registry.DefaultLimits.MaxTotalBytes+1))
	tests := []struct {
		name  string
		image []byte
		files []registry.File
		want  string
	}{
		{"garbage", []byte("\xff\xff\xff\xff not an image"), nil, "not a serialized FileDescriptorSet or buf image"},
		{"not gzip", []byte{0x1f, 0x8b, 0, 0}, nil, "starts like gzip data but is not"},
		{"gzip bomb", bomb, nil, fmt.Sprintf("decompresses to more than %d bytes", registry.DefaultLimits.MaxTotalBytes)},
		{"too large", make([]byte, registry.DefaultLimits.MaxTotalBytes+1), nil, "limits.max_total_bytes"},
		{"unknown edition", mutate(func(set *descriptorpb.FileDescriptorSet) {
			file(set, invoice).Edition = descriptorpb.Edition(2031).Enum()
		}), nil, `file "acme/billing/v1/invoice.proto": has edition number 2031, unknown to this build`},
		{"missing dependency", mutate(func(set *descriptorpb.FileDescriptorSet) {
			set.File = slices.DeleteFunc(set.File, func(f *descriptorpb.FileDescriptorProto) bool { return f.GetName() == "acme/options/v1/options.proto" })
		}), nil, `imports "acme/options/v1/options.proto" with import option, which is not in the image`},
		{"duplicate file", mutate(func(set *descriptorpb.FileDescriptorSet) {
			set.File = append(set.File, proto.Clone(file(set, invoice)).(*descriptorpb.FileDescriptorProto))
		}), nil, `file "acme/billing/v1/invoice.proto": appears twice`},
		{"huge source info", hugeSourceInfo, nil, "source locations, the limit"},
		{"all imports", mutate(func(set *descriptorpb.FileDescriptorSet) {
			set.File = slices.DeleteFunc(set.File, func(f *descriptorpb.FileDescriptorProto) bool {
				return !strings.HasPrefix(f.GetName(), "google/")
			})
		}), nil, "every file of the image is an import"},
		{"source of no file", before, []registry.File{{Path: "acme/billing/v1/other.proto", Content: []byte("edition = \"2024\";")}},
			"source acme/billing/v1/other.proto is not a file of the image"},
		{"sources missing", before, []registry.File{{Path: "proto/acme/billing/v1/invoice.proto", Content: []byte("edition = \"2024\";")}},
			"the image's file acme/options/v1/options.proto has no source among the files sent"},
		{"source of an import", before, append(editionSources(t, "2024", "before"), registry.File{Path: "google/protobuf/cpp_features.proto", Content: []byte("x")}),
			"which the image marks as an import"},
	}
	for _, st := range imageStores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			s := registry.NewService(store, compose(registry.ServiceOptions{}))
			cfg := editionsConfig("acme/editions", "FILE")
			if _, _, _, err := s.Push(ctx, registry.PushRequest{Image: before, Files: []registry.File{cfg}, Principal: "ci@acme"}); err != nil {
				t.Fatal(err)
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					req := registry.PushRequest{Image: tc.image, Files: append([]registry.File{cfg}, tc.files...), Principal: "ci@acme"}
					_, _, _, err := s.Push(ctx, req)
					if !errors.Is(err, registry.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
						t.Errorf("Push: %v\nwant an invalid argument saying %q", err, tc.want)
					}
					if _, err := s.CheckPush(ctx, req); !errors.Is(err, registry.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
						t.Errorf("CheckPush: %v\nwant an invalid argument saying %q", err, tc.want)
					}
				})
			}
			versions, err := store.ListVersions(ctx, "acme/editions", registry.PageRequest{})
			if err != nil || len(versions.Items) != 1 {
				t.Errorf("versions = %d, %v; want the first push's only", len(versions.Items), err)
			}
			if _, err := store.RegisterConsumer(ctx, "imagetest", true); err != nil {
				t.Fatal(err)
			}
			events, err := store.ClaimOutbox(ctx, registry.OutboxClaim{Consumer: "imagetest", Worker: "test", Limit: 100, Lease: time.Minute})
			if err != nil || len(events) != 1 {
				t.Errorf("outbox = %d events, %v; want the first push's only", len(events), err)
			}
		})
	}
}
