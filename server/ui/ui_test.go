package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// hostile is a string no page may render as markup.
const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`

// long is a very long user-controlled string.
var long = strings.Repeat("<b>long</b>", 80)

const moduleConfig = `version: v1
module: acme/billing
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
    compatibility: NONE
  - message: acme.billing.v1.InvoicePaid
    kind: event
`

// invoiceProto returns the module's file; extra goes into Invoice.
func invoiceProto(extra string) string {
	return fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";
// Invoice is billed. %s
message Invoice {
  string id = 1;
  string amount_text = 7;
%s}
message InvoicePaid {
  string event_id = 1;
  string paid_by_customer_ref = 2;
  google.protobuf.Timestamp occurred_at = 3;
}
`, hostile, extra)
}

// registry is a running registryd with a seeded history.
type registry struct {
	url    string
	reader string // a read token
	pusher string // a push token, whose principal's name is hostile
}

// start serves registryd over SQLite with tokens, anonymous reads as
// anonymous says, and pushes two versions of acme/billing: version 2
// deletes Invoice.note (allowed at level NONE, a finding at FULL).
func start(t *testing.T, anonymous bool) *registry {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reader, re, err := auth.CreateToken("reader", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	pusher, pe, err := auth.CreateToken("ci"+hostile, []string{"push:acme/*"})
	if err != nil {
		t.Fatal(err)
	}
	admin, ae, err := auth.CreateToken("admin"+hostile, []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(&auth.TokensFile{Entries: []auth.Entry{re, pe, ae}}, auth.Options{AnonymousRead: anonymous})
	ts := httptest.NewServer(server.New(server.Options{Store: store, Auth: a}).Handler())
	t.Cleanup(ts.Close)
	reg := &registry{url: ts.URL, reader: reader, pusher: pusher}
	c := pbregistryv1connect.NewRegistryServiceClient(http.DefaultClient, ts.URL)
	for i, extra := range []string{"  string note = 3;\n", ""} {
		req := connect.NewRequest(&v1.PushRequest{
			Files: []*v1.File{
				{Path: "pbregistry.yaml", Content: []byte(moduleConfig)},
				{Path: "acme/billing/v1/invoice.proto", Content: []byte(invoiceProto(extra))},
			},
			Build: &v1.BuildInfo{GitCommit: "c0ffee" + hostile, GitBranch: "main" + hostile + long, CiUrl: "javascript:alert(3)", Labels: map[string]string{"team": hostile}},
		})
		req.Header().Set("Authorization", "Bearer "+pusher)
		if _, err := c.Push(context.Background(), req); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
	}
	// An admin whose name is hostile overrides InvoicePaid's level and
	// rules, so that the subject page shows who.
	set := connect.NewRequest(&v1.SetSubjectConfigRequest{Module: "acme/billing", Message: "acme.billing.v1.InvoicePaid",
		Compatibility: &v1.Compatibility{Level: v1.CompatibilityLevel_COMPATIBILITY_LEVEL_BACKWARD, Except: []string{"FIELD_SAME_JSON_NAME"}}})
	set.Header().Set("Authorization", "Bearer "+admin)
	if _, err := c.SetSubjectConfig(context.Background(), set); err != nil {
		t.Fatalf("set subject config: %v", err)
	}
	return reg
}

// get fetches path with client, returning status and body.
func get(t *testing.T, client *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// noRedirect is a client that returns redirects rather than following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// inert fails t if body holds the hostile markup unescaped.
func inert(t *testing.T, what, body string) {
	t.Helper()
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>long</b>", "javascript:alert"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s renders %q unescaped", what, bad)
		}
	}
}

func TestPages(t *testing.T) {
	reg := start(t, true)
	q := url.QueryEscape
	tests := []struct {
		name  string
		path  string
		code  int
		wants []string
	}{
		{"modules", "/ui/", 200, []string{"acme/billing", `href="/ui/module?m=acme%2fbilling"`}},
		{"search finds a field", "/ui/?q=paid_by_customer", 200, []string{"acme/billing", "acme.billing.v1.InvoicePaid.paid_by_customer_ref"}},
		{"search finds a package", "/ui/?q=acme.billing.v1", 200, []string{"package", "acme.billing.v1"}},
		{"search finds nothing", "/ui/?q=no_such_name_anywhere", 200, []string{"No module, package, message or field name contains"}},
		{"search too long", "/ui/?q=" + strings.Repeat("x", 300), 400, []string{"longer than 200 bytes"}},
		{"module", "/ui/module?m=acme/billing", 200, []string{
			"acme.billing.v1.Invoice", "pbtable", "NONE", "acme.billing.v1.InvoicePaid", "event",
			"acme/billing/v1/invoice.proto", "image.binpb", "dialect=duckdb", "c0ffee&#34;&gt;&lt;script&gt;",
		}},
		{"module not found", "/ui/module?m=acme/nothing", 404, []string{"not found"}},
		{"file", "/ui/file?m=acme/billing&v=1&path=" + q("acme/billing/v1/invoice.proto"), 200, []string{`id="L6"`, `href="#L6"`, "string note = 3;", "&lt;script&gt;alert(1)&lt;/script&gt;"}},
		{"file missing", "/ui/file?m=acme/billing&v=1&path=nope.proto", 400, []string{"has no file"}},
		{"diff shows the finding", "/ui/diff?m=acme/billing&from=1&to=2", 200, []string{"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "acme.billing.v1.Invoice", "FULL", "note", "invoice.proto#L5"}},
		{"diff bad version", "/ui/diff?m=acme/billing&from=x&to=2", 400, []string{"from must be a version number"}},
		{"subject ledger shows the deleted field", "/ui/subject?m=acme/billing&s=acme.billing.v1.Invoice", 200, []string{"pbtable", "NONE", "field_number", "note", "gone", "in use"}},
		{"subject not found", "/ui/subject?m=acme/billing&s=acme.billing.v1.Nope", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := get(t, http.DefaultClient, reg.url+tt.path)
			if code != tt.code {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.path, code, tt.code, body)
			}
			for _, w := range tt.wants {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: page lacks %q\n%s", tt.path, w, body)
				}
			}
			inert(t, tt.path, body)
			if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
		})
	}
}

