package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

func newService(t testing.TB) *registry.Service {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return registry.NewService(store, compose(registry.ServiceOptions{}))
}

// module returns the files of a push: pbregistry.yaml declaring subjects,
// and one .proto file under proto/.
func module(config, proto string) []registry.File {
	return []registry.File{
		{Path: "pbregistry.yaml", Content: []byte(config)},
		{Path: "proto/acme/billing/v1/invoice.proto", Content: []byte(proto)},
	}
}

const billingConfig = `version: v1
module: acme/billing
roots: [proto]
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
  - message: acme.billing.v1.InvoicePaid
    kind: event
  - message: acme.billing.v1.AuditLine
    kind: log
`

// billingProto renders the module's file with the given field declarations
// for each message.
func billingProto(invoice, paid, audit string) string {
	return fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";

message Invoice {
  string id = 1;
%s
}

message InvoicePaid {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
%s
}

message AuditLine {
  google.protobuf.Timestamp at = 1;
%s
}
`, invoice, paid, audit)
}

func push(t *testing.T, s *registry.Service, config, proto string) (registry.Version, bool, error) {
	t.Helper()
	v, created, _, err := s.Push(context.Background(), registry.PushRequest{
		Files: module(config, proto), Principal: "ci@acme", Build: registry.BuildInfo{Commit: "abc123"},
	})
	return v, created, err
}

func mustPush(t *testing.T, s *registry.Service, config, proto string) registry.Version {
	t.Helper()
	v, _, err := push(t, s, config, proto)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return v
}

func TestPushIdempotent(t *testing.T) {
	s := newService(t)
	proto := billingProto("  int64 amount = 7;", "", "")
	v1, created, err := push(t, s, billingConfig, proto)
	if err != nil || !created || v1.Number != 1 || v1.Principal != "ci@acme" || v1.Build.Commit != "abc123" {
		t.Fatalf("first push = %+v, %v, %v", v1, created, err)
	}
	again, created, err := push(t, s, billingConfig, proto)
	if err != nil || created || again.Number != 1 || again.Digest != v1.Digest {
		t.Fatalf("same content again = %+v, created %v, %v; want version 1, not created", again, created, err)
	}
	v2 := mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;\n  string note = 8;", "", ""))
	if v2.Number != 2 {
		t.Errorf("compatible push got version %d, want 2", v2.Number)
	}
}

// TestRejectionMessage checks the message a person gets when a push breaks
// a subject: the file, line and column, what changed, who it breaks, the
// rule and the level.
func TestRejectionMessage(t *testing.T) {
	s := newService(t)
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	_, _, err := push(t, s, billingConfig, billingProto("  string amount = 7;", "", ""))
	var rejected *registry.RejectedError
	if !errors.As(err, &rejected) || !errors.Is(err, registry.ErrRejected) {
		t.Fatalf("incompatible push: err = %v, want a RejectedError", err)
	}
	want := `proto/acme/billing/v1/invoice.proto:7:3: Field 7 "amount" on message "Invoice" changed type from int64 to string; readers at v1 cannot read what this version writes, and this version cannot read what v1 wrote (FIELD_WIRE_JSON_COMPATIBLE_TYPE, FULL_TRANSITIVE)`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("rejection:\n%s\nwant a line:\n%s", err, want)
	}
	if n := rejected.Verdict.Findings[0].Subject; n != "acme.billing.v1.Invoice" {
		t.Errorf("finding attributed to %q, want the Invoice subject", n)
	}
	if m, _ := s.Store().GetModule(context.Background(), "acme/billing"); m.LatestVersion != 1 {
		t.Errorf("a rejected push moved the latest version to %d", m.LatestVersion)
	}
}

// TestKindDefaults checks each kind's default level and rules: the same
// change is refused or accepted depending on the subject it touches.
func TestKindDefaults(t *testing.T) {
	tests := []struct {
		name       string
		before     [3]string // Invoice (pbtable), InvoicePaid (event), AuditLine (log)
		after      [3]string
		wantRules  []string // empty: accepted
		wantLevels []registry.Level
	}{
		{
			name:   "pbtable refuses a rename (WIRE_JSON): JSON rows hold field names",
			before: [3]string{"  int64 amount = 7;", "", ""}, after: [3]string{"  int64 total = 7;", "", ""},
			wantRules:  []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"},
			wantLevels: []registry.Level{registry.LevelFullTransitive},
		},
		{
			name:   "event accepts a rename (WIRE): binary data has no names",
			before: [3]string{"", "  int64 amount = 3;", ""}, after: [3]string{"", "  int64 total = 3;", ""},
		},
		{
			name:   "event refuses a wire-incompatible type change",
			before: [3]string{"", "  int64 amount = 3;", ""}, after: [3]string{"", "  string amount = 3;", ""},
			wantRules:  []string{"FIELD_WIRE_COMPATIBLE_TYPE"},
			wantLevels: []registry.Level{registry.LevelFullTransitive},
		},
		{
			name:   "log accepts a change that breaks only old readers (BACKWARD)",
			before: [3]string{"", "", "  int32 count = 2;"}, after: [3]string{"", "", "  int64 count = 2;"},
		},
		{
			name:   "pbtable refuses the same change (FULL)",
			before: [3]string{"  int32 count = 2;", "", ""}, after: [3]string{"  int64 count = 2;", "", ""},
			wantRules:  []string{"FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_WIRE_LOSSLESS_TYPE"},
			wantLevels: []registry.Level{registry.LevelFullTransitive},
		},
		{
			name:   "log refuses a change that breaks new readers",
			before: [3]string{"", "", "  int64 count = 2;"}, after: [3]string{"", "", "  int32 count = 2;"},
			// One finding: the LOSSLESS warning of the same change is
			// folded into the error.
			wantRules:  []string{"FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_WIRE_LOSSLESS_TYPE"},
			wantLevels: []registry.Level{registry.LevelBackwardTransitive},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			mustPush(t, s, billingConfig, billingProto(tt.before[0], tt.before[1], tt.before[2]))
			v, err := s.CheckPush(context.Background(), registry.PushRequest{Files: module(billingConfig, billingProto(tt.after[0], tt.after[1], tt.after[2]))})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			var levels []registry.Level
			for _, f := range v.Findings {
				if f.Blocking() {
					rules = append(rules, f.Rules()...)
					if len(levels) == 0 || levels[len(levels)-1] != f.Level {
						levels = append(levels, f.Level)
					}
				}
			}
			slices.Sort(rules)
			if fmt.Sprint(rules) != fmt.Sprint(tt.wantRules) || fmt.Sprint(levels) != fmt.Sprint(tt.wantLevels) {
				t.Errorf("blocking rules %v at %v, want %v at %v", rules, levels, tt.wantRules, tt.wantLevels)
			}
			if v.Accepted() != (len(tt.wantRules) == 0) {
				t.Errorf("accepted = %v", v.Accepted())
			}
		})
	}
}

// TestTransitiveNumberReuse: a field deleted without reserving its number
// (the subject's rules allow it) may not come back, versions later, with
// another meaning; the refusal names the version that used it first.
func TestTransitiveNumberReuse(t *testing.T) {
	const config = `version: v1
module: acme/billing
roots: [proto]
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
    except: [FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED, FIELD_NO_DELETE_UNLESS_NAME_RESERVED]
`
	nonTransitive := strings.Replace(config, "    except:", "    compatibility: FULL\n    except:", 1)
	for _, tt := range []struct {
		name   string
		config string
		reject bool
	}{
		{"FULL_TRANSITIVE refuses", config, true},
		{"FULL accepts: only the latest version counts", nonTransitive, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			mustPush(t, s, tt.config, billingProto("  int64 amount = 7;", "", ""))
			mustPush(t, s, tt.config, billingProto("  string note = 8;", "", ""))                   // v2: 7 deleted, not reserved
			mustPush(t, s, tt.config, billingProto("  string note = 8;\n  int32 qty = 9;", "", "")) // v3
			_, _, err := push(t, s, tt.config, billingProto("  string note = 8;\n  int32 qty = 9;\n  string discount = 7;", "", ""))
			if !tt.reject {
				if err != nil {
					t.Fatalf("push: %v", err)
				}
				return
			}
			want := `Field 7 on message "Invoice" reuses number 7, which meant "amount int64" from version 1 until it was deleted`
			if !errors.Is(err, registry.ErrRejected) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "(FIELD_NUMBER_NO_REUSE, FULL_TRANSITIVE)") {
				t.Fatalf("reuse of number 7: err = %v\nwant it to say: %s", err, want)
			}
			// Re-adding the field with its old meaning is fine.
			mustPush(t, s, tt.config, billingProto("  string note = 8;\n  int32 qty = 9;\n  int64 amount = 7;", "", ""))
		})
	}
}

// TestExceptionFlow: an admin approves one finding for one push; that push
// passes once, the exception is recorded as used, and it does not carry
// over to another push with the same change.
func TestExceptionFlow(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	incompatible := billingProto("  string amount = 7;", "", "")
	_, _, err := push(t, s, billingConfig, incompatible)
	var rejected *registry.RejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("push: %v", err)
	}
	f := rejected.Verdict.Findings[0]
	exc, err := s.Store().CreateException(ctx, registry.ExceptionSpec{
		Module: "acme/billing", Digest: rejected.Verdict.Digest, Rule: f.Rule, Element: f.Element,
		Reason: "amounts were never set in production", Principal: "admin@acme",
	})
	if err != nil {
		t.Fatal(err)
	}
	v2, created, verdict, err := s.Push(ctx, registry.PushRequest{Files: module(billingConfig, incompatible), Principal: "ci@acme"})
	if err != nil || !created || v2.Number != 2 {
		t.Fatalf("push with an approved exception = %+v, %v, %v", v2, created, err)
	}
	if verdict.Findings[0].ExceptionID != exc.ID {
		t.Errorf("the accepted push does not record exception %d: %+v", exc.ID, verdict.Findings)
	}
	used, err := s.Store().GetException(ctx, exc.ID)
	if err != nil || used.UsedVersion != 2 {
		t.Errorf("exception after the push = %+v, %v; want used by version 2", used, err)
	}
	// The same change to another field, in another push: not excepted.
	mustPush(t, s, billingConfig, billingProto("  string amount = 7;\n  int64 total = 9;", "", ""))
	_, _, err = push(t, s, billingConfig, billingProto("  string amount = 7;\n  string total = 9;", "", ""))
	if !errors.Is(err, registry.ErrRejected) {
		t.Errorf("a later incompatible push passed: %v", err)
	}
}

// TestConcurrentPushes: pushers racing on one module each get a version
// checked against the version it follows; numbers have no gaps.
func TestConcurrentPushes(t *testing.T) {
	s := newService(t)
	mustPush(t, s, billingConfig, billingProto("", "", ""))
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fields := ""
			for j := 0; j <= i; j++ {
				fields += fmt.Sprintf("  string f%d = %d;\n", j, 10+j)
			}
			_, _, _, err := s.Push(context.Background(), registry.PushRequest{Files: module(billingConfig, billingProto(fields, "", "")), Principal: "ci"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	accepted := 0
	for err := range errs {
		switch {
		case err == nil:
			accepted++
		case errors.Is(err, registry.ErrRejected):
			// A push checked against a later version that already has
			// more fields deletes them: refused, as it should be.
		default:
			t.Errorf("push: %v", err)
		}
	}
	m, err := s.Store().GetModule(context.Background(), "acme/billing")
	if err != nil || m.LatestVersion != int64(1+accepted) {
		t.Errorf("latest version %d, %v; want %d (1 + %d accepted)", m.LatestVersion, err, 1+accepted, accepted)
	}
}

func TestPushErrors(t *testing.T) {
	s := newService(t)
	tests := []struct {
		name  string
		files []registry.File
		want  string
	}{
		{"no files", nil, "no files"},
		{"absolute path", []registry.File{{Path: "/etc/a.proto", Content: []byte("x")}}, "absolute"},
		{"dot-dot", []registry.File{{Path: "../a.proto", Content: []byte("x")}}, "not clean"},
		{"not UTF-8", []registry.File{{Path: "a\xff.proto", Content: []byte("x")}}, "UTF-8"},
		{"not a schema file", []registry.File{{Path: "main.go", Content: []byte("x")}}, "neither a .proto file"},
		{"no module name", []registry.File{{Path: "a.proto", Content: []byte(`syntax = "proto3";`)}}, "no module name"},
		{"compile error", module(billingConfig, "syntax = \"proto3\";\nmessage A {\n  int32 a = 1\n}\n"), "proto/acme/billing/v1/invoice.proto:4:1: syntax error"},
		{"subject without message", module(billingConfig, "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Invoice { string id = 1; }\n"), "SUBJECT_NO_DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := s.Push(context.Background(), registry.PushRequest{Files: tt.files, Principal: "ci"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}
