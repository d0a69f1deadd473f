package registry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// withoutInvoiceConfig is billingConfig without the Invoice subject.
const withoutInvoiceConfig = `version: v1
module: acme/billing
roots: [proto]
subjects:
  - message: acme.billing.v1.InvoicePaid
    kind: event
  - message: acme.billing.v1.AuditLine
    kind: log
`

// withoutInvoiceProto is billingProto without the Invoice message.
const withoutInvoiceProto = `syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";

message InvoicePaid {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
}

message AuditLine {
  google.protobuf.Timestamp at = 1;
}
`

const invoiceSubject = "acme.billing.v1.Invoice"

// retire retires the Invoice subject through the service.
func retire(t *testing.T, s *registry.Service) registry.Subject {
	t.Helper()
	sub, _, err := s.RetireSubject(context.Background(), registry.RetireSubjectRequest{
		Module: "acme/billing", Subject: invoiceSubject, Reason: "invoices moved to acme/invoicing", Principal: "admin@acme",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestRetireSubject: a subject whose message a push drops is refused with
// SUBJECT_NO_DELETE naming the retire command; once an admin retires it,
// the push passes. Declared again, the subject is active again and checked
// against its kept ledger and its configuration at retirement.
func TestRetireSubject(t *testing.T) {
	redeclared := func(fields string) string { return billingProto(fields, "", "") }
	for _, tt := range []struct {
		name string
		// redeclare is the proto of the push after the retirement that
		// declares Invoice again; config its pbregistry.yaml.
		config, redeclare string
		// want is a substring of the refusal; "" means accepted.
		want string
	}{
		{"same meaning accepted", billingConfig, billingProto("  int64 amount = 7;", "  string payer = 3;", ""), ""},
		{"new field accepted", billingConfig, redeclared("  int64 amount = 7;\n  string note = 8;"), ""},
		{"number reused with another meaning refused via the kept ledger", billingConfig, redeclared("  string discount = 7;"),
			`reuses number 7, which meant "amount int64" from version 1`},
		{"name reused with another number refused", billingConfig, redeclared("  int64 amount = 9;"), "FIELD_NAME_NO_REUSE"},
		{"weaker level than at retirement refused", strings.Replace(billingConfig, "    primary_key: [id]\n", "    primary_key: [id]\n    compatibility: BACKWARD\n", 1),
			redeclared("  int64 amount = 7;"), "SUBJECT_LEVEL_NO_WEAKEN"},
		{"another kind refused", strings.Replace(billingConfig, "kind: pbtable\n    primary_key: [id]\n", "kind: event\n", 1),
			redeclared("  int64 amount = 7;"), "SUBJECT_KIND_NO_CHANGE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			ctx := context.Background()
			mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))

			_, _, err := push(t, s, withoutInvoiceConfig, withoutInvoiceProto)
			wantRetire := "ask an admin to run `pbcheck registry subject retire acme/billing acme.billing.v1.Invoice --reason '…'`"
			if !errors.Is(err, registry.ErrRejected) || !strings.Contains(err.Error(), "SUBJECT_NO_DELETE") || !strings.Contains(err.Error(), wantRetire) {
				t.Fatalf("push without the subject's message: %v\nwant SUBJECT_NO_DELETE saying: %s", err, wantRetire)
			}
			sub := retire(t, s)
			if sub.Retired == nil || sub.Retired.Version != 1 || sub.Retired.Principal != "admin@acme" {
				t.Fatalf("retired subject = %+v", sub.Retired)
			}
			v2 := mustPush(t, s, withoutInvoiceConfig, withoutInvoiceProto)
			if got, err := s.Store().GetSubject(ctx, "acme/billing", invoiceSubject); err != nil || got.Retired == nil {
				t.Fatalf("after v%d without it, the subject is %+v, %v: want it still retired", v2.Number, got, err)
			}

			v, _, err := push(t, s, tt.config, tt.redeclare)
			if tt.want != "" {
				if !errors.Is(err, registry.ErrRejected) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("redeclaring the retired subject: %v\nwant a refusal saying %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("redeclaring the retired subject: %v", err)
			}
			got, err := s.Store().GetSubject(ctx, "acme/billing", invoiceSubject)
			if err != nil || got.Retired != nil || got.LastVersion != v.Number {
				t.Fatalf("redeclared subject = %+v, %v: want it active as of v%d", got, err, v.Number)
			}
		})
	}
}

// TestRetiredSubjectsUnchecked: retired subjects leave the subjects in
// force (so limits.max_subjects counts only active ones) and a push that
// changes nothing else is accepted; ResolveSubjects skips them too unless
// declared again.
func TestRetiredSubjectsUnchecked(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	retire(t, s)
	stored, err := s.Store().ListSubjects(ctx, "acme/billing")
	if err != nil {
		t.Fatal(err)
	}
	names := func(specs []registry.SubjectSpec) string {
		var out []string
		for _, sp := range specs {
			out = append(out, sp.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		name     string
		declared []registry.SubjectSpec
		want     string
	}{
		{"not declared", nil, "acme.billing.v1.AuditLine,acme.billing.v1.InvoicePaid"},
		{"declared again", []registry.SubjectSpec{{Name: invoiceSubject, Kind: registry.KindPBTable, PrimaryKey: []string{"id"}}},
			"acme.billing.v1.AuditLine,acme.billing.v1.Invoice,acme.billing.v1.InvoicePaid"},
	} {
		if got := names(registry.ResolveSubjects(tt.declared, stored)); got != tt.want {
			t.Errorf("%s: ResolveSubjects = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestDeletedVersionStaysBaseline: deleting the latest version hides it from
// readers (ServedVersion says who deleted it and why; latest skips to the
// newest version not deleted) but pushes are still checked against it.
func TestDeletedVersionStaysBaseline(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;\n  string note = 8;", "", ""))
	if _, _, err := s.DeleteVersion(ctx, registry.DeleteVersionRequest{Module: "acme/billing", Version: 2, Reason: "pushed from a fork", Principal: "admin@acme"}); err != nil {
		t.Fatal(err)
	}

	_, err := registry.ServedVersion(ctx, s.Store(), "acme/billing", 2)
	var deleted *registry.VersionDeletedError
	if !errors.As(err, &deleted) || !errors.Is(err, registry.ErrNotFound) ||
		!strings.Contains(err.Error(), "version 2 of acme/billing was deleted by admin@acme at ") ||
		!strings.Contains(err.Error(), ": pushed from a fork;") || !strings.Contains(err.Error(), "pbcheck registry restore acme/billing@2") {
		t.Fatalf("ServedVersion(2) = %v", err)
	}
	latest, err := registry.ServedVersion(ctx, s.Store(), "acme/billing", registry.LatestVersion)
	if err != nil || latest.Number != 1 {
		t.Fatalf("ServedVersion(latest) = v%d, %v; want v1", latest.Number, err)
	}

	// v2 is the baseline: a field 8 of another type is refused, as it would
	// break the data v2's writers may have written.
	_, _, err = push(t, s, billingConfig, billingProto("  int64 amount = 7;\n  bool note = 8;", "", ""))
	if !errors.Is(err, registry.ErrRejected) || !strings.Contains(err.Error(), "against version 2") {
		t.Fatalf("push changing v2's field 8: %v, want a refusal against version 2", err)
	}
	v3 := mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;\n  string note = 8;\n  string memo = 9;", "", ""))
	if latest, err := registry.ServedVersion(ctx, s.Store(), "acme/billing", registry.LatestVersion); err != nil || latest.Number != v3.Number {
		t.Fatalf("ServedVersion(latest) after v3 = v%d, %v", latest.Number, err)
	}
	for _, n := range []int64{1, 3} {
		if _, _, err := s.DeleteVersion(ctx, registry.DeleteVersionRequest{Module: "acme/billing", Version: n, Reason: "all", Principal: "admin@acme"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = registry.ServedVersion(ctx, s.Store(), "acme/billing", registry.LatestVersion)
	if !errors.As(err, &deleted) || !deleted.NoneServed || !strings.Contains(err.Error(), "module acme/billing has no version to serve: every version is deleted, the latest (version 3)") {
		t.Fatalf("ServedVersion(latest) with every version deleted = %v", err)
	}
}

// TestLifecycleValidation: the service validates lifecycle requests before
// they reach the store, with errors naming the field, and logs what
// changed.
func TestLifecycleValidation(t *testing.T) {
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var logs bytes.Buffer
	s := registry.NewService(store, compose(registry.ServiceOptions{
		Limits: registry.Limits{MaxReasonBytes: 64},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}))
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	logs.Reset()
	long := strings.Repeat("x", 65)
	for _, tt := range []struct {
		name string
		call func() error
		want error
		msg  string
	}{
		{"retire without reason", func() error {
			_, _, err := s.RetireSubject(ctx, registry.RetireSubjectRequest{Module: "acme/billing", Subject: invoiceSubject, Principal: "a"})
			return err
		}, registry.ErrInvalidArgument, "invalid reason: no reason"},
		{"retire with a long reason", func() error {
			_, _, err := s.RetireSubject(ctx, registry.RetireSubjectRequest{Module: "acme/billing", Subject: invoiceSubject, Reason: long, Principal: "a"})
			return err
		}, registry.ErrInvalidArgument, "limits.max_reason_bytes"},
		{"retire an unknown subject", func() error {
			_, _, err := s.RetireSubject(ctx, registry.RetireSubjectRequest{Module: "acme/billing", Subject: "acme.billing.v1.Nope", Reason: "r", Principal: "a"})
			return err
		}, registry.ErrNotFound, "module acme/billing has no subject acme.billing.v1.Nope"},
		{"retire without principal", func() error {
			_, _, err := s.RetireSubject(ctx, registry.RetireSubjectRequest{Module: "acme/billing", Subject: invoiceSubject, Reason: "r"})
			return err
		}, registry.ErrInvalidArgument, "principal"},
		{"deprecate without message", func() error {
			_, _, err := s.DeprecateModule(ctx, registry.DeprecateModuleRequest{Module: "acme/billing", Principal: "a"})
			return err
		}, registry.ErrInvalidArgument, "invalid message: no message"},
		{"deprecate with a control character", func() error {
			_, _, err := s.DeprecateModule(ctx, registry.DeprecateModuleRequest{Module: "acme/billing", Message: "a\x00b", Principal: "a"})
			return err
		}, registry.ErrInvalidArgument, "control character"},
		{"deprecate an unknown module", func() error {
			_, _, err := s.DeprecateModule(ctx, registry.DeprecateModuleRequest{Module: "acme/nope", Message: "m", Principal: "a"})
			return err
		}, registry.ErrNotFound, "module acme/nope does not exist"},
		{"undeprecate a bad name", func() error { _, _, err := s.UndeprecateModule(ctx, "acme//x", "a"); return err }, registry.ErrInvalidArgument, "empty"},
		{"delete latest", func() error {
			_, _, err := s.DeleteVersion(ctx, registry.DeleteVersionRequest{Module: "acme/billing", Reason: "r", Principal: "a"})
			return err
		}, registry.ErrInvalidArgument, "name the version (1, 2, …), not latest"},
		{"delete an unknown version", func() error {
			_, _, err := s.DeleteVersion(ctx, registry.DeleteVersionRequest{Module: "acme/billing", Version: 7, Reason: "r", Principal: "a"})
			return err
		}, registry.ErrNotFound, "module acme/billing has no version 7"},
		{"restore an unknown version", func() error { _, _, err := s.RestoreVersion(ctx, "acme/billing", 7, "a"); return err }, registry.ErrNotFound, "has no version 7"},
		{"restore a negative version", func() error { _, _, err := s.RestoreVersion(ctx, "acme/billing", -1, "a"); return err }, registry.ErrInvalidArgument, "-1 is not a version number"},
	} {
		err := tt.call()
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %v saying %q", tt.name, err, tt.want, tt.msg)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("refused requests logged: %s", logs.String())
	}
	if _, _, err := s.DeprecateModule(ctx, registry.DeprecateModuleRequest{Module: "acme/billing", Message: "use acme/invoicing", Principal: "admin@acme"}); err != nil {
		t.Fatal(err)
	}
	retire(t, s)
	for _, want := range []string{`msg="module deprecated" module=acme/billing principal=admin@acme message="use acme/invoicing"`,
		`msg="subject retired" module=acme/billing subject=acme.billing.v1.Invoice`,
		`msg="retired subject still declared by the latest version"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

// TestLifecycleEvents: the decisions every store applies — what a
// lifecycle write records, and that repeating one records nothing.
func TestLifecycleEvents(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	str := func(s string) *string { return &s }
	deprecated := registry.Module{Name: "acme/x", Deprecation: &registry.ModuleDeprecation{Message: "use y"}}
	deleted := registry.Version{Module: "acme/x", Number: 3, Deleted: &registry.VersionDeletion{Reason: "r"}}
	retired := registry.Subject{Name: "acme.v1.A", Retired: &registry.SubjectRetirement{Version: 1}}
	for _, tt := range []struct {
		name string
		got  *registry.LifecycleEvent
		want registry.LifecycleAction // "" for none
		text string
	}{
		{"deprecate", registry.DeprecationEvent(registry.Module{Name: "acme/x"}, str("use y"), "a", at), registry.ActionModuleDeprecated, "use y"},
		{"deprecate, same message", registry.DeprecationEvent(deprecated, str("use y"), "a", at), "", ""},
		{"deprecate, new message", registry.DeprecationEvent(deprecated, str("use z"), "a", at), registry.ActionModuleDeprecated, "use z"},
		{"undeprecate", registry.DeprecationEvent(deprecated, nil, "a", at), registry.ActionModuleUndeprecate, ""},
		{"undeprecate, not deprecated", registry.DeprecationEvent(registry.Module{Name: "acme/x"}, nil, "a", at), "", ""},
		{"delete", registry.DeletionEvent(registry.Version{Module: "acme/x", Number: 3}, str("why"), "a", at), registry.ActionVersionDeleted, "why"},
		{"delete, deleted", registry.DeletionEvent(deleted, str("again"), "a", at), "", ""},
		{"restore", registry.DeletionEvent(deleted, nil, "a", at), registry.ActionVersionRestored, ""},
		{"restore, not deleted", registry.DeletionEvent(registry.Version{Module: "acme/x", Number: 3}, nil, "a", at), "", ""},
		{"retire", registry.RetirementEvent(registry.Subject{Name: "acme.v1.A"}, 4, registry.RetireSubjectRequest{Module: "acme/x", Subject: "acme.v1.A", Reason: "why", Principal: "a"}, at),
			registry.ActionSubjectRetired, "why"},
		{"retire, retired", registry.RetirementEvent(retired, 4, registry.RetireSubjectRequest{Module: "acme/x", Subject: "acme.v1.A", Reason: "why", Principal: "a"}, at), "", ""},
	} {
		switch {
		case tt.want == "" && tt.got != nil:
			t.Errorf("%s: event %+v, want none", tt.name, tt.got)
		case tt.want != "" && (tt.got == nil || tt.got.Action != tt.want || tt.got.Text != tt.text || tt.got.Principal != "a" || !tt.got.At.Equal(at) || tt.got.Module != "acme/x"):
			t.Errorf("%s: event %+v, want %s %q by a", tt.name, tt.got, tt.want, tt.text)
		}
	}
}
