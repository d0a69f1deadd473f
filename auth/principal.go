package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Anonymous is the name of the principal of requests without a token.
const Anonymous = "anonymous"

// Principal is who makes a request: a tokens file entry, or the anonymous
// caller.
type Principal struct {
	// Name is the entry's name, recorded as the pusher of versions.
	Name string
	// Scopes are what the principal may do.
	Scopes []Scope
	// Anonymous reports a request without a token.
	Anonymous bool
}

// ErrUnauthenticated is matched by errors of requests that need a token
// and have none, or a wrong one.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrPermissionDenied is matched by errors of principals lacking a scope.
var ErrPermissionDenied = errors.New("permission denied")

// DeniedError says which scope a call needs and the principal lacks.
// It matches ErrPermissionDenied, or ErrUnauthenticated for the anonymous
// principal, who needs a token first.
type DeniedError struct {
	// Principal is who was denied.
	Principal string
	// Anonymous reports that the request carried no token.
	Anonymous bool
	// Need is the scope the call needs, e.g. "push:acme/commerce".
	Need string
	// What is the denied action, e.g. "push to acme/commerce".
	What string
	// Has lists the principal's scopes.
	Has []Scope
}

// Error implements error.
func (e *DeniedError) Error() string {
	if e.Anonymous {
		return fmt.Sprintf("%s needs a token with scope %s: pass --token (or set PBREGISTRY_TOKEN) with a token an admin created with `registryd token create --scope %s`", e.What, e.Need, e.Need)
	}
	has := "no scopes"
	if len(e.Has) > 0 {
		parts := make([]string, len(e.Has))
		for i, s := range e.Has {
			parts[i] = string(s)
		}
		has = "scopes " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s needs scope %s, and the token of %q has %s: ask an admin for a token with scope %s", e.What, e.Need, e.Principal, has, e.Need)
}

// Is matches ErrPermissionDenied, or ErrUnauthenticated when anonymous.
func (e *DeniedError) Is(target error) bool {
	if e.Anonymous {
		return target == ErrUnauthenticated
	}
	return target == ErrPermissionDenied
}

// has reports whether p holds scope s or admin.
func (p *Principal) has(s Scope) bool {
	return slices.Contains(p.Scopes, s) || slices.Contains(p.Scopes, ScopeAdmin)
}

func (p *Principal) deny(what, need string) error {
	return &DeniedError{Principal: p.Name, Anonymous: p.Anonymous, Need: need, What: what, Has: p.Scopes}
}

// CanRead returns nil if p may read: scope read, any push scope, or admin.
func (p *Principal) CanRead() error {
	if p.has(ScopeRead) {
		return nil
	}
	for _, s := range p.Scopes {
		if strings.HasPrefix(string(s), pushPrefix) {
			return nil
		}
	}
	return p.deny("reading the registry", string(ScopeRead))
}

// CanPush returns nil if p may push to module.
func (p *Principal) CanPush(module string) error {
	for _, s := range p.Scopes {
		if s.allowsPush(module) {
			return nil
		}
	}
	return p.deny("pushing to "+module, pushPrefix+module)
}

// CanAdmin returns nil if p is an admin; what names the action.
func (p *Principal) CanAdmin(what string) error {
	if p.has(ScopeAdmin) {
		return nil
	}
	return p.deny(what, string(ScopeAdmin))
}

// principalKey is the context key of a *Principal.
type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries; without one, an anonymous
// principal with no scopes, who may do nothing.
func FromContext(ctx context.Context) *Principal {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok && p != nil {
		return p
	}
	return &Principal{Name: Anonymous, Anonymous: true}
}
