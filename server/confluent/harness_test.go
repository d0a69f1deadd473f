package confluent_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/internal/pgtest"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// backend is a store with schema ids.
type backend interface {
	registry.Store
	registry.SchemaIDStore
}

// registryd is a server on a real port over a fresh store.
type registryd struct {
	url   string
	store backend
	// token is sent as a bearer token when set.
	token string
}

// serve starts registryd over SQLite with cfg (nil: defaults) and auth a
// (nil: open).
func serve(t testing.TB, cfg *server.Config, a *auth.Authenticator) *registryd {
	t.Helper()
	return serveOn(t, openSQLite(t), cfg, a)
}

// openSQLite opens a fresh SQLite store.
func openSQLite(t testing.TB) backend {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// openPostgres opens a store on a fresh schema of the test database; it
// skips t without one (fails it under CI).
func openPostgres(t testing.TB) backend {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "pbregistry_confluent_")
	store, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// backends are the stores tests of what is stored run on.
var backends = []struct {
	name string
	open func(t testing.TB) backend
}{{"sqlite", openSQLite}, {"postgres", openPostgres}}

// serveOn starts registryd over store.
func serveOn(t testing.TB, store backend, cfg *server.Config, a *auth.Authenticator) *registryd {
	t.Helper()
	return serveWith(t, store, server.Options{Config: cfg, Auth: a})
}

// serveWith starts registryd over store with opts.
func serveWith(t testing.TB, store backend, opts server.Options) *registryd {
	t.Helper()
	opts.Store = store
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := server.New(opts)
	go func() { done <- server.Serve(ctx, ln, srv.Handler()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &registryd{url: "http://" + ln.Addr().String(), store: store}
}

// response is an HTTP answer.
type response struct {
	status int
	body   []byte
	header http.Header
}

// json decodes the body into v.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the body's error_code, 0 if none.
func (r response) errorCode() int {
	var e struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.ErrorCode
}

// do sends a request with a JSON body (a string is sent as it is).
func (d *registryd) do(t testing.TB, method, path string, body any) response {
	t.Helper()
	return d.send(t, method, path, body, "application/vnd.schemaregistry.v1+json", "")
}

// doType sends a request with a content type.
func (d *registryd) doType(t testing.TB, method, path string, body any, contentType string) response {
	t.Helper()
	return d.send(t, method, path, body, contentType, "")
}

// doAuth sends a request with an Authorization header.
func (d *registryd) doAuth(t testing.TB, method, path string, body any, authorization string) response {
	t.Helper()
	return d.send(t, method, path, body, "application/vnd.schemaregistry.v1+json", authorization)
}

// send sends a request.
func (d *registryd) send(t testing.TB, method, path string, body any, contentType, authorization string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, d.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: data, header: resp.Header}
}

// register registers text under subject and returns its id, failing the
// test on an error.
func (d *registryd) register(t testing.TB, subject, text string, refs ...map[string]any) int64 {
	t.Helper()
	body := map[string]any{"schema": text, "schemaType": "PROTOBUF"}
	if len(refs) > 0 {
		body["references"] = refs
	}
	r := d.do(t, "POST", "/subjects/"+subject+"/versions", body)
	if r.status != 200 {
		t.Fatalf("register %s: %d %s", subject, r.status, r.body)
	}
	var out struct{ ID int64 }
	r.json(t, &out)
	return out.ID
}

// snapshot is what the store holds, to compare before and after a
// refused request.
func (d *registryd) snapshot(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	mods, err := d.store.ListModules(ctx, registry.PageRequest{Size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods.Items {
		b.WriteString(m.Name + "@" + itoa(m.LatestVersion) + "\n")
	}
	bs, err := d.store.ListSchemaBindings(ctx, registry.SchemaBindingQuery{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range bs {
		b.WriteString(x.Module + "@" + itoa(x.Version) + "=" + itoa(x.SchemaID))
		if x.Deleted {
			b.WriteString(" deleted")
		}
		b.WriteString("\n")
	}
	for id := int64(1); ; id++ {
		sc, err := d.store.GetSchema(ctx, id)
		if err != nil {
			break
		}
		b.WriteString("schema " + itoa(sc.ID) + " " + sc.Digest + "\n")
	}
	for _, m := range append([]string{""}, moduleNames(mods.Items)...) {
		for _, k := range []string{"confluent.compatibility", "confluent.mode", "confluent.normalize"} {
			if v, err := d.store.GetSchemaSetting(ctx, m, k); err == nil {
				b.WriteString(m + ":" + k + "=" + v + "\n")
			}
		}
	}
	return b.String()
}

func moduleNames(ms []registry.Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
