package registry_test

import (
	"errors"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

func TestPageTokens(t *testing.T) {
	tok := registry.EncodePageToken("modules", "acme/a:b")
	if got, err := registry.DecodePageToken("modules", tok); err != nil || got != "acme/a:b" {
		t.Errorf("round trip = %q, %v", got, err)
	}
	if got, err := registry.DecodePageToken("modules", ""); err != nil || got != "" {
		t.Errorf("empty token = %q, %v", got, err)
	}
	if n, err := registry.DecodePageTokenInt("versions", registry.EncodePageToken("versions", "42")); err != nil || n != 42 {
		t.Errorf("int round trip = %d, %v", n, err)
	}
	bad := []struct{ kind, token string }{
		{"modules", "***"},
		{"modules", registry.EncodePageToken("versions", "1")},
		{"versions", registry.EncodePageToken("versions", "x")},
		{"versions", registry.EncodePageToken("versions", "-3")},
	}
	for _, b := range bad {
		_, err := registry.DecodePageTokenInt(b.kind, b.token)
		if !errors.Is(err, registry.ErrInvalidArgument) {
			t.Errorf("DecodePageTokenInt(%s, %q) = %v, want invalid argument", b.kind, b.token, err)
		}
	}
	for size, want := range map[int]int{0: registry.DefaultPageSize, 1: 1, registry.MaxPageSize: registry.MaxPageSize} {
		if got, err := (registry.PageRequest{Size: size}).Limit(); err != nil || got != want {
			t.Errorf("Limit(%d) = %d, %v; want %d", size, got, err, want)
		}
	}
}

// TestListPageInt pages through the numbers 10..1 (newest first, as
// ListVersions does) and checks each page's items, its token, and that the
// token resumes where the page ended.
func TestListPageInt(t *testing.T) {
	fetch := func(before int64, n int) ([]int64, error) {
		if before == 0 {
			before = 11
		}
		var out []int64
		for i := before - 1; i >= 1 && len(out) < n; i-- {
			out = append(out, i)
		}
		return out, nil
	}
	id := func(i int64) int64 { return i }
	tests := []struct {
		name     string
		size     int
		want     [][]int64
		wantNext []bool
	}{
		{"pages of 4", 4, [][]int64{{10, 9, 8, 7}, {6, 5, 4, 3}, {2, 1}}, []bool{true, true, false}},
		{"exact pages of 5", 5, [][]int64{{10, 9, 8, 7, 6}, {5, 4, 3, 2, 1}}, []bool{true, false}},
		{"one page", 0, [][]int64{{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := registry.PageRequest{Size: tt.size}
			for i, want := range tt.want {
				p, err := registry.ListPageInt("numbers", req, fetch, id)
				if err != nil {
					t.Fatalf("page %d: %v", i, err)
				}
				if len(p.Items) != len(want) {
					t.Fatalf("page %d = %v, want %v", i, p.Items, want)
				}
				for j := range want {
					if p.Items[j] != want[j] {
						t.Fatalf("page %d = %v, want %v", i, p.Items, want)
					}
				}
				if (p.NextPageToken != "") != tt.wantNext[i] {
					t.Fatalf("page %d token %q, want a token: %v", i, p.NextPageToken, tt.wantNext[i])
				}
				req.Token = p.NextPageToken
			}
		})
	}
}

// TestListPageErrors checks that a bad size or token is refused before
// fetch runs, and that fetch's error comes back unchanged.
func TestListPageErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		page      registry.PageRequest
		fetchErr  error
		wantField string
		wantErr   error
	}{
		{"size too large", registry.PageRequest{Size: registry.MaxPageSize + 1}, nil, "page_size", nil},
		{"token of another list", registry.PageRequest{Token: registry.EncodePageToken("versions", "a")}, nil, "page_token", nil},
		{"corrupt token", registry.PageRequest{Token: "!!"}, nil, "page_token", nil},
		{"fetch fails", registry.PageRequest{}, boom, "", boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetched := false
			_, err := registry.ListPage("modules", tt.page, func(string, int) ([]string, error) {
				fetched = true
				return nil, tt.fetchErr
			}, func(s string) string { return s })
			if tt.wantErr != nil {
				if err != tt.wantErr {
					t.Fatalf("err = %v, want %v unwrapped", err, tt.wantErr)
				}
				return
			}
			var inv *registry.InvalidArgumentError
			if !errors.As(err, &inv) || inv.Field != tt.wantField {
				t.Fatalf("err = %v, want an invalid %s", err, tt.wantField)
			}
			if fetched {
				t.Error("fetch ran for a bad page request")
			}
		})
	}
}
