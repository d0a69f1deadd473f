package main

import (
	"context"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// startLakehouseRegistry serves registryd on SQLite with the built-in
// event policies off (the lakehouse test modules' event has neither
// event_id nor occurred_at), pushes each module directory of dirs in
// order, and returns its URL.
func startLakehouseRegistry(t *testing.T, dirs ...string) string {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := server.ParseConfig("registryd.yaml", []byte("policies:\n  - {name: EVENT_ID_FIELD, disabled: true}\n  - {name: EVENT_OCCURRED_AT, disabled: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{Store: store, Config: cfg}).Handler()) }()
	t.Cleanup(func() {
		cancel()
		<-done
		store.Close()
	})
	url := "http://" + ln.Addr().String()
	c := pbregistryv1connect.NewRegistryServiceClient(http.DefaultClient, url)
	for _, dir := range dirs {
		var files []*v1.File
		for p, data := range readDir(t, dir) {
			files = append(files, &v1.File{Path: p, Content: data})
		}
		if _, err := c.Push(context.Background(), connect.NewRequest(&v1.PushRequest{Files: files})); err != nil {
			t.Fatalf("push %s: %v", dir, err)
		}
	}
	return url
}

// readDir returns the files under dir by slash path relative to dir.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDbtRegistry: pbcheck dbt --registry writes, byte for byte, the
// project pbcheck dbt writes offline from the same two versions with
// --history v1 --module-version 2, for every dialect, at @2 and at latest.
func TestDbtRegistry(t *testing.T) {
	shop, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "dbt", "testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	url := startLakehouseRegistry(t, filepath.Join(shop, "v1"), filepath.Join(shop, "v2"))
	for _, d := range []string{"postgres", "duckdb", "bigquery", "snowflake"} {
		t.Run(d, func(t *testing.T) {
			offline := filepath.Join(t.TempDir(), "offline")
			if code, stdout, stderr := pbcheck(t, shop, nil, "dbt", "v2", "--history", "v1", "--module-version", "2", "--dialect", d, "--out", offline); code != exitOK {
				t.Fatalf("offline: exit %d, %s %s", code, stdout, stderr)
			}
			want := readDir(t, offline)
			for _, ref := range []string{"acme/shop@2", "acme/shop"} {
				out := filepath.Join(t.TempDir(), "fetched")
				code, stdout, stderr := pbcheck(t, t.TempDir(), nil, "dbt", "--registry", url, ref, "--dialect", d, "--out", out)
				if code != exitOK || !strings.Contains(stdout, "wrote 5 files of the "+d+" dbt project of acme/shop version 2 (1 earlier versions as history)") {
					t.Fatalf("%s: exit %d, stdout %q, stderr %q", ref, code, stdout, stderr)
				}
				got := readDir(t, out)
				for p, w := range want {
					if string(got[p]) != string(w) {
						t.Errorf("%s: %s differs from the offline project's", ref, p)
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s: %d files, offline %d", ref, len(got), len(want))
				}
			}
		})
	}
}

// TestPbtableRegistry: pbcheck pbtable ddl / migrate --registry print, byte
// for byte, what they print offline from the same versions.
func TestPbtableRegistry(t *testing.T) {
	orders, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "testdata", "orders"))
	if err != nil {
		t.Fatal(err)
	}
	url := startLakehouseRegistry(t, filepath.Join(orders, "v1"), filepath.Join(orders, "v2"))
	names := []string{"--schema", "shop", "--table", "orders", "--view", "orders_v", "--row-column", "doc"}
	for _, tc := range []struct {
		name            string
		offline, remote []string
	}{
		{"ddl", []string{"pbtable", "ddl", "v1"}, []string{"pbtable", "ddl", "acme/shop@1"}},
		{"ddl latest", []string{"pbtable", "ddl", "v2"}, []string{"pbtable", "ddl", "acme/shop"}},
		{"ddl with names", append([]string{"pbtable", "ddl", "v1", "--subject", "acme.shop.v1.Order"}, names...),
			append([]string{"pbtable", "ddl", "acme/shop@1", "--subject", "acme.shop.v1.Order"}, names...)},
		{"migrate", []string{"pbtable", "migrate", "v1", "v2"}, []string{"pbtable", "migrate", "acme/shop", "--from", "1", "--to", "2"}},
		{"migrate to latest", []string{"pbtable", "migrate", "v1", "v2"}, []string{"pbtable", "migrate", "acme/shop", "--from", "v1"}},
		{"migrate without rewrite", append([]string{"pbtable", "migrate", "v1", "v2", "--no-rewrite"}, names...),
			append([]string{"pbtable", "migrate", "acme/shop", "--from", "1", "--to", "latest", "--no-rewrite"}, names...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, want, stderr := pbcheck(t, orders, nil, tc.offline...)
			if code != exitOK || want == "" {
				t.Fatalf("offline: exit %d, %s", code, stderr)
			}
			code, got, stderr := pbcheck(t, t.TempDir(), nil, append(tc.remote, "--registry", url)...)
			if code != exitOK || got != want {
				t.Errorf("--registry: exit %d, stderr %q; equals the offline script: %v", code, stderr, got == want)
			}
		})
	}
}

// TestLakehouseRegistryErrors: mistakes with --registry get exit 1 and a
// message saying what is wrong, and write nothing.
func TestLakehouseRegistryErrors(t *testing.T) {
	shop, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "dbt", "testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	url := startLakehouseRegistry(t, filepath.Join(shop, "v1"), filepath.Join(shop, "v2"))
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dbt", "--registry", url, "acme/nope", "--dialect", "duckdb", "--out", out}, "not_found"},
		{[]string{"dbt", "--registry", url, "acme/shop@9", "--dialect", "duckdb", "--out", out}, "not_found"},
		{[]string{"dbt", "--registry", url, "acme/shop", "--dialect", "oracle", "--out", out}, "oracle"},
		{[]string{"dbt", "--registry", url, "acme/shop", "--dialect", "duckdb"}, "--out is required"},
		{[]string{"dbt", "--registry", url, "acme/shop", "--out", out}, "--dialect is required"},
		{[]string{"dbt", "--registry", url, "acme/shop", "--dialect", "duckdb", "--out", out, "--history", "v1"}, "--history, --config and --module-version are for inputs read offline"},
		{[]string{"dbt", "--registry", url, "acme/shop@x", "--dialect", "duckdb", "--out", out}, "not a version number"},
		{[]string{"dbt", "--registry", url, "acme/shop", "--dialect", "duckdb", "--out", out, "--nested-depth", "9"}, "--nested-depth must be a whole number from 0 to 8"},
		{[]string{"pbtable", "ddl", "--registry", url, "acme/shop", "--subject", "acme.shop.v1.Nope"}, "not_found"},
		{[]string{"pbtable", "ddl", "--registry", url, "acme/shop", "--subject", "acme.shop.v1.OrderPlaced"}, "not pbtable"},
		{[]string{"pbtable", "ddl", "--registry", url, "acme/shop", "--primary-key", "id"}, "--primary-key, --history and --config are for inputs read offline"},
		{[]string{"pbtable", "migrate", "--registry", url, "acme/shop"}, "migrate wants --from"},
		{[]string{"pbtable", "migrate", "--registry", url, "acme/shop", "--from", "2"}, "earlier than to"},
		{[]string{"pbtable", "migrate", "--registry", url, "acme/shop@1", "--from", "1"}, "versions as --from and --to"},
	} {
		code, stdout, stderr := pbcheck(t, dir, nil, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("pbcheck %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tc.args, " "), code, stdout, stderr, exitError, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("pbcheck %s wrote %s", strings.Join(tc.args, " "), out)
		}
	}
}
