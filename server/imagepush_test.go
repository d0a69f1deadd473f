package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/server"
)

// pushImageOf compiles the module in dir into an image, as buf build
// would, and pushes that image with the module's files (pbregistry.yaml
// and the .proto files as its sources).
func pushImageOf(t *testing.T, c pbregistryv1connect.RegistryServiceClient, dir string) *v1.PushResponse {
	t.Helper()
	in, err := input.Load(context.Background(), dir, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := in.Image.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var fs []*v1.File
	for p, data := range readTree(t, dir) {
		fs = append(fs, &v1.File{Path: p, Content: data})
	}
	resp, err := c.Push(context.Background(), connect.NewRequest(&v1.PushRequest{Image: img, Files: fs}))
	if err != nil {
		t.Fatalf("image push of %s: %v", dir, err)
	}
	return resp.Msg
}

// TestImagePushLakehouse: modules pushed as images serve what the same
// modules pushed as sources serve — dbt projects and pbtable scripts
// byte for byte as pbcheck writes them (the golden files), their files
// and their descriptor set, over RPC and as a download.
func TestImagePushLakehouse(t *testing.T) {
	in := lakehouseServer(t, nil)
	c := in.client("")
	ctx := context.Background()
	shop := filepath.Join(lakehouseTestdata, "dbt", "testdata", "shop")
	pushImageOf(t, c, filepath.Join(shop, "v1"))
	if v := pushImageOf(t, c, filepath.Join(shop, "v2")); v.GetVersion().GetNumber() != 2 || !v.GetCreated() {
		t.Fatalf("second image push = version %d, created %v; want 2, created", v.GetVersion().GetNumber(), v.GetCreated())
	}
	if again := pushImageOf(t, c, filepath.Join(shop, "v2")); again.GetVersion().GetNumber() != 2 || again.GetCreated() {
		t.Errorf("the same image again = version %d, created %v; want 2, not created", again.GetVersion().GetNumber(), again.GetCreated())
	}
	resp, err := c.GetDbtProject(ctx, connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/shop", Version: 2, Dialect: "postgres"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := sameFiles(filesOf(resp.Msg.Files), readTree(t, filepath.Join(shop, "..", "golden", "postgres"))); d != "" {
		t.Errorf("dbt project of the image push differs from pbcheck dbt's output: %s", d)
	}
	mod, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/shop", Version: 2, IncludeFiles: true}))
	if err != nil {
		t.Fatal(err)
	}
	if d := sameFiles(filesOf(mod.Msg.Files), readTree(t, filepath.Join(shop, "v2"))); d != "" {
		t.Errorf("files of the image push differ from the module's: %s", d)
	}
	set, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/shop", Version: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := image.Decode(set.Msg.FileDescriptorSet); err != nil {
		t.Errorf("the descriptor set does not decode: %v", err)
	}
	dl, body := getTarball(t, in, "/modules/acme/shop/versions/2/image.binpb", "")
	if dl.StatusCode != http.StatusOK || !bytes.Equal(body, set.Msg.FileDescriptorSet) {
		t.Errorf("GET image.binpb = %d, %d bytes; want the descriptor set", dl.StatusCode, len(body))
	}

	orders := filepath.Join(lakehouseTestdata, "testdata", "orders")
	other := lakehouseServer(t, nil).client("")
	pushImageOf(t, other, filepath.Join(orders, "v1"))
	pushImageOf(t, other, filepath.Join(orders, "v2"))
	golden, err := os.ReadFile(filepath.Join(lakehouseTestdata, "testdata", "golden", "order_v1_v2.sql"))
	if err != nil {
		t.Fatal(err)
	}
	mig, err := other.GetPbtableMigration(ctx, connect.NewRequest(&v1.GetPbtableMigrationRequest{Module: "acme/shop", From: 1, To: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if mig.Msg.Script != string(golden) {
		t.Errorf("pbtable migration of the image pushes differs from order_v1_v2.sql:\n%s", mig.Msg.Script)
	}
}

// TestImagePushErrors: an image that is not one, or sources that do not
// describe it, get InvalidArgument from Push and CheckPush, with the
// reason; nothing is stored.
func TestImagePushErrors(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	ctx := context.Background()
	cfg := &v1.File{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: acme/images\n")}
	good, err := image.Encode(smallImage(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		image []byte
		files []*v1.File
		want  string
	}{
		{"garbage", []byte("\xff\xff\xff not an image"), []*v1.File{cfg}, "not a serialized FileDescriptorSet or buf image"},
		{"gzip bomb", gzipOf(t, make([]byte, 65<<20)), []*v1.File{cfg}, "decompresses to more than"},
		{"foreign source", good, []*v1.File{cfg, {Path: "acme/x/v1/x.proto", Content: []byte("syntax = \"proto3\";")}}, "is not a file of the image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Push(ctx, connect.NewRequest(&v1.PushRequest{Image: tc.image, Files: tc.files}))
			wantCode(t, "Push", err, connect.CodeInvalidArgument, tc.want)
			_, err = c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Image: tc.image, Files: tc.files}))
			wantCode(t, "CheckPush", err, connect.CodeInvalidArgument, tc.want)
		})
	}
	if _, err := c.ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: "acme/images"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("ListVersions after refused pushes: %v, want not found", err)
	}
	check, err := c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Image: good, Files: []*v1.File{cfg}}))
	if err != nil || !check.Msg.Accepted || !strings.HasPrefix(check.Msg.Digest, "sha256:") {
		t.Errorf("CheckPush of a good image = %v, %v", check.Msg, err)
	}
}

// gzipOf returns data gzip-compressed.
func gzipOf(t *testing.T, data []byte) []byte {
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

// smallImage compiles the quickstart module (files) into an image.
func smallImage(t *testing.T) *image.Image {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files("int64", "") {
		p := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := input.Load(context.Background(), dir, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return in.Image
}
