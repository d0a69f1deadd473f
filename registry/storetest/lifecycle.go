package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// testRetireSubject: a retired subject is recorded (who, when, why, as of
// which version) and keeps its ledger; retiring it again changes nothing;
// pushes that do not declare it leave it retired, and the first push that
// declares it again makes it active.
func testRetireSubject(t *testing.T, s registry.Store) {
	c := ctx(t)
	const module = "acme/commerce"
	mustPush(t, s, module, "a")
	ledgerBefore, err := s.Ledger(c, registry.LedgerQuery{Module: module, Subject: OrderSubject})
	must(t, err)
	before := time.Now().Add(-time.Second)
	req := registry.RetireSubjectRequest{Module: module, Subject: OrderSubject, Reason: "typo: the table is acme.v1.Orders", Principal: "admin@acme.example"}
	sub, changed, err := s.RetireSubject(c, req)
	must(t, err)
	if !changed || sub.Retired == nil || sub.Retired.Principal != req.Principal || sub.Retired.Reason != req.Reason ||
		sub.Retired.Version != 1 || sub.Retired.At.Before(before) {
		t.Fatalf("RetireSubject = %+v, changed %v, retired %+v", sub, changed, sub.Retired)
	}
	again, changed, err := s.RetireSubject(c, registry.RetireSubjectRequest{Module: module, Subject: OrderSubject, Reason: "again", Principal: "other@acme.example"})
	must(t, err)
	if changed || !reflect.DeepEqual(again, sub) {
		t.Fatalf("RetireSubject again = %+v (changed %v), want %+v unchanged", again.Retired, changed, sub.Retired)
	}

	// A push that no longer declares it leaves it retired; its ledger stays.
	p2 := Push(module, 1, "b")
	p2.Subjects, p2.Ledger = nil, nil
	_, _, err = s.CommitPush(c, p2)
	must(t, err)
	for _, read := range []struct {
		name string
		get  func() (registry.Subject, error)
	}{
		{"GetSubject", func() (registry.Subject, error) { return s.GetSubject(c, module, OrderSubject) }},
		{"ListSubjects", func() (registry.Subject, error) {
			list, err := s.ListSubjects(c, module)
			if err != nil || len(list) != 1 {
				t.Fatalf("ListSubjects = %+v, %v", list, err)
			}
			return list[0], nil
		}},
	} {
		got, err := read.get()
		must(t, err)
		if !reflect.DeepEqual(got.Retired, sub.Retired) {
			t.Fatalf("%s after a push without it: retired %+v, want %+v", read.name, got.Retired, sub.Retired)
		}
	}
	ledgerAfter, err := s.Ledger(c, registry.LedgerQuery{Module: module, Subject: OrderSubject})
	must(t, err)
	if len(ledgerAfter) == 0 || !reflect.DeepEqual(ledgerAfter, ledgerBefore) {
		t.Fatalf("ledger after retirement = %v, want it kept: %v", ledgerAfter, ledgerBefore)
	}

	// Declared again: active, with the same record and ledger.
	_, _, err = s.CommitPush(c, Push(module, 2, "c"))
	must(t, err)
	revived, err := s.GetSubject(c, module, OrderSubject)
	must(t, err)
	if revived.Retired != nil || revived.LastVersion != 3 || revived.FirstVersion != 1 {
		t.Fatalf("subject declared again = %+v, retired %+v; want active, versions 1–3", revived, revived.Retired)
	}
	// It can be retired again, as of the new latest version.
	sub, changed, err = s.RetireSubject(c, req)
	must(t, err)
	if !changed || sub.Retired == nil || sub.Retired.Version != 3 {
		t.Fatalf("RetireSubject after revival = %+v (changed %v)", sub.Retired, changed)
	}

	events, err := s.ListLifecycleEvents(c, module, registry.PageRequest{})
	must(t, err)
	if len(events.Items) != 2 || events.Items[0].Action != registry.ActionSubjectRetired || events.Items[0].Version != 3 ||
		events.Items[1].Version != 1 || events.Items[1].Subject != OrderSubject || events.Items[1].Text != req.Reason ||
		events.Items[1].Principal != req.Principal {
		t.Fatalf("lifecycle events = %+v, want two retirements, newest first", events.Items)
	}

	_, _, err = s.RetireSubject(c, registry.RetireSubjectRequest{Module: module, Subject: "acme.v1.Nope", Reason: "r", Principal: "p"})
	wantErr(t, "RetireSubject of an unknown subject", err, registry.ErrNotFound)
	_, _, err = s.RetireSubject(c, registry.RetireSubjectRequest{Module: "acme/nope", Subject: OrderSubject, Reason: "r", Principal: "p"})
	wantErr(t, "RetireSubject of an unknown module", err, registry.ErrNotFound)
	_, _, err = s.RetireSubject(c, registry.RetireSubjectRequest{Module: module, Subject: OrderSubject, Principal: "p"})
	wantErr(t, "RetireSubject without a reason", err, registry.ErrInvalidArgument)
}

