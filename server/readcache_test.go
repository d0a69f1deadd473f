package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// rawClient does not ask for gzip by itself nor inflate: the test sees
// the bytes and headers the server sends.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// get sends GET url with headers (name, value pairs) and returns the
// response with its body read.
func get(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := rawClient.Do(req)
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

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return out
}

func etagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return `"sha256:` + hex.EncodeToString(sum[:]) + `"`
}

// bigFiles returns the quickstart module with n extra fields, so that its
// descriptor set is well above the gzip threshold.
func bigFiles(n int, tag string) []*v1.File {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  string %s_note_%d = %d;\n", tag, i, 8+i)
	}
	return files("int64", b.String())
}

// TestReadCacheSameBytes: a server with the read cache and one without,
// over one store, answer every read — GetDescriptorSet, GetModule with
// files, image downloads plain and gzip, numbered and latest, first and
// repeated — with identical bytes.
func TestReadCacheSameBytes(t *testing.T) {
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cached := start(t, "", server.Options{Store: store})
	uncached := start(t, "", server.Options{Store: store, Config: &server.Config{Cache: server.CacheConfig{MaxBytes: -1}}})
	ctx := context.Background()
	mustPush(t, cached.client(""), bigFiles(40, "a"))
	mustPush(t, cached.client(""), bigFiles(80, "a"))

	for round := range 3 {
		if round == 2 {
			// A push between rounds moves latest on both.
			mustPush(t, uncached.client(""), bigFiles(120, "a"))
		}
		for _, version := range []int64{0, 1, 2} {
			var ds, mod [2]proto.Message
			var plain, zipped [2][]byte
			for i, in := range []*instance{cached, uncached} {
				for _, opts := range [][]connect.ClientOption{nil, {connect.WithSendGzip()}, {connect.WithProtoJSON()}} {
					d, err := in.client("", opts...).GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce", Version: version}))
					if err != nil {
						t.Fatalf("GetDescriptorSet %d: %v", version, err)
					}
					if ds[i] != nil && !proto.Equal(ds[i], d.Msg) {
						t.Fatalf("round %d: GetDescriptorSet %d differs between client options", round, version)
					}
					ds[i] = d.Msg
				}
				m, err := in.client("").GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce", Version: version, IncludeFiles: true}))
				if err != nil {
					t.Fatalf("GetModule %d: %v", version, err)
				}
				mod[i] = m.Msg
				num := fmt.Sprint(version)
				if version == 0 {
					num = "latest"
				}
				url := in.url + "/modules/acme/commerce/versions/" + num + "/image.binpb"
				resp, body := get(t, url)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
					t.Fatalf("GET %s: %d, Content-Encoding %q", url, resp.StatusCode, resp.Header.Get("Content-Encoding"))
				}
				plain[i] = body
				resp, body = get(t, url, "Accept-Encoding", "gzip")
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s (gzip): %d", url, resp.StatusCode)
				}
				if resp.Header.Get("Content-Encoding") == "gzip" {
					body = gunzip(t, body)
				} else if i == 0 {
					t.Errorf("GET %s with Accept-Encoding: gzip from the cache: not gzip", url)
				}
				zipped[i] = body
			}
			if !proto.Equal(ds[0], ds[1]) {
				t.Errorf("round %d: GetDescriptorSet %d differs with and without the cache", round, version)
			}
			if !proto.Equal(mod[0], mod[1]) || len(mod[0].(*v1.GetModuleResponse).Files) != 2 {
				t.Errorf("round %d: GetModule %d differs with and without the cache:\n%v\n%v", round, version, mod[0], mod[1])
			}
			want := ds[1].(*v1.GetDescriptorSetResponse).FileDescriptorSet
			for i := range 2 {
				if !bytes.Equal(plain[i], want) || !bytes.Equal(zipped[i], want) {
					t.Errorf("round %d, server %d: image.binpb of %d is not the descriptor set (plain %d, gzip %d, want %d bytes)",
						round, i, version, len(plain[i]), len(zipped[i]), len(want))
				}
			}
			if version == 0 && ds[0].(*v1.GetDescriptorSetResponse).Version.Number != int64(2+round/2) {
				t.Errorf("round %d: latest is version %d", round, ds[0].(*v1.GetDescriptorSetResponse).Version.Number)
			}
		}
	}
}

