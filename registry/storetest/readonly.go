package storetest

import (
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// PairFunc opens two stores on one fresh, empty database for test t — two
// processes' views of it — and closes them at t's cleanup.
type PairFunc func(t *testing.T) (a, b registry.Store)

// RunReadOnly checks a read-only store: open returns a read-write store
// and a read-only one on the same database. The read-only store reads what
// the other wrote and refuses every write with ErrReadOnly, writing
// nothing.
func RunReadOnly(t *testing.T, open PairFunc) {
	rw, ro := open(t)
	c := ctx(t)
	v := mustPush(t, rw, "acme/commerce", "a")
	_, err := rw.RegisterConsumer(c, "git", false)
	must(t, err)
	mustPush(t, rw, "acme/commerce", "b")

	got, err := ro.GetVersion(c, "acme/commerce", 1)
	must(t, err)
	if got.Digest != v.Digest {
		t.Errorf("read-only GetVersion = %+v, want %+v", got, v)
	}
	if files, err := ro.GetFiles(c, "acme/commerce", registry.LatestVersion); err != nil || len(files) != 2 {
		t.Errorf("read-only GetFiles = %d files, %v", len(files), err)
	}
	if _, err := ro.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: OrderSubject}); err != nil {
		t.Errorf("read-only Ledger: %v", err)
	}

	writes := []struct {
		name string
		call func() error
	}{
		{"CommitPush", func() error { _, _, err := ro.CommitPush(c, Push("acme/commerce", 2, "c")); return err }},
		{"CommitPush of a new module", func() error { _, _, err := ro.CommitPush(c, Push("acme/new", 0, "c")); return err }},
		{"SetSubjectConfig", func() error {
			_, err := ro.SetSubjectConfig(c, registry.SubjectConfigRequest{Module: "acme/commerce", Subject: OrderSubject,
				Compatibility: registry.Compatibility{Level: registry.LevelNone}, Principal: "admin"})
			return err
		}},
		{"ClearSubjectConfig", func() error { _, err := ro.ClearSubjectConfig(c, "acme/commerce", OrderSubject); return err }},
		{"RegisterConsumer", func() error { _, err := ro.RegisterConsumer(c, "dbt", true); return err }},
		{"ClaimOutbox", func() error { _, err := ro.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git"}); return err }},
		{"AckOutbox", func() error { return ro.AckOutbox(c, "git", 1) }},
		{"CreateException", func() error {
			_, err := ro.CreateException(c, registry.ExceptionSpec{Module: "acme/commerce", Digest: v.Digest,
				Rule: "R", Element: "E", Reason: "r", Principal: "p"})
			return err
		}},
		{"RetireSubject", func() error {
			_, _, err := ro.RetireSubject(c, registry.RetireSubjectRequest{Module: "acme/commerce", Subject: OrderSubject, Reason: "r", Principal: "admin"})
			return err
		}},
		{"DeprecateModule", func() error {
			_, _, err := ro.DeprecateModule(c, registry.DeprecateModuleRequest{Module: "acme/commerce", Message: "m", Principal: "admin"})
			return err
		}},
		{"UndeprecateModule", func() error { _, _, err := ro.UndeprecateModule(c, "acme/commerce", "admin"); return err }},
		{"DeleteVersion", func() error {
			_, _, err := ro.DeleteVersion(c, registry.DeleteVersionRequest{Module: "acme/commerce", Version: 1, Reason: "r", Principal: "admin"})
			return err
		}},
		{"RestoreVersion", func() error { _, _, err := ro.RestoreVersion(c, "acme/commerce", 1, "admin"); return err }},
	}
	for _, w := range writes {
		err := w.call()
		wantErr(t, "read-only "+w.name, err, registry.ErrReadOnly)
		if registry.ErrorCode(err) != registry.CodeReadOnly {
			t.Errorf("read-only %s: ErrorCode = %s", w.name, registry.ErrorCode(err))
		}
	}
	if n, _ := latest(c, rw, "acme/commerce"); n != 2 {
		t.Errorf("latest version = %d after refused writes, want 2", n)
	}
	if _, err := rw.GetModule(c, "acme/new"); err == nil {
		t.Error("read-only push created a module")
	}
	if sub, err := rw.GetSubject(c, "acme/commerce", OrderSubject); err != nil || sub.Override != nil {
		t.Errorf("subject after refused override = %+v, %v", sub, err)
	}
	if list, err := rw.ListExceptions(c, registry.ExceptionQuery{Module: "acme/commerce"}); err != nil || len(list) != 0 {
		t.Errorf("exceptions after refused create = %+v, %v", list, err)
	}
	if events, err := rw.ListLifecycleEvents(c, "acme/commerce", registry.PageRequest{}); err != nil || len(events.Items) != 0 {
		t.Errorf("lifecycle events after refused writes = %+v, %v", events.Items, err)
	}
	ds, err := rw.ClaimOutbox(c, registry.OutboxClaim{Consumer: "git", Worker: "w"})
	if err != nil || len(ds) != 1 || ds[0].Attempts != 1 {
		t.Errorf("deliveries after refused claim and ack = %+v, %v; want version 2's, first attempt", ds, err)
	}
	if _, err := rw.RegisterConsumer(c, "dbt", false); err != nil {
		t.Fatal(err)
	}
	if ds, err := rw.ClaimOutbox(c, registry.OutboxClaim{Consumer: "dbt", Worker: "w"}); err != nil || len(ds) != 0 {
		t.Errorf("consumer dbt (registered without backfill after the refused registration) claimed %+v, %v", ds, err)
	}
}

// RunShared runs concurrent pushers over two stores on one database, as
// two registryd processes would: identical pushes create one version, and
// distinct pushes get versions with no gap and no duplicate.
func RunShared(t *testing.T, open PairFunc) {
	t.Run("IdenticalPushes", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		racePushes(t, []registry.Store{a, b}, 8)
	})
	t.Run("Pushers", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		racePushers(t, []registry.Store{a, b}, 4, 6)
	})
}