// testDeprecateModule: a deprecation is shown by GetModule and ListModules,
// replaced by another message, cleared by UndeprecateModule; repeating one
// changes nothing.
func testDeprecateModule(t *testing.T, s registry.Store) {
	c := ctx(t)
	const module = "acme/commerce"
	mustPush(t, s, module, "a")
	mustPush(t, s, "acme/other", "a")
	steps := []struct {
		name        string
		do          func() (registry.Module, bool, error)
		wantChanged bool
		wantMessage string // "" for none
	}{
		{"deprecate", func() (registry.Module, bool, error) {
			return s.DeprecateModule(c, registry.DeprecateModuleRequest{Module: module, Message: "use acme/commerce-v2", Principal: "admin"})
		}, true, "use acme/commerce-v2"},
		{"same message", func() (registry.Module, bool, error) {
			return s.DeprecateModule(c, registry.DeprecateModuleRequest{Module: module, Message: "use acme/commerce-v2", Principal: "other"})
		}, false, "use acme/commerce-v2"},
		{"another message", func() (registry.Module, bool, error) {
			return s.DeprecateModule(c, registry.DeprecateModuleRequest{Module: module, Message: "use acme/shop", Principal: "admin"})
		}, true, "use acme/shop"},
		{"undeprecate", func() (registry.Module, bool, error) { return s.UndeprecateModule(c, module, "admin") }, true, ""},
		{"undeprecate again", func() (registry.Module, bool, error) { return s.UndeprecateModule(c, module, "admin") }, false, ""},
		{"deprecate once more", func() (registry.Module, bool, error) {
			return s.DeprecateModule(c, registry.DeprecateModuleRequest{Module: module, Message: "gone", Principal: "admin"})
		}, true, "gone"},
	}
	for _, st := range steps {
		m, changed, err := st.do()
		must(t, err)
		got := ""
		if m.Deprecation != nil {
			got = m.Deprecation.Message
			if m.Deprecation.Principal != "admin" || m.Deprecation.At.IsZero() {
				t.Fatalf("%s: deprecation %+v: want it recorded by admin", st.name, m.Deprecation)
			}
		}
		if changed != st.wantChanged || got != st.wantMessage || m.Name != module || m.LatestVersion != 1 {
			t.Fatalf("%s: module %+v, changed %v; want message %q, changed %v", st.name, m, changed, st.wantMessage, st.wantChanged)
		}
		read, err := s.GetModule(c, module)
		must(t, err)
		if !reflect.DeepEqual(read, m) {
			t.Fatalf("%s: GetModule = %+v, want %+v", st.name, read, m)
		}
	}
	list, err := s.ListModules(c, registry.PageRequest{})
	must(t, err)
	if len(list.Items) != 2 || list.Items[0].Deprecation == nil || list.Items[0].Deprecation.Message != "gone" || list.Items[1].Deprecation != nil {
		t.Fatalf("ListModules = %+v", list.Items)
	}
	events, err := s.ListLifecycleEvents(c, module, registry.PageRequest{})
	must(t, err)
	var actions []registry.LifecycleAction
	for _, e := range events.Items {
		actions = append(actions, e.Action)
	}
	want := []registry.LifecycleAction{registry.ActionModuleDeprecated, registry.ActionModuleUndeprecate, registry.ActionModuleDeprecated, registry.ActionModuleDeprecated}
	if !reflect.DeepEqual(actions, want) {
		t.Fatalf("lifecycle events = %v, want %v", actions, want)
	}
	_, _, err = s.DeprecateModule(c, registry.DeprecateModuleRequest{Module: "acme/nope", Message: "m", Principal: "admin"})
	wantErr(t, "DeprecateModule of an unknown module", err, registry.ErrNotFound)
	_, _, err = s.UndeprecateModule(c, "acme/nope", "admin")
	wantErr(t, "UndeprecateModule of an unknown module", err, registry.ErrNotFound)
}

