package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// RunSchemaIDs runs the conformance suite of registry.SchemaIDStore
// against the stores open returns, which must implement it.
func RunSchemaIDs(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		run  func(t *testing.T, s registry.SchemaIDStore)
	}{
		{"Assign", testSchemaAssign},
		{"AssignExplicit", testSchemaAssignExplicit},
		{"AssignConcurrent", testSchemaAssignConcurrent},
		{"Bindings", testSchemaBindings},
		{"References", testSchemaReferences},
		{"Settings", testSchemaSettings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ids, ok := s.(registry.SchemaIDStore)
			if !ok {
				t.Fatalf("%T does not implement registry.SchemaIDStore", s)
			}
			tc.run(t, ids)
		})
	}
}

// schema returns a schema of seed's content.
func schema(seed string, refs ...registry.SchemaReference) registry.Schema {
	return registry.Schema{Digest: "d-" + seed, Type: "PROTOBUF", Text: "syntax = \"proto3\"; message " + seed + " {}", References: refs}
}

// testSchemaAssign: ids are 1, 2, … in order of first registration; the
// same digest gets the same id and writes nothing; lookups by id and digest
// return what was stored.
func testSchemaAssign(t *testing.T, s registry.SchemaIDStore) {
	c := ctx(t)
	for i, seed := range []string{"A", "B", "A", "C", "B"} {
		got, created, err := s.AssignSchemaID(c, schema(seed))
		must(t, err)
		want := map[string]int64{"A": 1, "B": 2, "C": 3}[seed]
		if got.ID != want || created != (i == 0 || i == 1 || i == 3) {
			t.Errorf("assign %s (call %d) = id %d created %v, want id %d", seed, i, got.ID, created, want)
		}
		if got.Text != schema(seed).Text || got.Type != "PROTOBUF" || got.CreatedAt.IsZero() {
			t.Errorf("assign %s returned %+v", seed, got)
		}
	}
	byID, err := s.GetSchema(c, 2)
	must(t, err)
	byDigest, err := s.GetSchemaByDigest(c, "d-B")
	must(t, err)
	if byID.Digest != "d-B" || byDigest.ID != 2 || byID.Text != byDigest.Text || !byID.CreatedAt.Equal(byDigest.CreatedAt) {
		t.Errorf("GetSchema(2) = %+v, GetSchemaByDigest(d-B) = %+v", byID, byDigest)
	}
	_, err = s.GetSchema(c, 4)
	wantErr(t, "GetSchema of an unused id", err, registry.ErrNotFound)
	_, err = s.GetSchemaByDigest(c, "d-none")
	wantErr(t, "GetSchemaByDigest of an unknown digest", err, registry.ErrNotFound)
	for _, bad := range []registry.Schema{{Type: "PROTOBUF"}, {Digest: "d", Type: ""}, {ID: registry.MaxSchemaID + 1, Digest: "d", Type: "PROTOBUF"}, {ID: -1, Digest: "d", Type: "PROTOBUF"}} {
		_, _, err := s.AssignSchemaID(c, bad)
		wantErr(t, fmt.Sprintf("AssignSchemaID(%+v)", bad), err, registry.ErrInvalidArgument)
	}
	if _, err := s.GetSchema(c, 4); err == nil {
		t.Error("an invalid schema was stored")
	}
}

// testSchemaAssignExplicit: an import keeps its ids; an id that names
// other content, or content that has another id, is a conflict that
// writes nothing; new ids continue after the largest.
func testSchemaAssignExplicit(t *testing.T, s registry.SchemaIDStore) {
	c := ctx(t)
	in := schema("A")
	in.ID = 100
	got, created, err := s.AssignSchemaID(c, in)
	must(t, err)
	if got.ID != 100 || !created {
		t.Fatalf("assign with id 100 = %d, created %v", got.ID, created)
	}
	got, created, err = s.AssignSchemaID(c, in)
	must(t, err)
	if got.ID != 100 || created {
		t.Errorf("assign again with id 100 = %d, created %v", got.ID, created)
	}
	other := schema("B")
	other.ID = 100
	_, _, err = s.AssignSchemaID(c, other)
	wantErr(t, "assign other content to a used id", err, registry.ErrConflict)
	moved := schema("A")
	moved.ID = 7
	_, _, err = s.AssignSchemaID(c, moved)
	wantErr(t, "assign content another id", err, registry.ErrConflict)
	if _, err := s.GetSchema(c, 7); err == nil {
		t.Error("a refused assignment stored id 7")
	}
	got, _, err = s.AssignSchemaID(c, schema("C"))
	must(t, err)
	if got.ID != 101 {
		t.Errorf("next id after 100 = %d, want 101", got.ID)
	}
}

