package registry_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// TestPromote: a rollback by promotion is a new version carrying the old
// content, checked against the latest like a push, recorded with who and
// why; retried, it makes no second version; pushing old content without
// promoting leaves latest alone and says how to roll back.
func TestPromote(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	v1 := mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	v2 := mustPush(t, s, billingConfig, billingProto("  int64 amount = 7; // in cents", "", ""))

	v3, created, verdict, err := s.Promote(ctx, registry.PromoteRequest{Module: "acme/billing", Version: 1, Principal: "oncall@acme", Reason: "v2 broke the invoice job"})
	if err != nil || !created {
		t.Fatalf("promote version 1 = %+v, created %v, %v", v3, created, err)
	}
	if v3.Number != 3 || v3.Digest != v1.Digest || v3.PromotedFrom != 1 || v3.PromoteReason != "v2 broke the invoice job" ||
		v3.Principal != "oncall@acme" || verdict.Baseline != 2 {
		t.Errorf("promoted version = %+v, checked against %d; want version 3 with version 1's content, promoted from 1, against 2", v3, verdict.Baseline)
	}
	files1, _ := s.Store().GetFiles(ctx, "acme/billing", 1)
	files3, _ := s.Store().GetFiles(ctx, "acme/billing", 3)
	if len(files1) == 0 || !reflect.DeepEqual(files1, files3) {
		t.Errorf("files of version 3 = %v, want version 1's %v", files3, files1)
	}

	tests := []struct {
		name        string
		do          func() (registry.Version, bool, *registry.Verdict, error)
		wantNumber  int64
		wantNotice  string
		wantLatest  int64
		wantCreated bool
	}{
		{"promotion retried", func() (registry.Version, bool, *registry.Verdict, error) {
			return s.Promote(ctx, registry.PromoteRequest{Module: "acme/billing", Version: 1, Principal: "oncall@acme"})
		}, 3, "", 3, false},
		{"push of the latest content", func() (registry.Version, bool, *registry.Verdict, error) {
			return s.Push(ctx, registry.PushRequest{Files: module(billingConfig, billingProto("  int64 amount = 7;", "", "")), Principal: "ci@acme"})
		}, 3, "", 3, false},
		{"push of an older version's content", func() (registry.Version, bool, *registry.Verdict, error) {
			return s.Push(ctx, registry.PushRequest{Files: module(billingConfig, billingProto("  int64 amount = 7; // in cents", "", "")), Principal: "ci@acme"})
		}, 2, "this content is version 2; latest stays 3: to roll back run `pbcheck registry promote acme/billing@2`", 3, false},
		{"promotion of that version", func() (registry.Version, bool, *registry.Verdict, error) {
			return s.Promote(ctx, registry.PromoteRequest{Module: "acme/billing", Version: v2.Number, Principal: "oncall@acme"})
		}, 4, "", 4, true},
	}
	for _, tc := range tests {
		v, created, verdict, err := tc.do()
		if err != nil || v.Number != tc.wantNumber || created != tc.wantCreated {
			t.Errorf("%s = version %d, created %v, %v; want version %d, created %v", tc.name, v.Number, created, err, tc.wantNumber, tc.wantCreated)
			continue
		}
		if got := verdict.Notice(); got != tc.wantNotice {
			t.Errorf("%s: notice %q, want %q", tc.name, got, tc.wantNotice)
		}
		if m, _ := s.Store().GetModule(ctx, "acme/billing"); m.LatestVersion != tc.wantLatest {
			t.Errorf("%s: latest version %d, want %d", tc.name, m.LatestVersion, tc.wantLatest)
		}
	}
}

// TestPromoteRejected: a promotion that breaks the latest version is
// rejected with the findings a push of the same content gets, and an
// exception for its digest lets it through, like a push.
func TestPromoteRejected(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	old := billingProto("  int64 amount = 7;", "", "")
	v1 := mustPush(t, s, billingConfig, old)
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;\n  string note = 8;", "", ""))
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;\n  string note = 8;\n  string memo = 9;", "", ""))

	req := registry.PromoteRequest{Module: "acme/billing", Version: 1, Principal: "oncall@acme", Reason: "roll back"}
	_, _, _, err := s.Promote(ctx, req)
	var rejected *registry.RejectedError
	if !errors.As(err, &rejected) || !errors.Is(err, registry.ErrRejected) {
		t.Fatalf("promotion deleting fields: %v, want a RejectedError", err)
	}
	if rejected.Verdict.Digest != v1.Digest || rejected.Verdict.Baseline != 3 {
		t.Errorf("verdict of digest %s against %d, want version 1's digest against 3", rejected.Verdict.Digest, rejected.Verdict.Baseline)
	}
	// The same content pushed as a new module's next version, against the
	// same latest version, gets the same findings: one check path.
	edited := strings.Replace(old, "message Invoice {", "// edited\nmessage Invoice {", 1)
	_, _, err = push(t, s, billingConfig, edited)
	var pushRejected *registry.RejectedError
	if !errors.As(err, &pushRejected) {
		t.Fatalf("push of the same schema: %v, want a RejectedError", err)
	}
	if got, want := rules(rejected.Verdict.Findings), rules(pushRejected.Verdict.Findings); !reflect.DeepEqual(got, want) || len(got) == 0 {
		t.Errorf("promotion findings %v, push findings %v: want the same", got, want)
	}
	if m, _ := s.Store().GetModule(ctx, "acme/billing"); m.LatestVersion != 3 {
		t.Errorf("a rejected promotion moved latest to %d", m.LatestVersion)
	}

	for _, f := range rejected.Verdict.Findings {
		if !f.Blocking() {
			continue
		}
		if _, err := s.Store().CreateException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: rejected.Verdict.Digest,
			Rule: f.Rule, Element: f.Element, Reason: "notes and memos were never written", Principal: "admin@acme"}); err != nil {
			t.Fatal(err)
		}
	}
	v4, created, _, err := s.Promote(ctx, req)
	if err != nil || !created || v4.Number != 4 || v4.PromotedFrom != 1 {
		t.Fatalf("promotion with exceptions = %+v, created %v, %v; want version 4 promoted from 1", v4, created, err)
	}
	excs, err := s.Store().ListExceptions(ctx, registry.ExceptionQuery{Module: "acme/billing"})
	if err != nil || len(excs) == 0 {
		t.Fatalf("exceptions: %v, %v", excs, err)
	}
	for _, e := range excs {
		if e.UsedVersion != 4 {
			t.Errorf("exception %d used by version %d, want 4", e.ID, e.UsedVersion)
		}
	}
}

