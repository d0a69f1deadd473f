package storetest

import (
	"errors"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// testLedger: each key keeps the version that first used it, including
// keys later pushes no longer use; lookups by subject and scope.
func testLedger(t *testing.T, s registry.Store) {
	c := ctx(t)
	mustPush(t, s, "acme/commerce", "a") // version 1: id, f_a, units
	p2 := Push("acme/commerce", 1, "b")  // version 2: id, f_b, units, status
	p2.Ledger = append(p2.Ledger, registry.LedgerEntry{Subject: OrderSubject, Scope: "acme.v1.Order.Status",
		Kind: registry.LedgerEnumNumber, Key: "1", Meaning: "STATUS_OPEN"})
	_, _, err := s.CommitPush(c, p2)
	must(t, err)
	mustPush(t, s, "acme/commerce", "a2") // version 3: f_b and status no longer used

	all, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: OrderSubject})
	must(t, err)
	first := map[string]int64{}
	for _, e := range all {
		if e.Subject != OrderSubject {
			t.Errorf("entry %v has subject %s", e, e.Subject)
		}
		first[string(e.Kind)+" "+e.Scope+" "+e.Key] = e.FirstVersion
	}
	want := map[string]int64{
		"field_number acme.v1.Order 1":       1,
		"field_name acme.v1.Order id":        1,
		"field_name acme.v1.Order f_a":       1,
		"field_number acme.v1.Money 1":       1,
		"field_name acme.v1.Order f_b":       2,
		"enum_number acme.v1.Order.Status 1": 2,
		"field_name acme.v1.Order f_a2":      3,
	}
	if len(first) != len(want) || len(all) != len(want) {
		t.Errorf("ledger has %d entries %v, want %v", len(all), first, want)
	}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("ledger %s first version = %d, want %d", k, first[k], v)
		}
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Scope > b.Scope || a.Scope == b.Scope && (a.Kind > b.Kind || a.Kind == b.Kind && a.Key >= b.Key) {
			t.Errorf("ledger not ordered by scope, kind, key: %v before %v", a, b)
		}
	}
	money, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: OrderSubject, Scope: "acme.v1.Money"})
	must(t, err)
	if len(money) != 1 || money[0].Key != "1" || money[0].Meaning != "int64 units" || money[0].Kind != registry.LedgerFieldNumber {
		t.Errorf("ledger of scope acme.v1.Money = %+v", money)
	}
	none, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: OrderSubject, Scope: "acme.v1.Nothing"})
	if err != nil || len(none) != 0 {
		t.Errorf("ledger of an unknown scope = %v, %v; want empty", none, err)
	}
}

// testLedgerConflict: a push giving a recorded key another meaning — even a
// key no version has used since — is refused and writes nothing.
func testLedgerConflict(t *testing.T, s registry.Store) {
	c := ctx(t)
	mustPush(t, s, "acme/commerce", "a")
	mustPush(t, s, "acme/commerce", "b") // f_a is no longer used
	p := Push("acme/commerce", 2, "c")
	p.Ledger = append(p.Ledger, registry.LedgerEntry{Subject: OrderSubject, Scope: OrderSubject,
		Kind: registry.LedgerFieldName, Key: "f_a", Meaning: "2 string"})
	_, _, err := s.CommitPush(c, p)
	wantErr(t, "reused field name", err, registry.ErrConflict)
	var conflict *registry.LedgerConflictError
	if !errors.As(err, &conflict) || conflict.Existing.FirstVersion != 1 || conflict.Existing.Meaning != "2 acme.v1.Money" ||
		conflict.Proposed != "2 string" || conflict.Existing.Key != "f_a" {
		t.Fatalf("error %#v, want a LedgerConflictError on f_a from version 1", err)
	}
	if n, _ := latest(c, s, "acme/commerce"); n != 2 {
		t.Errorf("latest version = %d, want 2", n)
	}
	all, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: OrderSubject})
	must(t, err)
	for _, e := range all {
		if e.FirstVersion > 2 {
			t.Errorf("refused push left ledger entry %v", e)
		}
	}
}
