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
