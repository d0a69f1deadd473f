package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// testExceptions: exceptions are created once per (module, digest, rule,
// element), read back and listed.
func testExceptions(t *testing.T, s registry.Store) {
	c := ctx(t)
	d := Push("acme/commerce", 0, "a").Digest
	spec := registry.ExceptionSpec{Module: "acme/commerce", Digest: d, Rule: "FIELD_SAME_TYPE",
		Element: "acme.v1.Order.total", Reason: "the only reader was migrated", Principal: "admin@acme.example"}
	before := time.Now().Add(-time.Second)
	e, err := s.CreateException(c, spec)
	must(t, err)
	if e.ID <= 0 || e.Module != spec.Module || e.Digest != d || e.Rule != spec.Rule || e.Element != spec.Element ||
		e.Reason != spec.Reason || e.Principal != spec.Principal || e.CreatedAt.Before(before) || e.UsedVersion != 0 || !e.UsedAt.IsZero() {
		t.Fatalf("CreateException = %+v", e)
	}
	_, err = s.CreateException(c, spec)
	wantErr(t, "same exception twice", err, registry.ErrAlreadyExists)
	other := spec
	other.Element = "acme.v1.Order.tax"
	e2, err := s.CreateException(c, other)
	must(t, err)
	elsewhere := spec
	elsewhere.Digest = Push("acme/commerce", 0, "b").Digest
	e3, err := s.CreateException(c, elsewhere)
	must(t, err)

	got, err := s.GetException(c, e.ID)
	must(t, err)
	if !reflect.DeepEqual(got, e) {
		t.Errorf("GetException = %+v, want %+v", got, e)
	}
	tests := []struct {
		q    registry.ExceptionQuery
		want []int64
	}{
		{registry.ExceptionQuery{Module: "acme/commerce"}, []int64{e.ID, e2.ID, e3.ID}},
		{registry.ExceptionQuery{Module: "acme/commerce", Digest: d}, []int64{e.ID, e2.ID}},
		{registry.ExceptionQuery{Module: "acme/other"}, nil},
	}
	for _, tc := range tests {
		list, err := s.ListExceptions(c, tc.q)
		must(t, err)
		var ids []int64
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		if !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("ListExceptions(%+v) = %v, want %v", tc.q, ids, tc.want)
		}
	}
	for name, bad := range map[string]registry.ExceptionSpec{
		"no reason":  {Module: "acme/commerce", Digest: d, Rule: "R", Element: "E", Principal: "p"},
		"bad digest": {Module: "acme/commerce", Digest: "x", Rule: "R", Element: "E", Reason: "r", Principal: "p"},
		"no rule":    {Module: "acme/commerce", Digest: d, Element: "E", Reason: "r", Principal: "p"},
	} {
		_, err := s.CreateException(c, bad)
		wantErr(t, name, err, registry.ErrInvalidArgument)
	}
}

// testExceptionsUsedOnce: a push consumes the exceptions granted for its
// digest; they never apply to another push, and a refused push consumes
// nothing.
func testExceptionsUsedOnce(t *testing.T, s registry.Store) {
	c := ctx(t)
	p := Push("acme/commerce", 0, "a")
	grant := func(digest, element string) registry.Exception {
		e, err := s.CreateException(c, registry.ExceptionSpec{Module: "acme/commerce", Digest: digest,
			Rule: "FIELD_SAME_TYPE", Element: element, Reason: "approved", Principal: "admin"})
		must(t, err)
		return e
	}
	e1, e2 := grant(p.Digest, "acme.v1.Order.a"), grant(p.Digest, "acme.v1.Order.b")
	otherDigest := Push("acme/commerce", 0, "b").Digest
	foreign := grant(otherDigest, "acme.v1.Order.a")

	// A push whose exceptions cannot all be consumed is refused whole.
	bad := p
	bad.Exceptions = []int64{e1.ID, foreign.ID}
	_, _, err := s.CommitPush(c, bad)
	wantErr(t, "exception of another digest", err, registry.ErrConflict)
	var unavailable *registry.ExceptionUnavailableError
	if !errors.As(err, &unavailable) || unavailable.ID != foreign.ID {
		t.Errorf("error %#v, want an ExceptionUnavailableError for %d", err, foreign.ID)
	}
	if x, _ := s.GetException(c, e1.ID); x.UsedVersion != 0 {
		t.Errorf("refused push consumed exception %+v", x)
	}
	bad.Exceptions = []int64{987654}
	_, _, err = s.CommitPush(c, bad)
	wantErr(t, "exception that does not exist", err, registry.ErrConflict)

	p.Exceptions = []int64{e1.ID, e2.ID}
	v, created, err := s.CommitPush(c, p)
	must(t, err)
	if !created {
		t.Fatal("push not created")
	}
	for _, id := range p.Exceptions {
		x, err := s.GetException(c, id)
		must(t, err)
		if x.UsedVersion != v.Number || x.UsedAt.IsZero() {
			t.Errorf("exception %d after push = %+v, want used by version %d", id, x, v.Number)
		}
	}
	// Re-pushing the same content is idempotent, even naming used exceptions.
	if again, created, err := s.CommitPush(c, p); err != nil || created || again.Number != v.Number {
		t.Errorf("idempotent re-push = %+v, %v, %v", again, created, err)
	}
	// A used exception does not carry over to another push.
	next := Push("acme/commerce", 1, "b")
	next.Exceptions = []int64{e1.ID}
	_, _, err = s.CommitPush(c, next)
	wantErr(t, "used exception on another push", err, registry.ErrConflict)
	unused, err := s.ListExceptions(c, registry.ExceptionQuery{Module: "acme/commerce", UnusedOnly: true})
	must(t, err)
	if len(unused) != 1 || unused[0].ID != foreign.ID {
		t.Errorf("unused exceptions = %+v, want only %d", unused, foreign.ID)
	}
}
