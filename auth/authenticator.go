package auth

import (
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// unauthenticatedError is a request that could not be authenticated. It
// matches ErrUnauthenticated.
type unauthenticatedError struct{ msg string }

func unauthenticated(msg string) error { return &unauthenticatedError{msg: msg} }

// Error implements error.
func (e *unauthenticatedError) Error() string { return e.msg }

// Is reports whether target is ErrUnauthenticated.
func (e *unauthenticatedError) Is(target error) bool { return target == ErrUnauthenticated }

// Authenticator turns the Authorization header of a request into a
// Principal.
type Authenticator struct {
	entries       []Entry
	hashes        [][]byte
	open          bool
	anonymousRead bool
}

// Options configure an Authenticator over a tokens file.
type Options struct {
	// AnonymousRead lets requests without a token read.
	AnonymousRead bool
}

// New returns an Authenticator that accepts the tokens of tf.
func New(tf *TokensFile, opts Options) *Authenticator {
	a := &Authenticator{entries: tf.Entries, anonymousRead: opts.AnonymousRead}
	for _, e := range tf.Entries {
		h, _ := hex.DecodeString(e.SHA256) // validated by ParseTokensFile
		a.hashes = append(a.hashes, h)
	}
	return a
}

// Open returns an Authenticator without tokens: every request is the
// anonymous principal, with every scope. For a registry on a laptop.
func Open() *Authenticator { return &Authenticator{open: true} }

// IsOpen reports whether a is Open: no tokens, everyone is admin.
func (a *Authenticator) IsOpen() bool { return a.open }

// AnonymousRead reports whether requests without a token may read.
func (a *Authenticator) AnonymousRead() bool { return a.open || a.anonymousRead }

// Authenticate returns the principal of a request whose Authorization
// header is authorization ("" when absent). Errors match
// ErrUnauthenticated.
func (a *Authenticator) Authenticate(authorization string) (*Principal, error) {
	if authorization == "" {
		switch {
		case a.open:
			return &Principal{Name: Anonymous, Anonymous: true, Scopes: []Scope{ScopeAdmin}}, nil
		case a.anonymousRead:
			return &Principal{Name: Anonymous, Anonymous: true, Scopes: []Scope{ScopeRead}}, nil
		}
		return nil, unauthenticated("this registry needs a token: pass --token (or set PBREGISTRY_TOKEN), i.e. the header \"Authorization: Bearer <token>\"")
	}
	scheme, token, ok := strings.Cut(authorization, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, unauthenticated("the Authorization header must be \"Bearer <token>\"")
	}
	if a.open {
		return &Principal{Name: Anonymous, Anonymous: true, Scopes: []Scope{ScopeAdmin}}, nil
	}
	got := Hash(token)
	sum, _ := hex.DecodeString(got)
	// Compare with every entry, in constant time, so that timing says
	// nothing about which entry, if any, matched.
	match := -1
	for i, h := range a.hashes {
		if subtle.ConstantTimeCompare(sum, h) == 1 && match < 0 {
			match = i
		}
	}
	if match < 0 {
		return nil, unauthenticated("the token is not in this registry's tokens file: check --token / PBREGISTRY_TOKEN, or ask an admin for a token (registryd token create)")
	}
	e := a.entries[match]
	return &Principal{Name: e.Name, Scopes: e.Scopes}, nil
}
