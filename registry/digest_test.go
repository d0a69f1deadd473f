package registry_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

func TestDigestGolden(t *testing.T) {
	// The canonical form is a stored contract: changing it changes every
	// digest, and identical re-pushes would no longer be recognised.
	files := []registry.File{
		{Path: "b.proto", Content: []byte("syntax = \"proto3\";\n")},
		{Path: "a/a.proto", Content: []byte("")},
	}
	var form bytes.Buffer
	if err := registry.WriteCanonical(&form, files, []byte("version: v1\n")); err != nil {
		t.Fatal(err)
	}
	wantForm := "pbregistry.digest.v1\n" +
		"file 9 a/a.proto 0\n\n" +
		"file 7 b.proto 19\nsyntax = \"proto3\";\n\n" +
		"config 12\nversion: v1\n\n"
	if form.String() != wantForm {
		t.Errorf("canonical form =\n%q\nwant\n%q", form.String(), wantForm)
	}
	d, err := registry.Digest(files, []byte("version: v1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d != registry.BlobDigest([]byte(wantForm)) {
		t.Errorf("Digest = %s, want the SHA-256 of the canonical form, %s", d, registry.BlobDigest([]byte(wantForm)))
	}
	if err := registry.ValidateDigest("digest", d); err != nil {
		t.Errorf("Digest returned a digest ValidateDigest refuses: %v", err)
	}
}

func TestDigestDistinguishes(t *testing.T) {
	f := func(pairs ...string) []registry.File {
		var out []registry.File
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, registry.File{Path: pairs[i], Content: []byte(pairs[i+1])})
		}
		return out
	}
	tests := []struct {
		name           string
		a, b           []registry.File
		configA, confB string
		same           bool
	}{
		{"file order does not matter", f("a", "1", "b", "2"), f("b", "2", "a", "1"), "", "", true},
		{"content differs", f("a", "1"), f("a", "2"), "", "", false},
		{"path differs", f("a", "1"), f("b", "1"), "", "", false},
		{"config differs", f("a", "1"), f("a", "1"), "x", "y", false},
		{"boundary between path and content", f("a", "bc"), f("ab", "c"), "", "", false},
		{"boundary between files", f("a", "1file 1 b 1\n2"), f("a", "1", "b", "2"), "", "", false},
		{"file content versus config", f("a", "x"), f("a", ""), "", "x", false},
		{"empty file versus no file", f("a", "1", "b", ""), f("a", "1"), "", "", false},
	}
	for _, tc := range tests {
		da, err := registry.Digest(tc.a, []byte(tc.configA))
		if err != nil {
			t.Fatal(err)
		}
		db, err := registry.Digest(tc.b, []byte(tc.confB))
		if err != nil {
			t.Fatal(err)
		}
		if (da == db) != tc.same {
			t.Errorf("%s: digests %s and %s, want same=%v", tc.name, da, db, tc.same)
		}
	}
}

func TestDigestRefusesBadFileSets(t *testing.T) {
	tests := []struct {
		name  string
		files []registry.File
	}{
		{"duplicate path", []registry.File{{Path: "a.proto"}, {Path: "a.proto"}}},
		{"absolute path", []registry.File{{Path: "/a.proto"}}},
		{"dot-dot", []registry.File{{Path: "../a.proto"}}},
		{"backslash", []registry.File{{Path: `a\b.proto`}}},
		{"empty path", []registry.File{{Path: ""}}},
		{"unclean", []registry.File{{Path: "a//b.proto"}}},
		{"NUL", []registry.File{{Path: "a\x00.proto"}}},
	}
	for _, tc := range tests {
		_, err := registry.Digest(tc.files, nil)
		var inv *registry.InvalidArgumentError
		if !errors.As(err, &inv) || !errors.Is(err, registry.ErrInvalidArgument) {
			t.Errorf("%s: Digest error %v, want an InvalidArgumentError", tc.name, err)
		}
	}
}

func TestValidateDigest(t *testing.T) {
	good := registry.BlobDigest([]byte("x"))
	tests := []struct {
		digest string
		ok     bool
	}{
		{good, true},
		{"", false},
		{"sha256:", false},
		{"sha512:" + good[7:], false},
		{"sha256:" + good[8:], false},
		{good[:len(good)-1] + "G", false},
		{"SHA256:" + good[7:], false},
	}
	for _, tc := range tests {
		if err := registry.ValidateDigest("digest", tc.digest); (err == nil) != tc.ok {
			t.Errorf("ValidateDigest(%q) = %v, want ok=%v", tc.digest, err, tc.ok)
		}
	}
}