// testDeleteVersion: a deleted version is recorded and listed as deleted,
// keeps its content, ledger and outbox event, stays the module's latest
// version (the baseline of the next push); LatestServedVersion skips it.
// Restoring serves it again; repeating either changes nothing.
func testDeleteVersion(t *testing.T, s registry.Store) {
	c := ctx(t)
	const module = "acme/commerce"
	if _, err := s.RegisterConsumer(c, "lifecycle-test", true); err != nil {
		t.Fatal(err)
	}
	for _, seed := range []string{"a", "b", "c"} {
		mustPush(t, s, module, seed)
	}
	ledgerBefore, err := s.Ledger(c, registry.LedgerQuery{Module: module, Subject: OrderSubject})
	must(t, err)
	set3, err := s.GetDescriptorSet(c, module, 3)
	must(t, err)

	req := registry.DeleteVersionRequest{Module: module, Version: 3, Reason: "leaked an internal field name", Principal: "admin@acme.example"}
	v, changed, err := s.DeleteVersion(c, req)
	must(t, err)
	if !changed || v.Number != 3 || v.Deleted == nil || v.Deleted.Reason != req.Reason || v.Deleted.Principal != req.Principal || v.Deleted.At.IsZero() {
		t.Fatalf("DeleteVersion = %+v (changed %v), deleted %+v", v, changed, v.Deleted)
	}
	again, changed, err := s.DeleteVersion(c, registry.DeleteVersionRequest{Module: module, Version: 3, Reason: "again", Principal: "other"})
	must(t, err)
	if changed || !reflect.DeepEqual(again, v) {
		t.Fatalf("DeleteVersion again = %+v (changed %v), want %+v unchanged", again.Deleted, changed, v.Deleted)
	}

	m, err := s.GetModule(c, module)
	must(t, err)
	if m.LatestVersion != 3 {
		t.Fatalf("latest version after deleting v3 = %d, want 3: the baseline stays the latest accepted version", m.LatestVersion)
	}
	for _, n := range []int64{3, registry.LatestVersion} {
		got, err := s.GetVersion(c, module, n)
		must(t, err)
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("GetVersion(%d) = %+v, want the deleted v3 %+v", n, got, v)
		}
	}
	if data, err := s.GetDescriptorSet(c, module, 3); err != nil || string(data) != string(set3) {
		t.Fatalf("descriptor set of deleted v3: %q, %v; want it kept", data, err)
	}
	if ledger, err := s.Ledger(c, registry.LedgerQuery{Module: module, Subject: OrderSubject}); err != nil || !reflect.DeepEqual(ledger, ledgerBefore) {
		t.Fatalf("ledger after deletion = %v, %v; want it kept", ledger, err)
	}
	served, err := s.LatestServedVersion(c, module)
	must(t, err)
	if served.Number != 2 || served.Deleted != nil {
		t.Fatalf("LatestServedVersion = %+v, want v2", served)
	}
	page, err := s.ListVersions(c, module, registry.PageRequest{})
	must(t, err)
	if len(page.Items) != 3 || page.Items[0].Deleted == nil || page.Items[1].Deleted != nil {
		t.Fatalf("ListVersions = %+v: want v3 listed as deleted", page.Items)
	}
	if byDigest, err := s.GetVersionByDigest(c, module, v.Digest); err != nil || byDigest.Deleted == nil {
		t.Fatalf("GetVersionByDigest of deleted v3 = %+v, %v", byDigest, err)
	}
	deliveries, err := s.ClaimOutbox(c, registry.OutboxClaim{Consumer: "lifecycle-test", Worker: "w"})
	must(t, err)
	if len(deliveries) != 3 {
		t.Fatalf("outbox has %d events, want 3: deleting a version keeps its event", len(deliveries))
	}

	// The next push is checked against v3, deleted or not.
	_, _, err = s.CommitPush(c, Push(module, 2, "d"))
	wantErr(t, "push against v2 while v3 is deleted", err, registry.ErrStaleBaseline)
	v4 := mustPush(t, s, module, "d")
	if v4.Number != 4 {
		t.Fatalf("push after deleting v3 = v%d, want v4", v4.Number)
	}
	for _, n := range []int64{1, 2, 4} {
		_, _, err := s.DeleteVersion(c, registry.DeleteVersionRequest{Module: module, Version: n, Reason: "all gone", Principal: "admin"})
		must(t, err)
	}
	_, err = s.LatestServedVersion(c, module)
	wantErr(t, "LatestServedVersion with every version deleted", err, registry.ErrNotFound)

	restored, changed, err := s.RestoreVersion(c, module, 2, "admin")
	must(t, err)
	if !changed || restored.Deleted != nil || restored.Number != 2 {
		t.Fatalf("RestoreVersion = %+v (changed %v)", restored, changed)
	}
	if _, changed, err := s.RestoreVersion(c, module, 2, "admin"); err != nil || changed {
		t.Fatalf("RestoreVersion again: changed %v, %v; want no change", changed, err)
	}
	if served, err := s.LatestServedVersion(c, module); err != nil || served.Number != 2 {
		t.Fatalf("LatestServedVersion after restoring v2 = %+v, %v", served, err)
	}

	// Five events, newest first, in pages of two.
	var events []registry.LifecycleEvent
	token := ""
	for range 10 {
		page, err := s.ListLifecycleEvents(c, module, registry.PageRequest{Size: 2, Token: token})
		must(t, err)
		events = append(events, page.Items...)
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	wantVersions := []int64{2, 4, 2, 1, 3}
	if len(events) != len(wantVersions) || events[0].Action != registry.ActionVersionRestored || events[4].Text != req.Reason {
		t.Fatalf("lifecycle events = %+v", events)
	}
	for i, e := range events {
		if e.Version != wantVersions[i] || e.Module != module || (i > 0 && e.ID >= events[i-1].ID) {
			t.Fatalf("lifecycle event %d = %+v, want version %d, newest first", i, e, wantVersions[i])
		}
	}

	for name, call := range map[string]func() error{
		"DeleteVersion beyond latest": func() error {
			_, _, err := s.DeleteVersion(c, registry.DeleteVersionRequest{Module: module, Version: 9, Reason: "r", Principal: "p"})
			return err
		},
		"DeleteVersion of an unknown module": func() error {
			_, _, err := s.DeleteVersion(c, registry.DeleteVersionRequest{Module: "acme/nope", Version: 1, Reason: "r", Principal: "p"})
			return err
		},
		"RestoreVersion beyond latest":   func() error { _, _, err := s.RestoreVersion(c, module, 9, "p"); return err },
		"LatestServedVersion of unknown": func() error { _, err := s.LatestServedVersion(c, "acme/nope"); return err },
		"ListLifecycleEvents of unknown": func() error {
			_, err := s.ListLifecycleEvents(c, "acme/nope", registry.PageRequest{})
			return err
		},
	} {
		wantErr(t, name, call(), registry.ErrNotFound)
	}
	_, _, err = s.DeleteVersion(c, registry.DeleteVersionRequest{Module: module, Version: registry.LatestVersion, Reason: "r", Principal: "p"})
	wantErr(t, "DeleteVersion of latest", err, registry.ErrInvalidArgument)
}

// lifecycleTests are the lifecycle cases of Run.
var lifecycleTests = []struct {
	name string
	run  func(t *testing.T, s registry.Store)
}{
	{"RetireSubject", testRetireSubject},
	{"DeprecateModule", testDeprecateModule},
	{"DeleteVersion", testDeleteVersion},
}
