package storetest

import (
	"bytes"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// Promote returns the commit that promotes the content of seed (version
// from of module) over version base, as Service.Promote makes it.
func Promote(module string, base, from int64, seed, reason string) registry.PushCommit {
	c := Push(module, base, seed)
	c.PromotedFrom = from
	c.PromoteReason = reason
	c.Build = registry.BuildInfo{}
	c.Principal = "admin@acme.example"
	return c
}

// testDigestRules: which version a push or a promotion of content
// already accepted gets. The latest version's content is a no-op for both;
// an older version's content is a no-op returning that version for a push
// (latest does not move), and a new version for a promotion, which may
// repeat a digest any number of times.
func testDigestRules(t *testing.T, s registry.Store) {
	c := ctx(t)
	const m = "acme/commerce"
	v1 := mustPush(t, s, m, "a")
	mustPush(t, s, m, "b")

	// Promote version 1 over version 2: version 3, with v1's content.
	v3, created, err := s.CommitPush(c, Promote(m, 2, 1, "a", "roll back b"))
	must(t, err)
	if !created || v3.Number != 3 || v3.Digest != v1.Digest || v3.PromotedFrom != 1 || v3.PromoteReason != "roll back b" ||
		v3.Principal != "admin@acme.example" {
		t.Fatalf("promotion = %+v, created %v; want version 3 promoted from 1, created", v3, created)
	}
	if got, err := s.GetVersion(c, m, registry.LatestVersion); err != nil || !reflect.DeepEqual(got, v3) {
		t.Errorf("latest after the promotion = %+v, %v; want %+v", got, err, v3)
	}
	if got, err := s.GetVersionByDigest(c, m, v1.Digest); err != nil || got.Number != 3 {
		t.Errorf("GetVersionByDigest after the promotion = %+v, %v; want the newest, version 3", got, err)
	}
	files1, err := s.GetFiles(c, m, 1)
	must(t, err)
	files3, err := s.GetFiles(c, m, 3)
	must(t, err)
	if !reflect.DeepEqual(files1, files3) {
		t.Errorf("files of the promoted version 3 = %q, want version 1's %q", files3, files1)
	}
	set, err := s.GetDescriptorSet(c, m, 3)
	must(t, err)
	if !bytes.Equal(set, Push(m, 0, "a").DescriptorSet) {
		t.Errorf("descriptor set of version 3 = %q", set)
	}
	if v1again, err := s.GetVersion(c, m, 1); err != nil || v1again.PromotedFrom != 0 || v1again.PromoteReason != "" {
		t.Errorf("version 1 = %+v, %v; want a pushed version", v1again, err)
	}

	tests := []struct {
		name        string
		commit      registry.PushCommit
		wantNumber  int64
		wantCreated bool
	}{
		// The latest version holds the content: nothing is written.
		{"push of the latest content", Push(m, 3, "a"), 3, false},
		{"push of the latest content, older baseline", Push(m, 1, "a"), 3, false},
		{"promotion retried", Promote(m, 2, 1, "a", "roll back b"), 3, false},
		// An older version's content: a push returns the newest version
		// holding it; a promotion makes a new version.
		{"next push", Push(m, 3, "c"), 4, true},
		{"push of an older version's content", Push(m, 4, "a"), 3, false},
		{"push of version 2's content", Push(m, 4, "b"), 2, false},
		{"promotion of a content promoted before", Promote(m, 4, 1, "a", "again"), 5, true},
		{"promotion of the version before the latest", Promote(m, 5, 4, "c", ""), 6, true},
	}
	for _, tc := range tests {
		v, created, err := s.CommitPush(c, tc.commit)
		if err != nil || v.Number != tc.wantNumber || created != tc.wantCreated || v.Digest != tc.commit.Digest {
			t.Errorf("%s: CommitPush = version %d (%s), created %v, %v; want version %d, created %v",
				tc.name, v.Number, v.Digest, created, err, tc.wantNumber, tc.wantCreated)
		}
	}
	checkHistory(c, t, s, m, 6)

	refused := []struct {
		name   string
		commit registry.PushCommit
		target error
	}{
		{"promotion of a version with other content", Promote(m, 6, 2, "a", ""), registry.ErrInvalidArgument},
		{"promotion of a version after the baseline", Promote(m, 6, 7, "a", ""), registry.ErrInvalidArgument},
		{"negative promoted version", Promote(m, 6, -1, "a", ""), registry.ErrInvalidArgument},
		{"reason without promotion", Promote(m, 6, 0, "d", "why"), registry.ErrInvalidArgument},
		{"promotion against a stale baseline", Promote(m, 5, 2, "b", ""), registry.ErrStaleBaseline},
	}
	for _, tc := range refused {
		_, _, err := s.CommitPush(c, tc.commit)
		wantErr(t, tc.name, err, tc.target)
	}
	var stale *registry.StaleBaselineError
	if _, _, err := s.CommitPush(c, Promote(m, 5, 2, "b", "")); !errors.As(err, &stale) || stale.Latest != 6 {
		t.Errorf("stale promotion: error %v, want a StaleBaselineError naming version 6", err)
	}
	checkHistory(c, t, s, m, 6)
}

// testConcurrentIdenticalPromotions: identical promotions racing create
// one version; every caller gets it back.
func testConcurrentIdenticalPromotions(t *testing.T, s registry.Store) {
	c := ctx(t)
	const m = "acme/race"
	mustPush(t, s, m, "a")
	mustPush(t, s, m, "b")
	const n = 8
	versions := make([]registry.Version, n)
	created := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			versions[i], created[i], errs[i] = s.CommitPush(c, Promote(m, 2, 1, "a", "roll back"))
		}()
	}
	close(start)
	wg.Wait()
	count := 0
	for i := range n {
		if errs[i] != nil || versions[i].Number != 3 || versions[i].PromotedFrom != 1 {
			t.Errorf("promoter %d: version %+v, %v; want version 3 promoted from 1", i, versions[i], errs[i])
		}
		if created[i] {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d promoters created a version, want 1", count)
	}
	checkHistory(c, t, s, m, 3)
}

