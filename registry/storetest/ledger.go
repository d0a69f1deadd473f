package storetest

import (
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

// testLedgerMeaning: a push giving a recorded key another meaning — the
// push service allowed it, e.g. a field renamed under WIRE rules — replaces
// the meaning and keeps the version that first used the key.
func testLedgerMeaning(t *testing.T, s registry.Store) {
	c := ctx(t)
	mustPush(t, s, "acme/commerce", "a")
	mustPush(t, s, "acme/commerce", "b") // f_a is no longer used
	p := Push("acme/commerce", 2, "c")
	p.Ledger = append(p.Ledger, registry.LedgerEntry{Subject: OrderSubject, Scope: OrderSubject,
		Kind: registry.LedgerFieldName, Key: "f_a", Meaning: "2 string"})
	if _, _, err := s.CommitPush(c, p); err != nil {
		t.Fatalf("push giving f_a another meaning: %v", err)
	}
	entries, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: OrderSubject, Scope: OrderSubject})
	must(t, err)
	found := false
	for _, e := range entries {
		if e.Kind == registry.LedgerFieldName && e.Key == "f_a" {
			found = true
			if e.Meaning != "2 string" || e.FirstVersion != 1 {
				t.Errorf("ledger entry f_a = %+v, want meaning %q kept from version 1", e, "2 string")
			}
		}
	}
	if !found {
		t.Errorf("ledger lost f_a: %+v", entries)
	}
}
