package server_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/server"
)

// lakehouseTestdata is the lakehouse packages' test data: the modules
// (dbt/testdata/shop, testdata/orders, each a v1 and a v2) and the golden
// files that pbcheck dbt and pbcheck pbtable are tested to write for them
// offline (cmd/pbcheck's TestDbt and TestPbtable).
var lakehouseTestdata = filepath.Join("..", "lakehouse")

// lakehouseServer serves a registry whose server-wide policies drop the
// built-in event policies: the lakehouse test modules' event has neither
// event_id nor occurred_at.
func lakehouseServer(t *testing.T, a *auth.Authenticator) *instance {
	t.Helper()
	cfg, err := server.ParseConfig("registryd.yaml", []byte(`policies:
  - {name: EVENT_ID_FIELD, disabled: true}
  - {name: EVENT_OCCURRED_AT, disabled: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	return start(t, "", server.Options{Config: cfg, Auth: a})
}

// readTree returns the files under dir, by slash path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
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

// pushTree pushes the module in dir.
func pushTree(t *testing.T, c pbregistryv1connect.RegistryServiceClient, dir string) *v1.PushResponse {
	t.Helper()
	var fs []*v1.File
	for p, data := range readTree(t, dir) {
		fs = append(fs, &v1.File{Path: p, Content: data})
	}
	slices.SortFunc(fs, func(a, b *v1.File) int { return strings.Compare(a.Path, b.Path) })
	return mustPush(t, c, fs)
}

// filesOf returns files as a map by path.
func filesOf(files []*v1.File) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Content
	}
	return out
}

// sameFiles reports how got differs from want, or "".
func sameFiles(got, want map[string][]byte) string {
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, p+" missing")
		} else if !bytes.Equal(g, w) {
			diffs = append(diffs, p+" differs")
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, p+" unexpected")
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, ", ")
}

// getTarball GETs a dbt tarball with token (none when "").
func getTarball(t *testing.T, in *instance, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, in.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// untar extracts a gzip'd tar's regular files, and checks that its entries
// are sorted, with fixed times and modes.
func untar(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.ModTime.Unix() != 0 || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mtime %v, uid %d, gid %d: want the epoch and root", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if h.Mode != 0o755 {
				t.Errorf("%s: mode %o, want 755", h.Name, h.Mode)
			}
		case tar.TypeReg:
			if h.Mode != 0o644 {
				t.Errorf("%s: mode %o, want 644", h.Name, h.Mode)
			}
			if out[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("%s: entry of type %c", h.Name, h.Typeflag)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries are not sorted: %v", names)
	}
	return out
}

// TestDbtProject: for a module pushed as two versions (a pbtable and an
// event subject), GetDbtProject at v2 (and at latest) returns byte for byte
// what pbcheck dbt writes offline with --history v1 --module-version 2 (the
// golden files), the same bytes at every call; the tarball extracts to the
// same files and is itself the same bytes at every call and from another
// registry holding the same versions.
func TestDbtProject(t *testing.T) {
	in := lakehouseServer(t, nil)
	c := in.client("")
	shop := filepath.Join(lakehouseTestdata, "dbt", "testdata", "shop")
	pushTree(t, c, filepath.Join(shop, "v1"))
	if v := pushTree(t, c, filepath.Join(shop, "v2")).GetVersion().GetNumber(); v != 2 {
		t.Fatalf("second push made version %d, want 2", v)
	}
	// A second registry, pushed the same versions at other times.
	other := lakehouseServer(t, nil)
	pushTree(t, other.client(""), filepath.Join(shop, "v1"))
	pushTree(t, other.client(""), filepath.Join(shop, "v2"))
	ctx := context.Background()
	for _, dialect := range []string{"postgres", "duckdb", "bigquery", "snowflake"} {
		t.Run(dialect, func(t *testing.T) {
			golden := readTree(t, filepath.Join(shop, "..", "golden", dialect))
			var first *v1.GetDbtProjectResponse
			for _, version := range []int64{2, 0} {
				resp, err := c.GetDbtProject(ctx, connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/shop", Version: version, Dialect: dialect}))
				if err != nil {
					t.Fatalf("GetDbtProject(version %d): %v", version, err)
				}
				if d := sameFiles(filesOf(resp.Msg.Files), golden); d != "" {
					t.Errorf("GetDbtProject(version %d) differs from pbcheck dbt's output: %s", version, d)
				}
				if !slices.IsSortedFunc(resp.Msg.Files, func(a, b *v1.File) int { return strings.Compare(a.Path, b.Path) }) {
					t.Errorf("files are not sorted by path")
				}
				if !slices.Equal(resp.Msg.HistoryVersions, []int64{1}) || resp.Msg.HistoryTruncated ||
					resp.Msg.MaxHistoryVersions != server.MaxLakehouseHistoryVersions || resp.Msg.MaxHistoryBytes != server.MaxLakehouseHistoryBytes {
					t.Errorf("history %v truncated %v bounds %d/%d, want [1] whole within %d/%d", resp.Msg.HistoryVersions, resp.Msg.HistoryTruncated,
						resp.Msg.MaxHistoryVersions, resp.Msg.MaxHistoryBytes, server.MaxLakehouseHistoryVersions, server.MaxLakehouseHistoryBytes)
				}
				if first == nil {
					first = resp.Msg
				} else if !proto.Equal(first, resp.Msg) {
					t.Errorf("GetDbtProject at latest differs from at version 2")
				}
			}
			var tarballs [][]byte
			for _, path := range []string{"/dbt/acme/shop/2.tar.gz?dialect=" + dialect, "/dbt/acme/shop/latest.tar.gz?dialect=" + dialect} {
				resp, body := getTarball(t, in, path, "")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
				}
				want := `attachment; filename="acme_shop-v2-` + dialect + `-dbt.tar.gz"`
				if cd := resp.Header.Get("Content-Disposition"); cd != want {
					t.Errorf("Content-Disposition %q, want %q", cd, want)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/gzip" {
					t.Errorf("Content-Type %q, want application/gzip", ct)
				}
				if d := sameFiles(untar(t, body), golden); d != "" {
					t.Errorf("GET %s extracts to other files than pbcheck dbt writes: %s", path, d)
				}
				tarballs = append(tarballs, body)
			}
			if !bytes.Equal(tarballs[0], tarballs[1]) {
				t.Errorf("the tarballs of version 2 and latest differ")
			}
			if resp, body := getTarball(t, other, "/dbt/acme/shop/2.tar.gz?dialect="+dialect, ""); resp.StatusCode != http.StatusOK || !bytes.Equal(body, tarballs[0]) {
				t.Errorf("another registry holding the same versions serves another tarball (status %d)", resp.StatusCode)
			}
		})
	}
}

// TestPbtableScripts: GetPbtableDDL and GetPbtableMigration return byte
// for byte what pbcheck pbtable ddl / migrate write offline for the same
// versions (the golden files of lakehouse/testdata/golden).
func TestPbtableScripts(t *testing.T) {
	in := lakehouseServer(t, nil)
	c := in.client("")
	orders := filepath.Join(lakehouseTestdata, "testdata", "orders")
	pushTree(t, c, filepath.Join(orders, "v1"))
	pushTree(t, c, filepath.Join(orders, "v2"))
	ctx := context.Background()
	golden := func(name string) string {
		data, err := os.ReadFile(filepath.Join(lakehouseTestdata, "testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, tc := range []struct {
		golden, subject string
		opts            *v1.PbtableOptions
	}{
		{"order_v1.sql", "", nil},
		{"order_v1.sql", "acme.shop.v1.Order", nil},
		{"order_v1_schema.sql", "", &v1.PbtableOptions{Schema: "shop", Table: "orders", View: "orders_v", RowColumn: "doc"}},
	} {
		resp, err := c.GetPbtableDDL(ctx, connect.NewRequest(&v1.GetPbtableDDLRequest{Module: "acme/shop", Version: 1, Subject: tc.subject, Options: tc.opts}))
		if err != nil {
			t.Fatalf("GetPbtableDDL(%s): %v", tc.golden, err)
		}
		if resp.Msg.Script != golden(tc.golden) || resp.Msg.Subject != "acme.shop.v1.Order" || resp.Msg.Version.GetNumber() != 1 {
			t.Errorf("GetPbtableDDL differs from %s (subject %s, version %d):\n%s", tc.golden, resp.Msg.Subject, resp.Msg.Version.GetNumber(), resp.Msg.Script)
		}
	}
	for _, tc := range []struct {
		golden    string
		to        int64
		noRewrite bool
	}{
		{"order_v1_v2.sql", 2, false},
		{"order_v1_v2.sql", 0, false},
		{"order_v1_v2_norewrite.sql", 2, true},
	} {
		resp, err := c.GetPbtableMigration(ctx, connect.NewRequest(&v1.GetPbtableMigrationRequest{Module: "acme/shop", From: 1, To: tc.to, NoRewrite: tc.noRewrite}))
		if err != nil {
			t.Fatalf("GetPbtableMigration(%s): %v", tc.golden, err)
		}
		if resp.Msg.Script != golden(tc.golden) || resp.Msg.From.GetNumber() != 1 || resp.Msg.To.GetNumber() != 2 || len(resp.Msg.HistoryVersions) != 0 {
			t.Errorf("GetPbtableMigration differs from %s (from %d to %d, history %v):\n%s", tc.golden,
				resp.Msg.From.GetNumber(), resp.Msg.To.GetNumber(), resp.Msg.HistoryVersions, resp.Msg.Script)
		}
	}
}

// TestLakehouseErrors: unknown modules, versions, dialects and subjects,
// and malformed requests, get the Connect code a client acts on and a
// message naming what is wrong; the tarball route answers with the
// matching HTTP status.
func TestLakehouseErrors(t *testing.T) {
	in := lakehouseServer(t, nil)
	c := in.client("")
	shop := filepath.Join(lakehouseTestdata, "dbt", "testdata", "shop")
	pushTree(t, c, filepath.Join(shop, "v1"))
	pushTree(t, c, filepath.Join(shop, "v2"))
	mustPush(t, c, []*v1.File{
		{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: acme/events\nsubjects:\n  - message: acme.events.v1.Ping\n    kind: event\n")},
		{Path: "acme/events/v1/ping.proto", Content: []byte("syntax = \"proto3\";\npackage acme.events.v1;\nmessage Ping {\n  string id = 1;\n}\n")},
	})
	ctx := context.Background()
	dbtProject := func(r *v1.GetDbtProjectRequest) error {
		_, err := c.GetDbtProject(ctx, connect.NewRequest(r))
		return err
	}
	ddl := func(r *v1.GetPbtableDDLRequest) error {
		_, err := c.GetPbtableDDL(ctx, connect.NewRequest(r))
		return err
	}
	migration := func(r *v1.GetPbtableMigrationRequest) error {
		_, err := c.GetPbtableMigration(ctx, connect.NewRequest(r))
		return err
	}
	depth := int32(9)
	for _, tc := range []struct {
		what  string
		err   error
		code  connect.Code
		wants []string
	}{
		{"dbt unknown module", dbtProject(&v1.GetDbtProjectRequest{Module: "acme/nope", Dialect: "postgres"}), connect.CodeNotFound, []string{"acme/nope"}},
		{"dbt unknown version", dbtProject(&v1.GetDbtProjectRequest{Module: "acme/shop", Version: 7, Dialect: "postgres"}), connect.CodeNotFound, []string{"7"}},
		{"dbt unknown dialect", dbtProject(&v1.GetDbtProjectRequest{Module: "acme/shop", Dialect: "oracle"}), connect.CodeInvalidArgument, []string{"oracle"}},
		{"dbt no dialect", dbtProject(&v1.GetDbtProjectRequest{Module: "acme/shop"}), connect.CodeInvalidArgument, []string{"dialect is required"}},
		{"dbt nested depth", dbtProject(&v1.GetDbtProjectRequest{Module: "acme/shop", Dialect: "duckdb", NestedDepth: &depth}), connect.CodeInvalidArgument, []string{"nested_depth", "9"}},
		{"ddl unknown module", ddl(&v1.GetPbtableDDLRequest{Module: "acme/nope"}), connect.CodeNotFound, []string{"acme/nope"}},
		{"ddl unknown subject", ddl(&v1.GetPbtableDDLRequest{Module: "acme/shop", Subject: "acme.shop.v1.Nope"}), connect.CodeNotFound, []string{"acme.shop.v1.Nope", "acme.shop.v1.Order"}},
		{"ddl event subject", ddl(&v1.GetPbtableDDLRequest{Module: "acme/shop", Subject: "acme.shop.v1.OrderPlaced"}), connect.CodeInvalidArgument, []string{"kind event, not pbtable"}},
		{"ddl bad table name", ddl(&v1.GetPbtableDDLRequest{Module: "acme/shop", Options: &v1.PbtableOptions{Table: "Drop Table"}}), connect.CodeInvalidArgument, []string{"Drop Table"}},
		{"ddl no pbtable", ddl(&v1.GetPbtableDDLRequest{Module: "acme/events"}), connect.CodeFailedPrecondition, []string{"acme/events version 1 has no pbtable subjects"}},
		{"migration no from", migration(&v1.GetPbtableMigrationRequest{Module: "acme/shop"}), connect.CodeInvalidArgument, []string{"from is required"}},
		{"migration backwards", migration(&v1.GetPbtableMigrationRequest{Module: "acme/shop", From: 2, To: 1}), connect.CodeInvalidArgument, []string{"earlier than to"}},
		{"migration unknown version", migration(&v1.GetPbtableMigrationRequest{Module: "acme/shop", From: 1, To: 9}), connect.CodeNotFound, []string{"9"}},
		{"migration unknown subject", migration(&v1.GetPbtableMigrationRequest{Module: "acme/shop", From: 1, Subject: "acme.shop.v1.Nope"}), connect.CodeNotFound, []string{"acme.shop.v1.Nope"}},
	} {
		wantCode(t, tc.what, tc.err, tc.code, tc.wants...)
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/dbt/acme/nope/latest.tar.gz?dialect=postgres", http.StatusNotFound, "acme/nope"},
		{"/dbt/acme/shop/latest.tar.gz?dialect=oracle", http.StatusBadRequest, "oracle"},
		{"/dbt/acme/shop/latest.tar.gz", http.StatusBadRequest, "dialect is required"},
		{"/dbt/acme/shop/v2.tar.gz?dialect=postgres", http.StatusBadRequest, "not a version number"},
		{"/dbt/acme/shop/latest.zip?dialect=postgres", http.StatusNotFound, "/dbt/{module}/"},
		{"/dbt/latest.tar.gz?dialect=postgres", http.StatusNotFound, "/dbt/{module}/"},
		{"/dbt/acme/shop/latest.tar.gz?dialect=postgres&nested_depth=x", http.StatusBadRequest, "nested_depth"},
	} {
		resp, body := getTarball(t, in, tc.path, "")
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d %q, want %d saying %q", tc.path, resp.StatusCode, body, tc.status, tc.want)
		}
	}
}

// TestLakehouseAuth: the lakehouse reads are reads like the others:
// without anonymous_read an anonymous caller is refused (RPCs:
// unauthenticated; tarball: 401), a reader is served.
func TestLakehouseAuth(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
		{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "prometheus", SHA256: auth.Hash("m"), Scopes: []auth.Scope{auth.ScopeMetrics}},
	}}
	in := lakehouseServer(t, auth.New(tf, auth.Options{AnonymousRead: false}))
	shop := filepath.Join(lakehouseTestdata, "dbt", "testdata", "shop")
	pushTree(t, in.client("c"), filepath.Join(shop, "v1"))
	ctx := context.Background()
	for _, tc := range []struct {
		token  string
		code   connect.Code
		status int
	}{
		{"", connect.CodeUnauthenticated, http.StatusUnauthorized},
		{"m", connect.CodePermissionDenied, http.StatusForbidden},
		{"r", 0, http.StatusOK},
		{"c", 0, http.StatusOK},
	} {
		c := in.client(tc.token)
		_, err := c.GetDbtProject(ctx, connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/shop", Dialect: "postgres"}))
		_, err2 := c.GetPbtableDDL(ctx, connect.NewRequest(&v1.GetPbtableDDLRequest{Module: "acme/shop"}))
		_, err3 := c.GetPbtableMigration(ctx, connect.NewRequest(&v1.GetPbtableMigrationRequest{Module: "acme/shop", From: 1}))
		for i, err := range []error{err, err2, err3} {
			want := tc.code
			if want == 0 && i == 2 {
				want = connect.CodeInvalidArgument // one version only: from (1) is not earlier than to (1).
			}
			if connect.CodeOf(err) != want && !(want == 0 && err == nil) {
				t.Errorf("token %q, RPC %d: err %v, want code %v", tc.token, i, err, want)
			}
		}
		resp, body := getTarball(t, in, "/dbt/acme/shop/latest.tar.gz?dialect=postgres", tc.token)
		if resp.StatusCode != tc.status {
			t.Errorf("token %q: GET tarball = %d %.200s, want %d", tc.token, resp.StatusCode, body, tc.status)
		}
	}
}

// TestLakehouseHistoryBound: a module with more earlier versions than
// MaxLakehouseHistoryVersions gets the newest of them as history, says so
// in history_truncated, and a field deleted only before the bound is no
// longer kept as a column, while one deleted within it is.
func TestLakehouseHistoryBound(t *testing.T) {
	in := lakehouseServer(t, nil)
	c := in.client("")
	const cfg = "version: v1\nmodule: acme/many\nsubjects:\n  - message: acme.many.v1.Row\n    kind: pbtable\n    primary_key: [id]\n"
	total := server.MaxLakehouseHistoryVersions + 2
	for n := 1; n <= total; n++ {
		// Version 1 has field first; it is deleted (and reserved) in
		// version 2. Field late is deleted in the last version. Every
		// version adds a field so that each is new content.
		var b strings.Builder
		b.WriteString("syntax = \"proto3\";\npackage acme.many.v1;\nmessage Row {\n  string id = 1;\n")
		if n == 1 {
			b.WriteString("  string first = 2;\n")
		} else {
			b.WriteString("  reserved 2;\n  reserved \"first\";\n")
		}
		if n < total {
			b.WriteString("  string late = 3;\n")
		} else {
			b.WriteString("  reserved 3;\n  reserved \"late\";\n")
		}
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "  int32 f%d = %d;\n", i, 100+i)
		}
		b.WriteString("}\n")
		mustPush(t, c, []*v1.File{{Path: "pbregistry.yaml", Content: []byte(cfg)}, {Path: "acme/many/v1/row.proto", Content: []byte(b.String())}})
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	resp, err := c.GetDbtProject(context.Background(), connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/many", Dialect: "duckdb"}))
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	// A figure for the docs, not an assertion.
	t.Logf("GetDbtProject over %d versions of history: %v, %.1f MiB allocated", len(resp.Msg.HistoryVersions), elapsed, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	h := resp.Msg.HistoryVersions
	if !resp.Msg.HistoryTruncated || len(h) != server.MaxLakehouseHistoryVersions || h[0] != 2 || h[len(h)-1] != int64(total-1) {
		t.Fatalf("history truncated %v, %d versions from %v to %v; want truncated, %d versions from 2 to %d",
			resp.Msg.HistoryTruncated, len(h), h[0], h[len(h)-1], server.MaxLakehouseHistoryVersions, total-1)
	}
	var models string
	for _, f := range resp.Msg.Files {
		if strings.HasSuffix(f.Path, ".sql") {
			models += string(f.Content)
		}
	}
	if !strings.Contains(models, "late") || strings.Contains(models, "first") {
		t.Errorf("want the column of late (deleted within the history) and none of first (deleted before it):\n%s", models)
	}
}
