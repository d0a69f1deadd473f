package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMatchModule(t *testing.T) {
	tests := []struct {
		glob, module string
		want         bool
	}{
		{"acme/*", "acme/commerce", true},
		{"acme/*", "acme/commerce/v2", false},
		{"acme/*", "other/commerce", false},
		{"acme/**", "acme/commerce/v2", true},
		{"acme/**", "acme", false},
		{"acme/c*", "acme/commerce", true},
		{"acme/c*", "acme/billing", false},
		{"*/commerce/**", "acme/commerce/x", true},
		{"acme/commerce", "acme/commerce", true},
		{"**", "a/b/c", true},
		{"*", "a/b", false},
		{"*", "a", true},
	}
	for _, tt := range tests {
		if got := MatchModule(tt.glob, tt.module); got != tt.want {
			t.Errorf("MatchModule(%q, %q) = %v, want %v", tt.glob, tt.module, got, tt.want)
		}
	}
}

func TestParseTokensFile(t *testing.T) {
	good := "tokens:\n  - name: ci\n    sha256: " + Hash("t1") + "\n    scopes: [read, \"push:acme/*\"]\n"
	tf, err := ParseTokensFile("tokens.yaml", []byte(good))
	if err != nil || len(tf.Entries) != 1 || tf.Entries[0].Name != "ci" || len(tf.Entries[0].Scopes) != 2 {
		t.Fatalf("ParseTokensFile = %+v, %v", tf, err)
	}
	if tf, err := ParseTokensFile("empty.yaml", nil); err != nil || len(tf.Entries) != 0 {
		t.Errorf("empty file = %+v, %v", tf, err)
	}
	errs := []struct{ name, yaml, want string }{
		{"unknown key", "tokenz: []\n", `tokens.yaml:1: unknown key "tokenz"`},
		{"unknown entry key", "tokens:\n  - name: a\n    token: x\n", `tokens.yaml:3: unknown key "token"`},
		{"no name", "tokens:\n  - sha256: " + Hash("x") + "\n    scopes: [read]\n", "tokens.yaml:2: token entry has no name"},
		{"anonymous", "tokens:\n  - name: anonymous\n    sha256: " + Hash("x") + "\n    scopes: [read]\n", "reserved"},
		{"duplicate", "tokens:\n  - name: a\n    sha256: " + Hash("x") + "\n    scopes: [read]\n  - name: a\n    sha256: " + Hash("y") + "\n    scopes: [read]\n", "tokens.yaml:5: name \"a\" is already used at line 2"},
		{"bad hash", "tokens:\n  - name: a\n    sha256: pbr_plaintext\n    scopes: [read]\n", "64 hex digits"},
		{"no scopes", "tokens:\n  - name: a\n    sha256: " + Hash("x") + "\n", "has no scopes"},
		{"bad scope", "tokens:\n  - name: a\n    sha256: " + Hash("x") + "\n    scopes: [write]\n", `unknown scope "write"`},
		{"empty push glob", "tokens:\n  - name: a\n    sha256: " + Hash("x") + "\n    scopes: [\"push:\"]\n", "no module glob"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTokensFile("tokens.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestCreateTokenRoundTrip(t *testing.T) {
	tok, e, err := CreateToken("ci", []string{"push:acme/*"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) < 40 || strings.Contains(EntryYAML(e), tok) {
		t.Fatalf("token %q, entry %q: want a long prefixed token that the entry does not hold", tok, EntryYAML(e))
	}
	tf, err := ParseTokensFile("t", []byte("tokens:\n"+EntryYAML(e)))
	if err != nil {
		t.Fatalf("the printed entry does not parse: %v\n%s", err, EntryYAML(e))
	}
	p, err := New(tf, Options{}).Authenticate("Bearer " + tok)
	if err != nil || p.Name != "ci" || p.CanPush("acme/commerce") != nil {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if _, _, err := CreateToken("", []string{"read"}); err == nil {
		t.Error("CreateToken without a name succeeded")
	}
	if _, _, err := CreateToken("x", []string{"root"}); err == nil {
		t.Error("CreateToken with an unknown scope succeeded")
	}
}

func TestScopes(t *testing.T) {
	tf := &TokensFile{Entries: []Entry{
		{Name: "reader", SHA256: Hash("r"), Scopes: []Scope{ScopeRead}},
		{Name: "ci", SHA256: Hash("c"), Scopes: []Scope{PushScope("acme/*")}},
		{Name: "root", SHA256: Hash("a"), Scopes: []Scope{ScopeAdmin}},
	}}
	type can struct{ read, pushAcme, pushOther, admin bool }
	tests := []struct {
		name, header string
		anonRead     bool
		want         can
		wantErr      error
	}{
		{"reader", "Bearer r", false, can{read: true}, nil},
		{"pusher reads and pushes its modules", "Bearer c", false, can{read: true, pushAcme: true}, nil},
		{"admin", "bearer a", false, can{true, true, true, true}, nil},
		{"anonymous read on", "", true, can{read: true}, nil},
		{"anonymous read off", "", false, can{}, ErrUnauthenticated},
		{"wrong token", "Bearer nope", true, can{}, ErrUnauthenticated},
		{"not bearer", "Basic abc", true, can{}, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tf, Options{AnonymousRead: tt.anonRead}).Authenticate(tt.header)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := can{p.CanRead() == nil, p.CanPush("acme/commerce") == nil, p.CanPush("other/x") == nil, p.CanAdmin("x") == nil}
			if got != tt.want {
				t.Errorf("%s can %+v, want %+v", p.Name, got, tt.want)
			}
		})
	}
}

func TestDeniedErrors(t *testing.T) {
	p := &Principal{Name: "reader", Scopes: []Scope{ScopeRead}}
	err := p.CanPush("acme/commerce")
	if !errors.Is(err, ErrPermissionDenied) || !strings.Contains(err.Error(), "needs scope push:acme/commerce") || !strings.Contains(err.Error(), `"reader" has scopes read`) {
		t.Errorf("CanPush = %v", err)
	}
	anon := FromContext(context.Background())
	if err := anon.CanRead(); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "needs a token with scope read") {
		t.Errorf("anonymous CanRead = %v", err)
	}
	ctx := WithPrincipal(context.Background(), p)
	if FromContext(ctx) != p {
		t.Error("FromContext lost the principal")
	}
}

func TestOpen(t *testing.T) {
	a := Open()
	for _, h := range []string{"", "Bearer whatever"} {
		p, err := a.Authenticate(h)
		if err != nil || p.Name != Anonymous || p.CanAdmin("x") != nil || p.CanPush("a/b") != nil {
			t.Errorf("open registry, header %q: %+v, %v", h, p, err)
		}
	}
}
