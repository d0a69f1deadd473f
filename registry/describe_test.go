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
		{"a new module", compat.Both, registry.LevelFull, 0, "changed"},
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
	if want := "(also FIELD_SAME_NAME)"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "(FIELD_SAME_JSON_NAME + FIELD_SAME_NAME, FULL_TRANSITIVE)") {
		t.Errorf("rejection:\n%v\nwant it to name both rules", err)
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
