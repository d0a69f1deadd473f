package storetest

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// testFirstPush: a push to a new module creates version 1 with everything
// it carries, readable by number, as latest and by digest.
func testFirstPush(t *testing.T, s registry.Store) {
	c := ctx(t)
	before := time.Now().Add(-time.Second)
	p := Push("acme/commerce", 0, "a")
	v, created, err := s.CommitPush(c, p)
	must(t, err)
	if !created || v.Number != 1 || v.Module != "acme/commerce" || v.Digest != p.Digest || v.Principal != p.Principal ||
		v.FileCount != 2 || !reflect.DeepEqual(v.Build, p.Build) || v.CreatedAt.Before(before) {
		t.Fatalf("CommitPush = %+v, created %v; want version 1 of the push, created", v, created)
	}
	m, err := s.GetModule(c, "acme/commerce")
	must(t, err)
	if m.Name != "acme/commerce" || m.LatestVersion != 1 || m.CreatedAt.IsZero() || m.UpdatedAt.Before(m.CreatedAt) {
		t.Errorf("GetModule = %+v", m)
	}
	for _, n := range []int64{1, registry.LatestVersion} {
		got, err := s.GetVersion(c, "acme/commerce", n)
		must(t, err)
		if !reflect.DeepEqual(got, v) {
			t.Errorf("GetVersion(%d) = %+v, want %+v", n, got, v)
		}
		files, err := s.GetFiles(c, "acme/commerce", n)
		must(t, err)
		want := slices.Clone(p.Files)
		slices.SortFunc(want, func(a, b registry.File) int { return strings.Compare(a.Path, b.Path) })
		if !reflect.DeepEqual(files, want) {
			t.Errorf("GetFiles(%d) = %q, want %q sorted by path", n, files, want)
		}
		set, err := s.GetDescriptorSet(c, "acme/commerce", n)
		must(t, err)
		if !bytes.Equal(set, p.DescriptorSet) {
			t.Errorf("GetDescriptorSet(%d) = %q, want %q", n, set, p.DescriptorSet)
		}
		cfg, err := s.GetConfig(c, "acme/commerce", n)
		must(t, err)
		if !bytes.Equal(cfg, p.Config) {
			t.Errorf("GetConfig(%d) = %q, want %q", n, cfg, p.Config)
		}
	}
	got, err := s.GetVersionByDigest(c, "acme/commerce", p.Digest)
	must(t, err)
	if !reflect.DeepEqual(got, v) {
		t.Errorf("GetVersionByDigest = %+v, want %+v", got, v)
	}
	// The same content in another module is another module's version 1.
	other, created, err := s.CommitPush(c, Push("acme/other", 0, "a"))
	must(t, err)
	if !created || other.Number != 1 || other.Module != "acme/other" {
		t.Errorf("push to another module = %+v, created %v", other, created)
	}
}

// testIdempotentPush: pushing accepted content again returns the existing
// version, whatever the baseline and build metadata, and writes nothing.
func testIdempotentPush(t *testing.T, s registry.Store) {
	c := ctx(t)
	v1 := mustPush(t, s, "acme/commerce", "a")
	mustPush(t, s, "acme/commerce", "b")
	tests := []struct {
		name string
		base int64
	}{
		{"same baseline", 0},
		{"latest baseline", 2},
		{"stale baseline", 1},
	}
	for _, tc := range tests {
		p := Push("acme/commerce", tc.base, "a")
		p.Build = registry.BuildInfo{Commit: "another build", Labels: map[string]string{"x": "y"}}
		p.Principal = "someone-else"
		v, created, err := s.CommitPush(c, p)
		must(t, err)
		if created || !reflect.DeepEqual(v, v1) {
			t.Errorf("%s: re-push = %+v, created %v; want %+v, not created", tc.name, v, created, v1)
		}
	}
	if n, _ := latest(c, s, "acme/commerce"); n != 2 {
		t.Errorf("latest version after re-pushes = %d, want 2", n)
	}
}

// testStaleBaseline: a push checked against a version that is not the
// latest is refused, names the latest, and writes nothing.
func testStaleBaseline(t *testing.T, s registry.Store) {
	c := ctx(t)
	mustPush(t, s, "acme/commerce", "a")
	mustPush(t, s, "acme/commerce", "b")
	tests := []struct {
		name       string
		module     string
		base       int64
		wantLatest int64
	}{
		{"behind", "acme/commerce", 1, 2},
		{"new-module baseline on existing module", "acme/commerce", 0, 2},
		{"ahead", "acme/commerce", 3, 2},
		{"baseline on a module that does not exist", "acme/new", 4, 0},
	}
	for _, tc := range tests {
		_, _, err := s.CommitPush(c, Push(tc.module, tc.base, "c"))
		wantErr(t, tc.name, err, registry.ErrStaleBaseline)
		var stale *registry.StaleBaselineError
		if !errors.As(err, &stale) || stale.Latest != tc.wantLatest || stale.BaseVersion != tc.base || stale.Module != tc.module {
			t.Errorf("%s: error %#v, want a StaleBaselineError with latest %d", tc.name, err, tc.wantLatest)
		}
		if registry.ErrorCode(err) != registry.CodeStaleBaseline {
			t.Errorf("%s: ErrorCode = %s", tc.name, registry.ErrorCode(err))
		}
	}
	if n, _ := latest(c, s, "acme/commerce"); n != 2 {
		t.Errorf("latest version = %d, want 2", n)
	}
	_, err := s.GetVersionByDigest(c, "acme/commerce", Push("acme/commerce", 0, "c").Digest)
	wantErr(t, "refused push's digest", err, registry.ErrNotFound)
	_, err = s.GetModule(c, "acme/new")
	wantErr(t, "module of a refused push", err, registry.ErrNotFound)
}