// TestLedgerGone checks the deleted field's row says gone and a kept
// field's says in use.
func TestLedgerGone(t *testing.T) {
	reg := start(t, true)
	_, body, _ := get(t, http.DefaultClient, reg.url+"/ui/subject?m=acme/billing&s=acme.billing.v1.Invoice")
	row := func(key string) string {
		m := regexp.MustCompile(`<tr><td><code>acme.billing.v1.Invoice</code></td><td>field_name</td><td><code>` + key + `</code></td>.*?</tr>`).FindString(body)
		if m == "" {
			t.Fatalf("no ledger row for field name %s\n%s", key, body)
		}
		return m
	}
	if r := row("note"); !strings.Contains(r, "gone") || !strings.Contains(r, "<td>1</td>") {
		t.Errorf("note's row %s: want gone, first version 1", r)
	}
	if r := row("id"); !strings.Contains(r, "in use") {
		t.Errorf("id's row %s: want in use", r)
	}
}

func TestHostileStringsInert(t *testing.T) {
	reg := start(t, true)
	_, body, _ := get(t, http.DefaultClient, reg.url+"/ui/module?m=acme/billing")
	for _, want := range []string{
		"ci&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;", // the pusher's name
		"main&#34;&gt;&lt;script&gt;",                      // the branch
		"&lt;b&gt;long&lt;/b&gt;",                          // the long branch
		`href="#ZgotmplZ"`,                                 // the javascript: CI URL, neutralised
	} {
		if !strings.Contains(body, want) {
			t.Errorf("module page lacks the escaped %q", want)
		}
	}
	inert(t, "module page", body)

	_, body, _ = get(t, http.DefaultClient, reg.url+"/ui/subject?m=acme/billing&s=acme.billing.v1.InvoicePaid")
	for _, want := range []string{"set by admin&#34;&gt;&lt;script&gt;", "BACKWARD", "FIELD_SAME_JSON_NAME", "pushed level: FULL_TRANSITIVE"} {
		if !strings.Contains(body, want) {
			t.Errorf("subject page lacks %q\n%s", want, body)
		}
	}
	inert(t, "subject page", body)
}

// TestModulesPaginated pushes more modules than one page holds and walks
// the pages.
func TestModulesPaginated(t *testing.T) {
	reg := start(t, true)
	c := pbregistryv1connect.NewRegistryServiceClient(http.DefaultClient, reg.url)
	for i := range 50 {
		name := fmt.Sprintf("acme/m%03d", i)
		req := connect.NewRequest(&v1.PushRequest{Files: []*v1.File{
			{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: " + name + "\n")},
			{Path: "acme/m/v1/m.proto", Content: []byte("syntax = \"proto3\";\npackage acme.m.v1;\nmessage M { string id = 1; }\n")},
		}})
		req.Header().Set("Authorization", "Bearer "+reg.pusher)
		if _, err := c.Push(context.Background(), req); err != nil {
			t.Fatalf("push %s: %v", name, err)
		}
	}
	seen := map[string]bool{}
	next := "/ui/"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than 51 modules need")
		}
		code, body, _ := get(t, http.DefaultClient, reg.url+next)
		if code != 200 {
			t.Fatalf("GET %s: %d", next, code)
		}
		for _, m := range regexp.MustCompile(`<tr><td><a href="/ui/module\?m=([^"]+)">`).FindAllStringSubmatch(body, -1) {
			name, _ := url.QueryUnescape(m[1])
			if seen[name] {
				t.Errorf("%s listed twice", name)
			}
			seen[name] = true
		}
		next = ""
		if m := regexp.MustCompile(`<a href="(/ui/\?page=[^"]+)">Next page</a>`).FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != 51 || !seen["acme/billing"] || !seen["acme/m049"] {
		t.Errorf("listed %d modules, want 51: %v", len(seen), seen)
	}
}

