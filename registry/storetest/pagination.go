package storetest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// testPaginateModules: modules are listed by name, page by page, until a
// page without a next token.
func testPaginateModules(t *testing.T, s registry.Store) {
	c := ctx(t)
	// Names whose byte order differs from common collations.
	names := []string{"Zeta/z", "acme/a", "acme/a-b", "acme/a_b", "acme/a.b", "acme/ab", "b/x"}
	for _, n := range names {
		mustPush(t, s, n, "a")
	}
	want := []string{"Zeta/z", "acme/a", "acme/a-b", "acme/a.b", "acme/a_b", "acme/ab", "b/x"} // byte order
	var got []string
	var sizes []int
	page := registry.PageRequest{Size: 3}
	for {
		res, err := s.ListModules(c, page)
		must(t, err)
		sizes = append(sizes, len(res.Items))
		for _, m := range res.Items {
			got = append(got, m.Name)
			if m.LatestVersion != 1 {
				t.Errorf("module %s latest version %d, want 1", m.Name, m.LatestVersion)
			}
		}
		if res.NextPageToken == "" {
			break
		}
		page.Token = res.NextPageToken
	}
	if !reflect.DeepEqual(got, want) || fmt.Sprint(sizes) != "[3 3 1]" {
		t.Errorf("ListModules pages %v = %v, want %v in pages of 3", sizes, got, want)
	}
	all, err := s.ListModules(c, registry.PageRequest{})
	must(t, err)
	if len(all.Items) != len(names) || all.NextPageToken != "" {
		t.Errorf("default page = %d modules, token %q", len(all.Items), all.NextPageToken)
	}
	versions, err := s.ListVersions(c, "acme/a", registry.PageRequest{})
	must(t, err)
	tests := []struct {
		name string
		page registry.PageRequest
	}{
		{"negative size", registry.PageRequest{Size: -1}},
		{"size over the maximum", registry.PageRequest{Size: registry.MaxPageSize + 1}},
		{"corrupt token", registry.PageRequest{Token: "!!!"}},
		{"token of another list", registry.PageRequest{Token: registry.EncodePageToken("versions", "3")}},
	}
	for _, tc := range tests {
		_, err := s.ListModules(c, tc.page)
		wantErr(t, tc.name, err, registry.ErrInvalidArgument)
	}
	_, err = s.ListVersions(c, "acme/a", registry.PageRequest{Token: registry.EncodePageToken("modules", "acme/a")})
	wantErr(t, "modules token for versions", err, registry.ErrInvalidArgument)
	if len(versions.Items) != 1 {
		t.Errorf("ListVersions = %+v", versions)
	}
}

// testPaginateVersions: versions are listed newest first, page by page.
func testPaginateVersions(t *testing.T, s registry.Store) {
	c := ctx(t)
	for i := range 10 {
		mustPush(t, s, "acme/commerce", fmt.Sprint(i))
	}
	var pages [][]int64
	page := registry.PageRequest{Size: 4}
	for {
		res, err := s.ListVersions(c, "acme/commerce", page)
		must(t, err)
		var nums []int64
		for _, v := range res.Items {
			nums = append(nums, v.Number)
			if v.Module != "acme/commerce" || v.Digest == "" || v.Build.Commit == "" {
				t.Errorf("listed version %+v is incomplete", v)
			}
		}
		pages = append(pages, nums)
		if res.NextPageToken == "" {
			break
		}
		page.Token = res.NextPageToken
	}
	if fmt.Sprint(pages) != "[[10 9 8 7] [6 5 4 3] [2 1]]" {
		t.Errorf("ListVersions pages = %v", pages)
	}
	exact, err := s.ListVersions(c, "acme/commerce", registry.PageRequest{Size: 10})
	must(t, err)
	if len(exact.Items) != 10 || exact.NextPageToken != "" {
		t.Errorf("page of exactly all versions: %d items, token %q", len(exact.Items), exact.NextPageToken)
	}
}
