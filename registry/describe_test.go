package registry_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/registry"
)

// TestExplainDirections: a finding says whom it breaks in the directions
// the level in force protects — old readers and new data (FORWARD), new
// readers and old data (BACKWARD) — over every version for a transitive
// level, and in every direction it breaks under the module's rules.
func TestExplainDirections(t *testing.T) {
	tests := []struct {
		name  string
		dirs  compat.Direction
		level registry.Level
		base  int64
		want  string
	}{
		{"both at FULL_TRANSITIVE", compat.Both, registry.LevelFullTransitive, 6,
			"changed; readers at v1–v6 cannot read what this version writes, and this version cannot read what v1–v6 wrote"},
		{"both, a BACKWARD_TRANSITIVE subject: only what it protects", compat.Both, registry.LevelBackwardTransitive, 6,
			"changed; this version cannot read what v1–v6 wrote"},
		{"forward at FORWARD", compat.Forward, registry.LevelForward, 6,
			"changed; readers at v6 cannot read what this version writes"},
		{"backward under module rules", compat.Backward, "", 3,
			"changed; this version cannot read what v3 wrote"},
		{"no version numbers (pbcheck breaking): the previous schema", compat.Both, registry.LevelFull, 0,
			"changed; readers on the previous schema cannot read what this version writes, and this version cannot read what the previous schema wrote"},
		{"BACKWARD_TRANSITIVE: old data over every version, old readers only at the baseline", compat.Backward, registry.LevelBackwardTransitive, 6,
			"changed; this version cannot read what v1–v6 wrote"},
		{"FORWARD_TRANSITIVE: readers at every version", compat.Forward, registry.LevelForwardTransitive, 6,
			"changed; readers at v1–v6 cannot read what this version writes"},
		{"no direction (a configuration change)", 0, registry.LevelFull, 4, "changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := registry.Finding{Finding: compat.Finding{Rule: "X", Message: "changed.", Directions: tt.dirs}, Level: tt.level}
			if got := f.Explain(tt.base); got != tt.want {
				t.Errorf("Explain(%d) = %q, want %q", tt.base, got, tt.want)
			}
		})
	}
}

// TestRenameIsOneFinding: renaming a pbtable's field breaks two rules in
// one change: one finding names both, and one exception naming either
// lets the push through.
func TestRenameIsOneFinding(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("  int64 amount = 7;", "", ""))
	renamed := billingProto("  int64 total = 7;", "", "")
	_, _, verdict, err := s.Push(ctx, registry.PushRequest{Files: module(billingConfig, renamed), Principal: "ci"})
	if !errors.Is(err, registry.ErrRejected) {
		t.Fatalf("rename: %v, want it refused", err)
	}
	if len(verdict.Findings) != 1 || !slices.Equal(verdict.Findings[0].Rules(), []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"}) {
		t.Fatalf("findings %+v, want one naming FIELD_SAME_JSON_NAME and FIELD_SAME_NAME", verdict.Findings)
	}
	if !strings.Contains(err.Error(), "(FIELD_SAME_JSON_NAME + FIELD_SAME_NAME, FULL_TRANSITIVE)") || strings.Contains(err.Error(), "(also ") {
		t.Errorf("rejection:\n%v\nwant it to name both rules once, after the message", err)
	}
	f := verdict.Findings[0]
	if _, err := s.ApproveException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: verdict.Digest, Rule: "FIELD_SAME_NAME",
		Element: f.Element, Reason: "no rows yet", Principal: "admin"}); err != nil {
		t.Fatal(err)
	}
	if v, _, _, err := s.Push(ctx, registry.PushRequest{Files: module(billingConfig, renamed), Principal: "ci"}); err != nil || v.Number != 2 {
		t.Fatalf("rename with one exception: version %d, %v; want version 2", v.Number, err)
	}
}

