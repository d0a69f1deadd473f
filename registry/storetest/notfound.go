package storetest

import (
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// testNotFound: reads of things that do not exist fail with ErrNotFound
// and CodeNotFound.
func testNotFound(t *testing.T, s registry.Store) {
	c := ctx(t)
	mustPush(t, s, "acme/commerce", "a")
	unknownDigest := Push("acme/commerce", 0, "zzz").Digest
	tests := []struct {
		name string
		call func() error
	}{
		{"GetModule", func() error { _, err := s.GetModule(c, "acme/nope"); return err }},
		{"GetVersion of unknown module", func() error { _, err := s.GetVersion(c, "acme/nope", 1); return err }},
		{"GetVersion latest of unknown module", func() error { _, err := s.GetVersion(c, "acme/nope", registry.LatestVersion); return err }},
		{"GetVersion beyond latest", func() error { _, err := s.GetVersion(c, "acme/commerce", 2); return err }},
		{"GetVersionByDigest", func() error { _, err := s.GetVersionByDigest(c, "acme/commerce", unknownDigest); return err }},
		{"GetVersionByDigest of unknown module", func() error { _, err := s.GetVersionByDigest(c, "acme/nope", unknownDigest); return err }},
		{"ListVersions of unknown module", func() error { _, err := s.ListVersions(c, "acme/nope", registry.PageRequest{}); return err }},
		{"GetFiles", func() error { _, err := s.GetFiles(c, "acme/commerce", 9); return err }},
		{"GetFiles of unknown module", func() error { _, err := s.GetFiles(c, "acme/nope", registry.LatestVersion); return err }},
		{"GetDescriptorSet", func() error { _, err := s.GetDescriptorSet(c, "acme/commerce", 9); return err }},
		{"GetConfig", func() error { _, err := s.GetConfig(c, "acme/commerce", 9); return err }},
		{"GetSubject", func() error { _, err := s.GetSubject(c, "acme/commerce", "acme.v1.Nope"); return err }},
		{"GetSubject of unknown module", func() error { _, err := s.GetSubject(c, "acme/nope", OrderSubject); return err }},
		{"ListSubjects of unknown module", func() error { _, err := s.ListSubjects(c, "acme/nope"); return err }},
		{"Ledger of unknown subject", func() error {
			_, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/commerce", Subject: "acme.v1.Nope"})
			return err
		}},
		{"Ledger of unknown module", func() error {
			_, err := s.Ledger(c, registry.LedgerQuery{Module: "acme/nope", Subject: OrderSubject})
			return err
		}},
		{"GetException", func() error { _, err := s.GetException(c, 424242); return err }},
		{"AckOutbox of unknown consumer", func() error { return s.AckOutbox(c, "nobody", 1) }},
	}
	for _, tc := range tests {
		err := tc.call()
		wantErr(t, tc.name, err, registry.ErrNotFound)
		if code := registry.ErrorCode(err); code != registry.CodeNotFound {
			t.Errorf("%s: ErrorCode = %s", tc.name, code)
		}
	}
	if _, err := s.GetVersion(c, "acme/commerce", -1); registry.ErrorCode(err) != registry.CodeInvalidArgument {
		t.Errorf("GetVersion(-1): %v, want invalid argument", err)
	}
}
