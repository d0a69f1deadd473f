package storetest

import (
	"bytes"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// testImagePush: an image push — its descriptor set sent rather than
// compiled, no files beside it — is stored and read back like any push:
// no files, its descriptor set and config as sent; committed again, it is
// the same version. Its digest must be ImageDigest: Digest of its files
// and config, or a digest over another image, is refused, and so is a
// push without files that is not an image push.
func testImagePush(t *testing.T, s registry.Store) {
	c := ctx(t)
	p := Push("acme/images", 0, "a")
	p.Files, p.Image, p.DescriptorSet = nil, true, []byte("\x0a\x04image a")
	digest, err := registry.ImageDigest(p.DescriptorSet, p.Files, p.Config)
	must(t, err)
	p.Digest = digest
	v, created, err := s.CommitPush(c, p)
	must(t, err)
	if !created || v.Number != 1 || v.FileCount != 0 || v.Digest != digest {
		t.Fatalf("CommitPush = %+v, created %v; want version 1 with no files, created", v, created)
	}
	files, err := s.GetFiles(c, "acme/images", 1)
	must(t, err)
	if len(files) != 0 {
		t.Errorf("GetFiles = %q, want none", files)
	}
	set, err := s.GetDescriptorSet(c, "acme/images", 1)
	must(t, err)
	if !bytes.Equal(set, p.DescriptorSet) {
		t.Errorf("GetDescriptorSet = %q, want %q", set, p.DescriptorSet)
	}
	again, created, err := s.CommitPush(c, p)
	must(t, err)
	if created || again.Number != 1 {
		t.Errorf("the same image push again = version %d, created %v; want version 1, not created", again.Number, created)
	}

	other := p
	other.BaseVersion = 1
	other.DescriptorSet = []byte("\x0a\x04image b")
	_, _, err = s.CommitPush(c, other) // digest of image a
	wantErr(t, "image push with another image's digest", err, registry.ErrInvalidArgument)
	other.Image = false
	_, _, err = s.CommitPush(c, other)
	wantErr(t, "push without files that is not an image push", err, registry.ErrInvalidArgument)
	if m, err := s.GetModule(c, "acme/images"); err != nil || m.LatestVersion != 1 {
		t.Errorf("after refused commits: %+v, %v; want version 1 the latest", m, err)
	}
}