// rules returns the rules and elements of findings.
func rules(findings []registry.Finding) []string {
	var out []string
	for _, f := range findings {
		out = append(out, f.Rule+" "+f.Element)
	}
	return out
}

// TestPromoteErrors: bad promotions are refused before anything is read
// or written.
func TestPromoteErrors(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("", "", ""))
	tests := []struct {
		name   string
		req    registry.PromoteRequest
		target error
	}{
		{"no principal", registry.PromoteRequest{Module: "acme/billing", Version: 1}, registry.ErrInvalidArgument},
		{"bad module", registry.PromoteRequest{Module: "acme/../x", Version: 1, Principal: "p"}, registry.ErrInvalidArgument},
		{"version 0", registry.PromoteRequest{Module: "acme/billing", Version: 0, Principal: "p"}, registry.ErrInvalidArgument},
		{"reason with a control character", registry.PromoteRequest{Module: "acme/billing", Version: 1, Principal: "p", Reason: "a\x1bb"}, registry.ErrInvalidArgument},
		{"reason too long", registry.PromoteRequest{Module: "acme/billing", Version: 1, Principal: "p", Reason: strings.Repeat("x", 5000)}, registry.ErrInvalidArgument},
		{"unknown version", registry.PromoteRequest{Module: "acme/billing", Version: 9, Principal: "p"}, registry.ErrNotFound},
		{"unknown module", registry.PromoteRequest{Module: "acme/none", Version: 1, Principal: "p"}, registry.ErrNotFound},
	}
	for _, tc := range tests {
		_, _, _, err := s.Promote(ctx, tc.req)
		if !errors.Is(err, tc.target) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.target)
		}
	}
	if m, _ := s.Store().GetModule(ctx, "acme/billing"); m.LatestVersion != 1 {
		t.Errorf("latest version %d after refused promotions, want 1", m.LatestVersion)
	}
}

// TestPromoteReapproved: a promotion that needs the very exception its
// version consumed when it was pushed gets it approved again: an
// exception is unique among the unused ones only.
func TestPromoteReapproved(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	approveAndPush := func(proto string) registry.Version {
		t.Helper()
		_, _, err := push(t, s, billingConfig, proto)
		var rejected *registry.RejectedError
		if !errors.As(err, &rejected) {
			t.Fatalf("push: %v, want a rejection", err)
		}
		approveAll(t, s, rejected.Verdict)
		return mustPush(t, s, billingConfig, proto)
	}
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	v2 := approveAndPush(billingProto("  string amount = 7;", "", ""))
	approveAndPush(billingProto("  int64 amount = 7; // back to cents", "", ""))

	req := registry.PromoteRequest{Module: "acme/billing", Version: v2.Number, Principal: "oncall@acme"}
	_, _, _, err := s.Promote(ctx, req)
	var rejected *registry.RejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("promotion of version 2 over 3: %v, want a rejection", err)
	}
	approveAll(t, s, rejected.Verdict)
	v4, created, _, err := s.Promote(ctx, req)
	if err != nil || !created || v4.Number != 4 || v4.PromotedFrom != 2 {
		t.Fatalf("promotion with the exception approved again = %+v, created %v, %v", v4, created, err)
	}
	excs, err := s.Store().ListExceptions(ctx, registry.ExceptionQuery{Module: "acme/billing", Digest: v2.Digest})
	if err != nil || len(excs) != 2 || excs[0].UsedVersion != 2 || excs[1].UsedVersion != 4 {
		t.Errorf("exceptions of version 2's digest = %+v, %v; want one used by 2, one by 4", excs, err)
	}
}

// approveAll grants an exception for every blocking finding of v.
func approveAll(t *testing.T, s *registry.Service, v *registry.Verdict) {
	t.Helper()
	for _, f := range v.Findings {
		if !f.Blocking() {
			continue
		}
		if _, err := s.Store().CreateException(context.Background(), registry.ExceptionSpec{Module: v.Module, Digest: v.Digest,
			Rule: f.Rule, Element: f.Element, Reason: "readers migrated", Principal: "admin@acme"}); err != nil {
			t.Fatal(err)
		}
	}
}