// TestExplainDeletionsAndTruncation: a deletion says what readers at the
// baseline no longer receive and what an unreserved name or number risks,
// and never that this version cannot read old data unless it cannot (JSON
// readers and an unknown key); a lossy widening says which values readers
// at the baseline truncate, a narrowing which old values this version
// truncates.
func TestExplainDeletionsAndTruncation(t *testing.T) {
	const deleted = `Field 3 "user_agent" on message "AccessLog" was deleted`
	tests := []struct {
		name  string
		f     registry.Finding
		base  int64
		want  string
		never []string
	}{
		{
			name: "event field deleted without reserving its number, FULL_TRANSITIVE (WIRE)",
			f: registry.Finding{Level: registry.LevelFullTransitive, Finding: compat.Finding{
				Rule: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", Element: "acme.obs.v1.AccessLog.user_agent", Directions: compat.Both,
				Message: deleted + " without reserving its number."}},
			base: 3,
			want: deleted + " without reserving its number; readers at v1–v3 no longer receive field \"user_agent\" from what this version writes; " +
				"until number 3 is reserved, a later version may reuse it with another type, which readers at v1–v3 and the data v1–v3 wrote would misread",
			never: []string{"this version cannot read", "cannot read what this version writes"},
		},
		{
			name: "log field deleted without reserving name or number, BACKWARD_TRANSITIVE (WIRE_JSON)",
			f: registry.Finding{Level: registry.LevelBackwardTransitive, Also: []string{"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"},
				Notes: []string{"Log records keep old fields: reserve the deleted field's name and number."},
				Finding: compat.Finding{
					Rule: "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", Element: "acme.obs.v1.AccessLog.user_agent", Directions: compat.Both,
					Message: deleted + " without reserving its name."}},
			base: 6,
			want: deleted + " without reserving its name or number (also FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED); " +
				`this version's JSON readers reject what v1–v6 wrote with key "user_agent" (unknown to them) until the name is reserved; ` +
				"until number 3 is reserved, a later version may reuse it with another type, which readers at v6 and the data v1–v6 wrote would misread. " +
				"Log records keep old fields: reserve the deleted field's name and number",
			never: []string{"readers at v1–v6"},
		},
		{
			name: "a number the ledger remembers, reused: the message says who misreads what",
			f: registry.Finding{Level: registry.LevelFullTransitive, Finding: compat.Finding{
				Rule: "FIELD_NUMBER_NO_REUSE", Element: "acme.obs.v1.Clicked.label", Directions: compat.Both,
				Message: `Field 4 on message "Clicked" reuses number 4, which meant "string button" from version 1 until it was deleted; data written then would be read as "int64 label". Use another number and reserve 4.`}},
			base:  3,
			want:  `Field 4 on message "Clicked" reuses number 4, which meant "string button" from version 1 until it was deleted; data written then would be read as "int64 label". Use another number and reserve 4`,
			never: []string{"cannot read"},
		},
		{
			name: "a reserved number no longer reserved",
			f: registry.Finding{Level: registry.LevelFullTransitive, Finding: compat.Finding{
				Rule: "RESERVED_MESSAGE_NO_DELETE", Element: "acme.obs.v1.Clicked", Directions: compat.Both,
				Message: `Reserved range [4] on message "Clicked" lost [4].`}},
			base: 3,
			want: `Reserved range [4] on message "Clicked" lost [4]; no reader breaks now, but until number [4] is reserved again, ` +
				"a later version may reuse it with another meaning, which readers at v1–v3 and the data v1–v3 wrote would misread",
			never: []string{"cannot read"},
		},
		{
			name: "a reserved name no longer reserved",
			f: registry.Finding{Level: registry.LevelBackwardTransitive, Finding: compat.Finding{
				Rule: "RESERVED_MESSAGE_NO_DELETE", Element: "acme.obs.v1.AccessLog", Directions: compat.Both,
				Message: `Reserved name "user_agent" was deleted from message "AccessLog".`}},
			base: 3,
			want: `Reserved name "user_agent" was deleted from message "AccessLog"; no reader breaks now, but until name "user_agent" is reserved again, ` +
				"a later version may reuse it with another meaning, which readers at v3 and the data v1–v3 wrote would misread",
			never: []string{"cannot read"},
		},
		{
			name: "widening int32 to int64 (FORWARD)",
			f: registry.Finding{Level: registry.LevelFullTransitive, Finding: compat.Finding{
				Rule: "FIELD_WIRE_LOSSLESS_TYPE", Element: "acme.obs.v1.Clicked.count", Directions: compat.Forward, Severity: compat.SeverityWarning,
				Message: `Field 3 "count" on message "Clicked" changed type from int32 to int64: int64 values that do not fit in int32 are truncated, so readers still on the previous schema cannot read data written with the current one (FORWARD).`}},
			base: 2,
			want: `Field 3 "count" on message "Clicked" changed type from int32 to int64; values above 2^31−1 or below −2^31 are truncated by readers at v1–v2`,
		},
		{
			name: "widening a pbtable's field, checked in JSON too: one finding, both effects",
			f: registry.Finding{Level: registry.LevelFullTransitive, Also: []string{"FIELD_WIRE_LOSSLESS_TYPE"}, Finding: compat.Finding{
				Rule: "FIELD_WIRE_JSON_COMPATIBLE_TYPE", Element: "acme.obs.v1.Row.qty", Directions: compat.Forward,
				Message: `Field 2 "qty" on message "Row" changed type from int32 to int64: readers still on the previous schema cannot read data written with the current one (FORWARD).`}},
			base: 1,
			want: `Field 2 "qty" on message "Row" changed type from int32 to int64 (also FIELD_WIRE_LOSSLESS_TYPE); ` +
				"readers at v1 cannot read values above 2^31−1 or below −2^31 that this version writes: binary readers truncate them, JSON readers reject them",
		},
		{
			name: "narrowing uint64 to uint32 (BACKWARD)",
			f: registry.Finding{Level: registry.LevelBackwardTransitive, Finding: compat.Finding{
				Rule: "FIELD_WIRE_LOSSLESS_TYPE", Element: "acme.obs.v1.Clicked.count", Directions: compat.Backward,
				Message: `Field 3 "count" on message "Clicked" changed type from uint64 to uint32: uint64 values that do not fit in uint32 are truncated, so readers on the current schema cannot read data written with the previous one (BACKWARD).`}},
			base: 4,
			want: `Field 3 "count" on message "Clicked" changed type from uint64 to uint32; values above 2^32−1 or below 0 that v1–v4 wrote are truncated by this version`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f.Explain(tt.base)
			if got != tt.want {
				t.Errorf("Explain(%d) =\n%s\nwant\n%s", tt.base, got, tt.want)
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("Explain says %q: not true of this change", n)
				}
			}
		})
	}
}

