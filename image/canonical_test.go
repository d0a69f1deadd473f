package image

import (
	"bytes"
	"compress/gzip"
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// gzipped returns data gzip-compressed.
func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// canonicalBytes returns the canonical encoding of data and whether it
// carried buf's import flags.
func canonicalBytes(t testing.TB, data []byte) ([]byte, bool) {
	t.Helper()
	img, marked, err := DecodeCanonical(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out, marked
}

// TestDecodeCanonical: the canonical encoding of the Edition 2024 image
// does not depend on compression or on the order of its files; without
// buf's extension (as protoc writes it) the image is unmarked, and its
// canonical form differs from the marked one only in the import flags;
// canonicalizing a canonical encoding gives it back byte for byte, so
// that a downloaded version pushed again is the same content.
func TestDecodeCanonical(t *testing.T) {
	set := edition2024Set(t)
	plain, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(set.File)
	reversed, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.File {
		f.ProtoReflect().SetUnknown(nil)
	}
	unmarked, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	want, marked := canonicalBytes(t, plain)
	if !marked {
		t.Fatal("buf's image is not marked")
	}
	for name, data := range map[string][]byte{"gzip": gzipped(t, plain), "reversed": reversed, "reversed gzip": gzipped(t, reversed), "canonical": want} {
		if got, marked := canonicalBytes(t, data); !bytes.Equal(got, want) || !marked {
			t.Errorf("%s: canonical form differs (marked %v)", name, marked)
		}
	}
	got, marked := canonicalBytes(t, unmarked)
	if marked {
		t.Errorf("an image without buf's extension is marked")
	}
	img, _, err := DecodeCanonical(unmarked, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	relabelled, err := img.WithImports(func(f *File) bool { return strings.HasPrefix(f.Path(), "google/") }).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) || !bytes.Equal(relabelled, want) {
		t.Errorf("the unmarked image, its imports flagged, differs from buf's canonical form")
	}
	// Files sorted by path, dependencies first.
	canon, _, err := DecodeCanonical(reversed, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range canon.Files() {
		paths = append(paths, f.Path())
	}
	if want := []string{"acme/billing/v1/invoice.proto", "acme/options/v1/options.proto", "google/protobuf/cpp_features.proto", "google/protobuf/descriptor.proto"}; !slices.Equal(sortedCopy(paths), want) || !isDepsFirst(canon) {
		t.Errorf("canonical order %v", paths)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// isDepsFirst reports whether every file comes after its dependencies.
func isDepsFirst(img *Image) bool {
	seen := map[string]bool{}
	for _, f := range img.Files() {
		imports := f.Descriptor.Imports()
		for i := range imports.Len() {
			if !seen[imports.Get(i).Path()] {
				return false
			}
		}
		seen[f.Path()] = true
	}
	return true
}

// TestGunzip: plain data passes through, gzip data is decompressed, and
// a stream that expands past the limit — or is not gzip after its magic
// bytes — is a DecodeError.
func TestGunzip(t *testing.T) {
	data := []byte("\x0a\x00")
	if got, err := Gunzip(data, Limits{}); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Gunzip(plain) = %q, %v", got, err)
	}
	if got, err := Gunzip(gzipped(t, data), Limits{}); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Gunzip(gzip) = %q, %v", got, err)
	}
	var de *DecodeError
	if _, err := Gunzip(gzipped(t, make([]byte, 2001)), Limits{MaxBytes: 2000}); !errors.As(err, &de) || !strings.Contains(err.Error(), "decompresses to more than 2000 bytes") {
		t.Errorf("Gunzip(bomb) = %v", err)
	}
	if _, err := Gunzip([]byte{0x1f, 0x8b, 1, 2, 3}, Limits{}); !errors.As(err, &de) {
		t.Errorf("Gunzip(bad gzip) = %v", err)
	}
}

// FuzzDecodeCanonical: whatever a client pushes as an image decodes or
// fails with a DecodeError, and an image that decodes has a canonical
// encoding that is a fixed point.
func FuzzDecodeCanonical(f *testing.F) {
	if data, err := proto.Marshal(edition2024Set(f)); err == nil {
		f.Add(data)
		f.Add(gzipped(f, data))
	}
	if data, err := proto.Marshal(testSet(f)); err == nil {
		f.Add(data)
	}
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := DecodeCanonical(data, Limits{MaxBytes: 1 << 20})
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		first, err := img.Encode()
		if err != nil {
			t.Fatalf("decoded image does not encode: %v", err)
		}
		again, _, err := DecodeCanonical(first, Limits{})
		if err != nil {
			t.Fatalf("canonical encoding does not decode: %v", err)
		}
		second, err := again.Encode()
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("canonical encoding is not a fixed point (%v)", err)
		}
	})
}
