package submodule

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// refTempPattern names the files a ref is written to before it is renamed
// into place; they sit at the repository's root, outside refs/, so that
// git never reads a half-written one as a ref.
const refTempPattern = "pbregistry-ref-*.tmp"

// writeRef points ref name of r at h atomically: the new value is written
// to a temporary file and renamed over the ref, as git does, so that a
// crash (kill -9) leaves the old value or the new one. go-git's
// SetReference truncates the ref file in place and writes after: a crash
// in between leaves an empty file, which reads as no ref at all — for
// main, an unborn branch that the next publication would start again
// from a root commit. With old set, the ref must point at *old (the zero
// hash: must not exist); callers hold the repository's file lock, so the
// check and the rename are not raced by another writer.
func writeRef(r *git.Repository, name plumbing.ReferenceName, h plumbing.Hash, old *plumbing.Hash) error {
	if old != nil {
		cur, err := r.Storer.Reference(name)
		switch {
		case errors.Is(err, plumbing.ErrReferenceNotFound):
			if !old.IsZero() {
				return fmt.Errorf("%s is gone, want it at %s: another writer moved it", name, old)
			}
		case err != nil:
			return fmt.Errorf("read %s: %w", name, err)
		case cur.Hash() != *old:
			return fmt.Errorf("%s is at %s, want %s: another writer moved it", name, cur.Hash(), old)
		}
	}
	st, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return r.Storer.SetReference(plumbing.NewHashReference(name, h))
	}
	root := st.Filesystem().Root()
	tmp, err := os.CreateTemp(root, refTempPattern)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := tmp.WriteString(h.String() + "\n")
	if werr == nil {
		werr = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	dst := filepath.Join(root, filepath.FromSlash(name.String()))
	if werr == nil {
		werr = os.MkdirAll(filepath.Dir(dst), 0o755)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), dst)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

var releaseTag = regexp.MustCompile(`^r([1-9][0-9]*)$`)

// repairRefs undoes what a crash of an earlier writer may have left in
// the repository at path (the caller holds its lock): temporary ref
// files, and empty ref files — which go-git's in-place ref writes left
// before writeRef, and which make go-git's iteration of refs fail. An
// empty main is pointed back at the latest release tag's commit (tags are
// written after main moves, so that commit is on main) before anything
// else is touched; an empty tag is removed, and written again when its
// publication is seen again (its event was not acknowledged).
func repairRefs(r *git.Repository, path string) error {
	if tmps, err := filepath.Glob(filepath.Join(path, refTempPattern)); err == nil {
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	var empty []string
	err := filepath.WalkDir(filepath.Join(path, "refs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Size() == 0 {
			empty = append(empty, p)
		}
		return nil
	})
	if err != nil || len(empty) == 0 {
		return err
	}
	mainFile := filepath.Join(path, filepath.FromSlash(mainRef.String()))
	if slices.Contains(empty, mainFile) {
		n, tag := latestRelease(path)
		if n == 0 {
			// Never published: main is unborn.
			return os.Remove(mainFile)
		}
		to, err := r.TagObject(tag)
		if err != nil {
			return fmt.Errorf("read tag r%d: %w", n, err)
		}
		c, err := to.Commit()
		if err != nil {
			return fmt.Errorf("read the commit of tag r%d: %w", n, err)
		}
		if err := writeRef(r, mainRef, c.Hash, nil); err != nil {
			return err
		}
	}
	for _, p := range empty {
		if p != mainFile {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove the empty ref %s: %w", p, err)
			}
		}
	}
	return nil
}

// latestRelease returns the highest N of the tags r<N> of the repository
// at path, loose or packed, and the tag object's hash; 0 when none. It
// reads the files itself: go-git's iteration of refs fails on an empty
// ref file.
func latestRelease(path string) (int64, plumbing.Hash) {
	tags := map[int64]plumbing.Hash{}
	if b, err := os.ReadFile(filepath.Join(path, "packed-refs")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			hash, name, ok := strings.Cut(line, " ")
			if m := releaseTag.FindStringSubmatch(strings.TrimPrefix(name, "refs/tags/")); ok && strings.HasPrefix(name, "refs/tags/") && m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				tags[n] = plumbing.NewHash(hash)
			}
		}
	}
	if es, err := os.ReadDir(filepath.Join(path, "refs", "tags")); err == nil {
		for _, e := range es {
			m := releaseTag.FindStringSubmatch(e.Name())
			if m == nil || e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(path, "refs", "tags", e.Name()))
			if h := strings.TrimSpace(string(b)); err == nil && len(h) == 40 {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				tags[n] = plumbing.NewHash(h)
			}
		}
	}
	var best int64
	for n := range tags {
		best = max(best, n)
	}
	return best, tags[best]
}