// TestLogDeletionIsOneFinding: deleting a log record's field breaks two
// rules and the built-in policy LOG_RESERVE_DELETED_FIELDS (once per rule):
// one finding names all three, is counted as one incompatible change, and
// one exception naming any of them — the policy's included — lets the
// push through.
func TestLogDeletionIsOneFinding(t *testing.T) {
	for _, approve := range []string{"FIELD_NO_DELETE_UNLESS_NAME_RESERVED", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "LOG_RESERVE_DELETED_FIELDS"} {
		t.Run(approve, func(t *testing.T) {
			s := newService(t)
			ctx := context.Background()
			mustPush(t, s, billingConfig, billingProto("", "", "  string user_agent = 2;"))
			deleted := billingProto("", "", "")
			_, _, verdict, err := s.Push(ctx, registry.PushRequest{Files: module(billingConfig, deleted), Principal: "ci"})
			if !errors.Is(err, registry.ErrRejected) {
				t.Fatalf("deletion: %v, want it refused", err)
			}
			want := []string{"FIELD_NO_DELETE_UNLESS_NAME_RESERVED", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "LOG_RESERVE_DELETED_FIELDS"}
			if len(verdict.Findings) != 1 || !slices.Equal(verdict.Findings[0].Rules(), want) {
				t.Fatalf("findings %+v, want one naming %v", verdict.Findings, want)
			}
			msg := err.Error()
			for _, w := range []string{
				"rejected against version 1: 1 incompatible change\n",
				"(FIELD_NO_DELETE_UNLESS_NAME_RESERVED + FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED + LOG_RESERVE_DELETED_FIELDS, BACKWARD_TRANSITIVE)",
				"Log records keep old fields",
			} {
				if !strings.Contains(msg, w) {
					t.Errorf("rejection:\n%s\nlacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "policy violation") || strings.Count(msg, "\n") != 1 {
				t.Errorf("rejection:\n%s\nwant one finding, no separate policy violation", msg)
			}
			f := verdict.Findings[0]
			if _, err := s.ApproveException(ctx, registry.ExceptionSpec{Module: "acme/billing", Digest: verdict.Digest, Rule: approve,
				Element: f.Element, Reason: "tools read the latest schema", Principal: "admin"}); err != nil {
				t.Fatal(err)
			}
			if v, _, _, err := s.Push(ctx, registry.PushRequest{Files: module(billingConfig, deleted), Principal: "ci"}); err != nil || v.Number != 2 {
				t.Fatalf("deletion with one exception (%s): version %d, %v; want version 2", approve, v.Number, err)
			}
		})
	}
}

// TestDescribeMarksWarnings: a warning's line says so after its level, a
// policy warning's says "policy warning", and an error's says neither.
func TestDescribeMarksWarnings(t *testing.T) {
	base := compat.Finding{Rule: "FIELD_WIRE_LOSSLESS_TYPE", Message: "changed.", Location: compat.Location{Path: "a.proto", StartLine: 2, StartColumn: 3}}
	warning := base
	warning.Severity = compat.SeverityWarning
	tests := []struct {
		f    registry.Finding
		want string
	}{
		{registry.Finding{Finding: base, Level: registry.LevelFull}, "a.proto:2:3: changed (FIELD_WIRE_LOSSLESS_TYPE, FULL)"},
		{registry.Finding{Finding: warning, Level: registry.LevelFull}, "a.proto:2:3: changed (FIELD_WIRE_LOSSLESS_TYPE, FULL, warning)"},
		{registry.Finding{Finding: warning, Policy: true}, "a.proto:2:3: changed. (FIELD_WIRE_LOSSLESS_TYPE, policy warning)"},
		{registry.Finding{Finding: base, Policy: true}, "a.proto:2:3: changed. (FIELD_WIRE_LOSSLESS_TYPE, policy)"},
	}
	for _, tt := range tests {
		if got := tt.f.Describe(0); got != tt.want {
			t.Errorf("Describe = %q, want %q", got, tt.want)
		}
	}
}