// testSchemaAssignConcurrent: many goroutines assigning a few contents at
// once get one id per content, gap-free.
func testSchemaAssignConcurrent(t *testing.T, s registry.SchemaIDStore) {
	c := ctx(t)
	const workers, contents = 8, 4
	ids := make([][]int64, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*contents)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range contents {
				got, _, err := s.AssignSchemaID(c, schema(fmt.Sprint("S", (i+w)%contents)))
				if err != nil {
					errs <- err
					return
				}
				ids[w] = append(ids[w], got.ID)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	byContent := map[int]int64{}
	for w := range workers {
		for i, id := range ids[w] {
			content := (i + w) % contents
			if prev, ok := byContent[content]; ok && prev != id {
				t.Errorf("content S%d got ids %d and %d", content, prev, id)
			}
			byContent[content] = id
		}
	}
	var all []int64
	for _, id := range byContent {
		all = append(all, id)
	}
	slices.Sort(all)
	if !slices.Equal(all, []int64{1, 2, 3, 4}) {
		t.Errorf("ids %v, want 1–4", all)
	}
}

// testSchemaBindings: versions bind to schemas; listings by module,
// prefix and schema; soft delete hides, binding again restores; a version
// bound to another schema is a conflict; permanent delete removes.
func testSchemaBindings(t *testing.T, s registry.SchemaIDStore) {
	c := ctx(t)
	a, _, err := s.AssignSchemaID(c, schema("A"))
	must(t, err)
	b, _, err := s.AssignSchemaID(c, schema("B"))
	must(t, err)
	for _, bd := range []registry.SchemaBinding{
		{Module: "confluent/orders", Version: 1, SchemaID: a.ID},
		{Module: "confluent/orders", Version: 2, SchemaID: b.ID},
		{Module: "confluent/payments", Version: 1, SchemaID: a.ID},
		{Module: "confluentx/other", Version: 1, SchemaID: a.ID},
		{Module: "confluent/orders", Version: 1, SchemaID: a.ID}, // again: nothing changes
	} {
		must(t, s.BindSchema(c, bd))
	}
	err = s.BindSchema(c, registry.SchemaBinding{Module: "confluent/orders", Version: 1, SchemaID: b.ID})
	wantErr(t, "bind a bound version to another schema", err, registry.ErrConflict)
	err = s.BindSchema(c, registry.SchemaBinding{Module: "confluent/orders", Version: 0, SchemaID: b.ID})
	wantErr(t, "bind version 0", err, registry.ErrInvalidArgument)
	list := func(q registry.SchemaBindingQuery) []string {
		t.Helper()
		bs, err := s.ListSchemaBindings(c, q)
		must(t, err)
		var out []string
		for _, b := range bs {
			out = append(out, fmt.Sprintf("%s@%d=%d%s", b.Module, b.Version, b.SchemaID, map[bool]string{true: "(deleted)"}[b.Deleted]))
		}
		return out
	}
	check := func(what string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("by prefix", list(registry.SchemaBindingQuery{ModulePrefix: "confluent/"}), "confluent/orders@1=1", "confluent/orders@2=2", "confluent/payments@1=1")
	check("by schema", list(registry.SchemaBindingQuery{SchemaID: a.ID}), "confluent/orders@1=1", "confluent/payments@1=1", "confluentx/other@1=1")
	check("by module, limited", list(registry.SchemaBindingQuery{Module: "confluent/orders", Limit: 1}), "confluent/orders@1=1")

	must(t, s.SetSchemaBindingDeleted(c, "confluent/orders", 2, true))
	check("soft-deleted hidden", list(registry.SchemaBindingQuery{Module: "confluent/orders"}), "confluent/orders@1=1")
	check("soft-deleted listed", list(registry.SchemaBindingQuery{Module: "confluent/orders", IncludeDeleted: true}), "confluent/orders@1=1", "confluent/orders@2=2(deleted)")
	got, err := s.GetSchemaBinding(c, "confluent/orders", 2)
	must(t, err)
	if !got.Deleted || got.SchemaID != b.ID {
		t.Errorf("GetSchemaBinding of a soft-deleted version = %+v", got)
	}
	must(t, s.BindSchema(c, registry.SchemaBinding{Module: "confluent/orders", Version: 2, SchemaID: b.ID}))
	check("bound again", list(registry.SchemaBindingQuery{Module: "confluent/orders"}), "confluent/orders@1=1", "confluent/orders@2=2")

	must(t, s.DeleteSchemaBinding(c, "confluent/payments", 1))
	_, err = s.GetSchemaBinding(c, "confluent/payments", 1)
	wantErr(t, "GetSchemaBinding after a permanent delete", err, registry.ErrNotFound)
	wantErr(t, "delete it again", s.DeleteSchemaBinding(c, "confluent/payments", 1), registry.ErrNotFound)
	wantErr(t, "soft-delete a missing binding", s.SetSchemaBindingDeleted(c, "confluent/none", 1, true), registry.ErrNotFound)
	if _, err := s.GetSchema(c, a.ID); err != nil {
		t.Errorf("the schema's id went with its binding: %v", err)
	}
}

// testSchemaReferences: references round-trip in order; referrers are the
// bound schemas that reference a version; a referenced binding cannot be
// deleted for good.
func testSchemaReferences(t *testing.T, s registry.SchemaIDStore) {
	c := ctx(t)
	base, _, err := s.AssignSchemaID(c, schema("Base"))
	must(t, err)
	must(t, s.BindSchema(c, registry.SchemaBinding{Module: "confluent/base", Version: 1, SchemaID: base.ID}))
	refs := []registry.SchemaReference{{Name: "z/base.proto", Module: "confluent/base", Version: 1}, {Name: "a/other.proto", Module: "confluent/other", Version: 3}}
	user, _, err := s.AssignSchemaID(c, schema("User", refs...))
	must(t, err)
	got, err := s.GetSchema(c, user.ID)
	must(t, err)
	if !slices.Equal(got.References, refs) {
		t.Errorf("references = %+v, want %+v", got.References, refs)
	}
	ids, err := s.SchemaReferrers(c, "confluent/base", 1)
	must(t, err)
	if len(ids) != 0 {
		t.Errorf("referrers before the referencing schema is bound = %v", ids)
	}
	must(t, s.BindSchema(c, registry.SchemaBinding{Module: "confluent/user", Version: 1, SchemaID: user.ID}))
	ids, err = s.SchemaReferrers(c, "confluent/base", 1)
	must(t, err)
	if !slices.Equal(ids, []int64{user.ID}) {
		t.Errorf("referrers = %v, want [%d]", ids, user.ID)
	}
	wantErr(t, "delete a referenced binding", s.DeleteSchemaBinding(c, "confluent/base", 1), registry.ErrConflict)
	if _, err := s.GetSchemaBinding(c, "confluent/base", 1); err != nil {
		t.Errorf("a refused delete removed the binding: %v", err)
	}
	must(t, s.DeleteSchemaBinding(c, "confluent/user", 1))
	must(t, s.DeleteSchemaBinding(c, "confluent/base", 1))
}

// testSchemaSettings: settings per module and global, replaced and
// deleted.
func testSchemaSettings(t *testing.T, s registry.SchemaIDStore) {
	c := ctx(t)
	_, err := s.GetSchemaSetting(c, "", "compatibility")
	wantErr(t, "get an unset setting", err, registry.ErrNotFound)
	must(t, s.PutSchemaSetting(c, "", "compatibility", "FULL"))
	must(t, s.PutSchemaSetting(c, "confluent/orders", "compatibility", "NONE"))
	must(t, s.PutSchemaSetting(c, "", "compatibility", "BACKWARD"))
	for module, want := range map[string]string{"": "BACKWARD", "confluent/orders": "NONE"} {
		got, err := s.GetSchemaSetting(c, module, "compatibility")
		must(t, err)
		if got != want {
			t.Errorf("setting of %q = %q, want %q", module, got, want)
		}
	}
	must(t, s.PutSchemaSetting(c, "confluent/orders", "mode", "READONLY"))
	must(t, s.PutSchemaSetting(c, "confluent/other", "mode", "IMPORT"))
	all, err := s.ListSchemaSettings(c, "confluent/orders", "")
	must(t, err)
	if fmt.Sprint(all) != "[{ compatibility BACKWARD} {confluent/orders compatibility NONE} {confluent/orders mode READONLY}]" {
		t.Errorf("ListSchemaSettings = %v", all)
	}
	if none, err := s.ListSchemaSettings(c); err != nil || len(none) != 0 {
		t.Errorf("ListSchemaSettings() = %v, %v", none, err)
	}
	must(t, s.DeleteSchemaSetting(c, "confluent/orders", "compatibility"))
	wantErr(t, "delete it again", s.DeleteSchemaSetting(c, "confluent/orders", "compatibility"), registry.ErrNotFound)
	_, err = s.GetSchemaSetting(c, "confluent/orders", "compatibility")
	wantErr(t, "get a deleted setting", err, registry.ErrNotFound)
}