func TestSecurityHeaders(t *testing.T) {
	reg := start(t, true)
	for _, path := range []string{"/ui/", "/ui/signin", "/ui/module?m=acme/nothing", "/ui/static/style.css"} {
		code, _, h := get(t, http.DefaultClient, reg.url+path)
		if code >= 500 {
			t.Fatalf("GET %s: %d", path, code)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: headers %v", path, h)
		}
	}
	// No page carries inline scripts or styles, nor loads anything from
	// elsewhere.
	for _, path := range []string{"/ui/", "/ui/module?m=acme/billing", "/ui/signin"} {
		_, body, _ := get(t, http.DefaultClient, reg.url+path)
		for _, bad := range []string{"<script", "<style", " style=", "http://", "https://"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: page has %q", path, bad)
			}
		}
	}
}

func TestRootRedirect(t *testing.T) {
	reg := start(t, true)
	resp, err := noRedirect.Get(reg.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /: %d to %q, want 302 to /ui/", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The Confluent API keeps its root paths.
	code, body, _ := get(t, http.DefaultClient, reg.url+"/subjects")
	if code != 200 || !strings.HasPrefix(body, "[") {
		t.Errorf("GET /subjects: %d %s", code, body)
	}
}

// signinClient returns a client with a cookie jar that has loaded the
// sign-in form, and the form's CSRF token.
func signinClient(t *testing.T, reg *registry) (*http.Client, string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	_, body, _ := get(t, c, reg.url+"/ui/signin?next=/ui/module?m=acme/billing")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("sign-in form without CSRF token:\n%s", body)
	}
	return c, m[1]
}

func TestSignin(t *testing.T) {
	reg := start(t, false)

	// Anonymous readers are sent to sign in.
	resp, err := noRedirect.Get(reg.url + "/ui/module?m=acme/billing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/signin?next=") {
		t.Fatalf("anonymous read: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}

	tests := []struct {
		name     string
		token    string
		csrf     func(string) string
		code     int
		want     string
		signedIn bool
	}{
		{"good token", reg.reader, func(c string) string { return c }, 200, "signed in as reader", true},
		{"wrong token", "not-a-token", func(c string) string { return c }, 401, "this token is not accepted", false},
		{"missing CSRF", reg.reader, func(string) string { return "" }, 403, "CSRF", false},
		{"wrong CSRF", reg.reader, func(c string) string { return c + "x" }, 403, "CSRF", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, csrf := signinClient(t, reg)
			resp, err := c.PostForm(reg.url+"/ui/signin", url.Values{"token": {tt.token}, "csrf": {tt.csrf(csrf)}, "next": {"/ui/module?m=acme/billing"}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.want) {
				t.Fatalf("sign in: %d, want %d with %q\n%s", resp.StatusCode, tt.code, tt.want, b)
			}
			code, body, _ := get(t, c, reg.url+"/ui/subject?m=acme/billing&s=acme.billing.v1.Invoice")
			if got := code == 200 && strings.Contains(body, "field_number"); got != tt.signedIn {
				t.Errorf("subject page after sign-in: %d, readable %v, want %v", code, got, tt.signedIn)
			}
		})
	}

	t.Run("cookie flags", func(t *testing.T) {
		_, csrf := signinClient(t, reg)
		req, _ := http.NewRequest("POST", reg.url+"/ui/signin", strings.NewReader(url.Values{"token": {reg.reader}, "csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "pbregistry_ui_csrf", Value: csrf})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		set := resp.Header.Get("Set-Cookie")
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(set, "pbregistry_ui_session=") || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") {
			t.Errorf("sign-in: %d, Set-Cookie %q", resp.StatusCode, set)
		}
		if strings.Contains(set, reg.reader) {
			t.Errorf("the session cookie holds the token: %q", set)
		}
	})

	t.Run("cross-origin post refused", func(t *testing.T) {
		c, csrf := signinClient(t, reg)
		req, _ := http.NewRequest("POST", reg.url+"/ui/signin", strings.NewReader(url.Values{"token": {reg.reader}, "csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin sign-in: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("sign out", func(t *testing.T) {
		c, csrf := signinClient(t, reg)
		resp, err := c.PostForm(reg.url+"/ui/signin", url.Values{"token": {reg.reader}, "csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resp, err = c.PostForm(reg.url+"/ui/signout", url.Values{"csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		code, body, _ := get(t, c, reg.url+"/ui/")
		if code != 200 || !strings.Contains(body, "Sign in") || strings.Contains(body, "signed in as") {
			t.Errorf("after sign-out: %d\n%s", code, body)
		}
	})
}

func TestDownloads(t *testing.T) {
	reg := start(t, true)
	resp, err := http.Get(reg.url + "/ui/download/image?m=acme/billing&v=2")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Pbregistry-Version") != "2" || len(b) == 0 {
		t.Errorf("image download: %d version %q, %d bytes", resp.StatusCode, resp.Header.Get("X-Pbregistry-Version"), len(b))
	}
	resp, err = http.Get(reg.url + "/ui/download/dbt?m=acme/billing&v=2&dialect=duckdb")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("dbt download: %d, %d bytes, want a gzip", resp.StatusCode, len(b))
	}
}