// testInvalidPush: malformed pushes are refused with ErrInvalidArgument
// and write nothing.
func testInvalidPush(t *testing.T, s registry.Store) {
	c := ctx(t)
	tests := []struct {
		name   string
		modify func(p *registry.PushCommit)
	}{
		{"no module", func(p *registry.PushCommit) { p.Module = "" }},
		{"bad module", func(p *registry.PushCommit) { p.Module = "acme/../x" }},
		{"negative baseline", func(p *registry.PushCommit) { p.BaseVersion = -1 }},
		{"no files", func(p *registry.PushCommit) { p.Files = nil; Redigest(p) }},
		{"malformed digest", func(p *registry.PushCommit) { p.Digest = "md5:x" }},
		{"digest of other content", func(p *registry.PushCommit) { p.Digest = Push("acme/x", 0, "other").Digest }},
		{"absolute path", func(p *registry.PushCommit) { p.Files[0].Path = "/etc/x.proto"; Redigest(p) }},
		{"unclean path", func(p *registry.PushCommit) { p.Files[0].Path = "a/../b.proto"; Redigest(p) }},
		{"duplicate path", func(p *registry.PushCommit) { p.Files[1].Path = p.Files[0].Path }},
		{"no principal", func(p *registry.PushCommit) { p.Principal = "" }},
		{"bad subject name", func(p *registry.PushCommit) { p.Subjects[0].Name = "acme..Order" }},
		{"bad subject kind", func(p *registry.PushCommit) { p.Subjects[0].Kind = "table" }},
		{"pbtable without key", func(p *registry.PushCommit) { p.Subjects[0].PrimaryKey = nil }},
		{"event with key", func(p *registry.PushCommit) { p.Subjects[0].Kind = registry.KindEvent }},
		{"bad level", func(p *registry.PushCommit) { p.Subjects[0].Compatibility.Level = "SIDEWAYS" }},
		{"empty level", func(p *registry.PushCommit) { p.Subjects[0].Compatibility.Level = "" }},
		{"bad rule", func(p *registry.PushCommit) { p.Subjects[0].Compatibility.Except = []string{"A B"} }},
		{"duplicate subject", func(p *registry.PushCommit) { p.Subjects = append(p.Subjects, p.Subjects[0]) }},
		{"bad ledger kind", func(p *registry.PushCommit) { p.Ledger[0].Kind = "Field Number" }},
		{"ledger without key", func(p *registry.PushCommit) { p.Ledger[0].Key = "" }},
		{"ledger entry twice with two meanings", func(p *registry.PushCommit) {
			e := p.Ledger[0]
			e.Meaning = "other"
			p.Ledger = append(p.Ledger, e)
		}},
		{"ledger of unknown subject", func(p *registry.PushCommit) { p.Ledger[0].Subject = "acme.v1.Unknown" }},
		{"exception ID 0", func(p *registry.PushCommit) { p.Exceptions = []int64{0} }},
		{"exception twice", func(p *registry.PushCommit) { p.Exceptions = []int64{1, 1} }},
	}
	for _, tc := range tests {
		p := Push("acme/commerce", 0, "a")
		tc.modify(&p)
		_, _, err := s.CommitPush(c, p)
		wantErr(t, tc.name, err, registry.ErrInvalidArgument)
		var inv *registry.InvalidArgumentError
		if !errors.As(err, &inv) || inv.Field == "" || inv.Problem == "" {
			t.Errorf("%s: error %#v is not an InvalidArgumentError naming the field", tc.name, err)
		}
	}
	_, err := s.GetModule(c, "acme/commerce")
	wantErr(t, "module after invalid pushes", err, registry.ErrNotFound)
	// A ledger entry of a subject the push does not declare is fine once
	// the subject exists.
	mustPush(t, s, "acme/commerce", "a")
	p := Push("acme/commerce", 1, "b")
	p.Subjects = nil
	v, created, err := s.CommitPush(c, p)
	if err != nil || !created || v.Number != 2 {
		t.Fatalf("push with ledger of an existing, undeclared subject = %+v, %v, %v", v, created, err)
	}
}

// testFilesDeduplicated: versions sharing files each read back their own
// complete file set.
func testFilesDeduplicated(t *testing.T, s registry.Store) {
	c := ctx(t)
	p1 := Push("acme/commerce", 0, "a")
	p1.Files = append(p1.Files, registry.File{Path: "empty.proto", Content: []byte{}})
	Redigest(&p1)
	_, _, err := s.CommitPush(c, p1)
	must(t, err)
	p2 := Push("acme/commerce", 1, "a")
	p2.Files = append(p2.Files, registry.File{Path: "z/copy.proto", Content: p2.Files[1].Content})
	Redigest(&p2)
	_, _, err = s.CommitPush(c, p2)
	must(t, err)
	for n, p := range map[int64]registry.PushCommit{1: p1, 2: p2} {
		files, err := s.GetFiles(c, "acme/commerce", n)
		must(t, err)
		want := slices.Clone(p.Files)
		slices.SortFunc(want, func(a, b registry.File) int { return strings.Compare(a.Path, b.Path) })
		if len(files) != len(want) {
			t.Fatalf("version %d: %d files, want %d", n, len(files), len(want))
		}
		for i := range files {
			if files[i].Path != want[i].Path || !bytes.Equal(files[i].Content, want[i].Content) {
				t.Errorf("version %d file %d = %s %q, want %s %q", n, i, files[i].Path, files[i].Content, want[i].Path, want[i].Content)
			}
		}
	}
}
