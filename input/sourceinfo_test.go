package input

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
)

// A directory loaded with DeferSourceInfo has no source info until
// LoadSourceInfo, which gives each file exactly the descriptor, source
// info included, that a normal load gives it; the files not asked for
// keep none, and the input's modules see the new descriptors.
func TestLoadSourceInfoMatchesEagerLoad(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/breaking/*/*")
	if err != nil {
		t.Fatal(err)
	}
	var sides []string
	for _, d := range dirs {
		if b := filepath.Base(d); b == "current" || b == "previous" {
			sides = append(sides, d)
		}
	}
	if len(sides) < 100 {
		t.Fatalf("found %d fixture directories under testdata/breaking, want the rule fixtures", len(sides))
	}
	ctx := context.Background()
	for _, dir := range sides {
		t.Run(dir[len("../testdata/breaking/"):], func(t *testing.T) {
			eager, err := Load(ctx, dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			asked := 0
			lazy, err := Load(ctx, dir, Options{DeferSourceInfo: func(*config.Config) bool { asked++; return true }})
			if err != nil {
				t.Fatal(err)
			}
			if asked != 1 || !lazy.SourceInfoDeferred() || eager.SourceInfoDeferred() {
				t.Fatalf("DeferSourceInfo asked %d times, deferred %v (eager load: %v)", asked, lazy.SourceInfoDeferred(), eager.SourceInfoDeferred())
			}
			files := lazy.Image.Files()
			if len(files) != len(eager.Image.Files()) {
				t.Fatalf("%d files deferred, %d eager", len(files), len(eager.Image.Files()))
			}
			for _, f := range files {
				if !f.IsImport && f.Descriptor.SourceLocations().Len() > 0 {
					t.Fatalf("%s has source info before LoadSourceInfo", f.Path())
				}
			}
			// First one file, then the rest: both the partial and the full load.
			first := lazy.Modules[0].Files[0].Path()
			if err := lazy.LoadSourceInfo(ctx, []string{first, "no/such.proto"}); err != nil {
				t.Fatal(err)
			}
			for _, f := range lazy.Image.Files() {
				if !f.IsImport && f.Path() != first && f.Descriptor.SourceLocations().Len() > 0 {
					t.Errorf("%s has source info, only %s was asked for", f.Path(), first)
				}
			}
			if err := lazy.LoadSourceInfo(ctx, nil); err != nil {
				t.Fatal(err)
			}
			for i, f := range lazy.Image.Files() {
				e := eager.Image.Files()[i]
				got, want := protodesc.ToFileDescriptorProto(f.Descriptor), protodesc.ToFileDescriptorProto(e.Descriptor)
				if f.IsImport != e.IsImport || f.ExternalPath != e.ExternalPath || !proto.Equal(got, want) {
					t.Errorf("%s differs from the eager load's %s", f.Path(), e.Path())
				}
			}
			if m := lazy.Modules[0].Files[0]; m != lazy.Image.File(first) || m.Descriptor.SourceLocations().Len() == 0 {
				t.Errorf("the module's file %s does not see the loaded source info", first)
			}

			// The same as a binary image: its source info is kept
			// serialized, then decoded for the files asked for.
			data, err := eager.Image.Encode()
			if err != nil {
				t.Fatal(err)
			}
			binpb := filepath.Join(t.TempDir(), "image.binpb")
			if err := os.WriteFile(binpb, data, 0o644); err != nil {
				t.Fatal(err)
			}
			eagerImg, eagerErr := Load(ctx, binpb, Options{})
			lazyImg, err := Load(ctx, binpb, Options{DeferSourceInfo: func(*config.Config) bool { return true }})
			if eagerErr != nil {
				// An image the decoder refuses (a MessageSet) is refused alike.
				if err == nil || err.Error() != eagerErr.Error() {
					t.Fatalf("eager image load: %v; deferred: %v", eagerErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !lazyImg.SourceInfoDeferred() {
				t.Fatal("the image's source info is not deferred")
			}
			for _, f := range lazyImg.Image.Files() {
				if f.Descriptor.SourceLocations().Len() > 0 {
					t.Fatalf("image file %s has source info before LoadSourceInfo", f.Path())
				}
			}
			if err := lazyImg.LoadSourceInfo(ctx, []string{first}); err != nil {
				t.Fatal(err)
			}
			if err := lazyImg.LoadSourceInfo(ctx, nil); err != nil {
				t.Fatal(err)
			}
			for i, f := range lazyImg.Image.Files() {
				e := eagerImg.Image.Files()[i]
				got, want := protodesc.ToFileDescriptorProto(f.Descriptor), protodesc.ToFileDescriptorProto(e.Descriptor)
				if f.IsImport != e.IsImport || !proto.Equal(got, want) {
					t.Errorf("image file %s differs from the eager load's %s", f.Path(), e.Path())
				}
			}
			if lazyImg.Image.File(first).Descriptor.SourceLocations().Len() == 0 {
				t.Errorf("image file %s has no source info after LoadSourceInfo", first)
			}
		})
	}
}

// An image past the limit of source locations is refused with deferred
// source info as without: the limit is checked before anything is kept.
func TestDeferredImageKeepsSourceLocationLimit(t *testing.T) {
	ctx := context.Background()
	in, err := Load(ctx, "../testdata/breaking/FIELD_SAME_TYPE/current", Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := in.Image.Encode()
	if err != nil {
		t.Fatal(err)
	}
	binpb := filepath.Join(t.TempDir(), "image.binpb")
	if err := os.WriteFile(binpb, data, 0o644); err != nil {
		t.Fatal(err)
	}
	limits := Options{ImageLimits: image.Limits{MaxSourceLocations: 3}}
	_, eagerErr := Load(ctx, binpb, limits)
	limits.DeferSourceInfo = func(*config.Config) bool { return true }
	_, lazyErr := Load(ctx, binpb, limits)
	if eagerErr == nil || lazyErr == nil || eagerErr.Error() != lazyErr.Error() {
		t.Fatalf("past the limit: eager load %v, deferred load %v; want the same error", eagerErr, lazyErr)
	}
}