// TestDownloadCaching: the ETag is the digest of exactly the bytes sent;
// If-None-Match answers 304 only while those are the bytes; numbered
// versions are immutable for a year, latest for seconds; gzip is sent
// when asked, with Vary.
func TestDownloadCaching(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	mustPush(t, c, bigFiles(40, "a"))
	v1URL := in.url + "/modules/acme/commerce/versions/1/image.binpb"
	latestURL := in.url + "/modules/acme/commerce/versions/latest/image.binpb"

	resp, body := get(t, v1URL)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag != etagOf(body) {
		t.Fatalf("GET v1: %d, ETag %s, want the digest of the body %s", resp.StatusCode, etag, etagOf(body))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control of v1 = %q", cc)
	}
	if resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Errorf("v1 headers: %v", resp.Header)
	}
	zresp, zbody := get(t, v1URL, "Accept-Encoding", "br;q=1.0, gzip;q=0.8")
	ztag := zresp.Header.Get("ETag")
	if zresp.Header.Get("Content-Encoding") != "gzip" || ztag != strings.TrimSuffix(etag, `"`)+`+gzip"` ||
		len(zbody) >= len(body) || !bytes.Equal(gunzip(t, zbody), body) {
		t.Errorf("gzip download: Content-Encoding %q, ETag %s, %d bytes for %d", zresp.Header.Get("Content-Encoding"), ztag, len(zbody), len(body))
	}
	if r, _ := get(t, v1URL, "Accept-Encoding", "gzip;q=0, *"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client refusing it with q=0")
	}

	for _, tc := range []struct {
		name, inm string
		want      int
	}{
		{"own tag", etag, 304},
		{"gzip tag", ztag, 304},
		{"weak form", "W/" + etag, 304},
		{"in a list", `"sha256:00", ` + etag, 304},
		{"star", "*", 304},
		{"other digest", `"sha256:0000"`, 200},
		{"unquoted", strings.Trim(etag, `"`), 200},
	} {
		r, b := get(t, v1URL, "If-None-Match", tc.inm)
		if r.StatusCode != tc.want || (tc.want == 304 && (len(b) != 0 || r.Header.Get("ETag") != etag)) {
			t.Errorf("%s: If-None-Match %s = %d with %d bytes, ETag %s; want %d", tc.name, tc.inm, r.StatusCode, len(b), r.Header.Get("ETag"), tc.want)
		}
	}

	// latest: short max-age; after a push the old tag gets the new bytes,
	// never a 304.
	resp, body = get(t, latestURL)
	if resp.Header.Get("Cache-Control") != "public, max-age=10" || resp.Header.Get("ETag") != etag {
		t.Errorf("latest: Cache-Control %q, ETag %s (v1's %s)", resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"), etag)
	}
	if r, _ := get(t, latestURL, "If-None-Match", etag); r.StatusCode != 304 {
		t.Errorf("latest with its tag: %d", r.StatusCode)
	}
	mustPush(t, c, bigFiles(60, "a"))
	r, b := get(t, latestURL, "If-None-Match", etag)
	if r.StatusCode != 200 || bytes.Equal(b, body) || r.Header.Get("ETag") != etagOf(b) || r.Header.Get("X-Pbregistry-Version") != "2" {
		t.Errorf("latest after a push, with v1's tag: %d, ETag %s, version %s", r.StatusCode, r.Header.Get("ETag"), r.Header.Get("X-Pbregistry-Version"))
	}
	if r, _ := get(t, v1URL, "If-None-Match", etag); r.StatusCode != 304 {
		t.Errorf("v1 after a push: %d, want 304", r.StatusCode)
	}

	// HEAD: headers, no body.
	req, _ := http.NewRequest(http.MethodHead, v1URL, nil)
	hr, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != 200 || hr.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %d, ETag %s", hr.StatusCode, hr.Header.Get("ETag"))
	}
}

// TestDownloadPrivate: without anonymous reads, downloads are for token
// holders, and shared caches are told not to keep them.
func TestDownloadPrivate(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
	}}
	in := start(t, "", server.Options{Auth: auth.New(tf, auth.Options{AnonymousRead: false})})
	mustPush(t, in.client("c"), bigFiles(10, "a"))
	url := in.url + "/modules/acme/commerce/versions/1/image.binpb"
	if r, _ := get(t, url); r.StatusCode == 200 {
		t.Fatalf("anonymous download: %d", r.StatusCode)
	}
	r, _ := get(t, url, "Authorization", "Bearer r")
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
		t.Errorf("reader download: %d, Cache-Control %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
}

// TestReadCacheConcurrent: readers of every version, over HTTP and
// Connect, while pushes add versions; every body is the bytes its ETag
// names and its version's descriptor set. Run with -race.
func TestReadCacheConcurrent(t *testing.T) {
	in := start(t, "", server.Options{Config: &server.Config{Cache: server.CacheConfig{MaxBytes: 48 << 10}}})
	c := in.client("")
	ctx := context.Background()
	want := map[int64][]byte{}
	for i := range 3 {
		mustPush(t, c, bigFiles(20+20*i, "a"))
	}
	for n := int64(1); n <= 3; n++ {
		d, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce", Version: n}))
		if err != nil {
			t.Fatal(err)
		}
		want[n] = d.Msg.FileDescriptorSet
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 3 {
			if _, err := push(t, c, bigFiles(100+20*i, "a")); err != nil {
				t.Errorf("push: %v", err)
			}
		}
	})
	for g := range 8 {
		wg.Go(func() {
			for j := range 40 {
				n := int64(1 + (g+j)%3)
				if j%2 == 0 {
					resp, body := get(t, fmt.Sprintf("%s/modules/acme/commerce/versions/%d/image.binpb", in.url, n), "Accept-Encoding", "gzip")
					tag := resp.Header.Get("ETag")
					if resp.Header.Get("Content-Encoding") == "gzip" {
						body = gunzip(t, body)
						tag = strings.TrimSuffix(tag, `+gzip"`) + `"`
					}
					if resp.StatusCode != 200 || tag != etagOf(body) || !bytes.Equal(body, want[n]) {
						t.Errorf("GET version %d: %d, ETag %s, body digest %s", n, resp.StatusCode, tag, etagOf(body))
						return
					}
					continue
				}
				d, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce", Version: n}))
				if err != nil || !bytes.Equal(d.Msg.FileDescriptorSet, want[n]) || d.Msg.Version.Number != n {
					t.Errorf("GetDescriptorSet %d: %v", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