// CheckUpgradedToPromote checks a store whose database held, before
// migration 0003, version 1 of module with digest (from storetest.Push
// of seed "a"): the version reads back as pushed, a push of its content
// returns it, and a promotion of it over a later push makes a new version
// with the same digest.
func CheckUpgradedToPromote(t *testing.T, s registry.Store, module, digest string) {
	t.Helper()
	c := ctx(t)
	v1, err := s.GetVersion(c, module, 1)
	if err != nil || v1.Digest != digest || v1.PromotedFrom != 0 || v1.FileCount != 1 {
		t.Fatalf("version 1 after the migration = %+v, %v", v1, err)
	}
	if v, created, err := s.CommitPush(c, Push(module, 1, "a")); err != nil || created || v.Number != 1 {
		t.Errorf("push of version 1's content = version %d, created %v, %v; want version 1, not created", v.Number, created, err)
	}
	mustPush(t, s, module, "b")
	v3, created, err := s.CommitPush(c, Promote(module, 2, 1, "a", "roll back"))
	if err != nil || !created || v3.Number != 3 || v3.Digest != digest || v3.PromotedFrom != 1 {
		t.Errorf("promotion of version 1 = %+v, created %v, %v; want version 3 with its digest", v3, created, err)
	}
	if _, _, err := s.CommitPush(c, Push(module, 3, "b")); err != nil {
		t.Errorf("push after the promotion: %v", err)
	}
}

// testExceptionAgainAfterUse: an exception that a version used can be
// granted again for the same digest, rule and element — a promotion
// carries the digest again — but an unused one only once.
func testExceptionAgainAfterUse(t *testing.T, s registry.Store) {
	c := ctx(t)
	const m = "acme/commerce"
	mustPush(t, s, m, "a")
	p := Push(m, 1, "b")
	spec := registry.ExceptionSpec{Module: m, Digest: p.Digest, Rule: "FIELD_SAME_TYPE", Element: "acme.v1.Order.total",
		Reason: "the only reader was migrated", Principal: "admin@acme.example"}
	first, err := s.CreateException(c, spec)
	must(t, err)
	p.Exceptions = []int64{first.ID}
	_, _, err = s.CommitPush(c, p)
	must(t, err)
	second, err := s.CreateException(c, spec)
	if err != nil || second.ID == first.ID || second.UsedVersion != 0 {
		t.Fatalf("the same exception after its use = %+v, %v; want a new, unused one", second, err)
	}
	_, err = s.CreateException(c, spec)
	wantErr(t, "the same unused exception twice", err, registry.ErrAlreadyExists)
	mustPush(t, s, m, "c")
	promo := Promote(m, 3, 2, "b", "")
	promo.Exceptions = []int64{second.ID}
	v, created, err := s.CommitPush(c, promo)
	if err != nil || !created || v.Number != 4 {
		t.Fatalf("promotion consuming the second exception = %+v, %v, %v", v, created, err)
	}
	if e, err := s.GetException(c, second.ID); err != nil || e.UsedVersion != 4 {
		t.Errorf("second exception = %+v, %v; want used by version 4", e, err)
	}
	list, err := s.ListExceptions(c, registry.ExceptionQuery{Module: m, Digest: p.Digest})
	if err != nil || len(list) != 2 {
		t.Errorf("ListExceptions = %+v, %v; want both", list, err)
	}
}
