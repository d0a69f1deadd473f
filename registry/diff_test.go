package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// TestDiff: the findings of two stored versions, with the subjects' rules
// at FULL, and errors for versions that do not exist.
func TestDiff(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPush(t, s, billingConfig, billingProto("", "", "  int64 count = 2;"))
	mustPush(t, s, billingConfig, billingProto("", "", "  int64 count = 2;\n  string note = 3;"))
	findings, prev, curr, err := s.Diff(ctx, "acme/billing", 1, registry.LatestVersion)
	if err != nil || len(findings) != 0 || prev == nil || curr == nil {
		t.Fatalf("Diff(1, latest) = %v, %v", findings, err)
	}
	// Back from 2 to 1 deletes AuditLine.note: the log's subject reports it.
	findings, _, _, err = s.Diff(ctx, "acme/billing", 2, 1)
	if err != nil || len(findings) == 0 {
		t.Fatalf("Diff(2, 1) = %v, %v; want findings", findings, err)
	}
	for _, f := range findings {
		if f.Subject != "acme.billing.v1.AuditLine" || f.Level != registry.LevelFull {
			t.Errorf("finding %+v: want subject AuditLine at FULL", f)
		}
	}
	if _, _, _, err := s.Diff(ctx, "acme/billing", 1, 9); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Diff to a missing version: %v", err)
	}
	if _, _, _, err := s.Diff(ctx, "acme/billing", 0, 1); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Errorf("Diff from 0: %v", err)
	}
}
