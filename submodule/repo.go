package submodule

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// mainRef is the branch every publication moves forward.
const mainRef = plumbing.ReferenceName("refs/heads/main")

// RepoPath returns the bare repository of stack under dir.
func RepoPath(dir, stack string) string { return filepath.Join(dir, stack+".git") }

// openRepo opens the bare repository at path, creating it with HEAD on
// main if it does not exist. Callers hold the repository's file lock.
func openRepo(path string) (*git.Repository, error) {
	r, err := git.PlainOpen(path)
	if err == nil {
		if err := repairRefs(r, path); err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
		return r, nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	r, err = git.PlainInitWithOptions(path, &git.PlainInitOptions{Bare: true, InitOptions: git.InitOptions{DefaultBranch: mainRef}})
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return r, nil
}

// head returns main's commit, or nil while main does not exist.
func head(r *git.Repository) (*object.Commit, error) {
	ref, err := r.Storer.Reference(mainRef)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read main: %w", err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("read main's commit %s: %w", ref.Hash(), err)
	}
	return c, nil
}

// lockAt reads pbregistry.lock in commit c; an empty lock when c is nil.
func lockAt(c *object.Commit, registryURL, stack string) (*Lock, error) {
	if c == nil {
		return &Lock{Registry: registryURL, Stack: stack}, nil
	}
	f, err := c.File(LockFile)
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", LockFile, c.Hash, err)
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", LockFile, c.Hash, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", LockFile, c.Hash, err)
	}
	return ParseLock(data)
}

// hasTag reports whether tag name exists.
func hasTag(r *git.Repository, name string) (bool, error) {
	_, err := r.Storer.Reference(plumbing.NewTagReferenceName(name))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read tag %s: %w", name, err)
	}
	return true, nil
}

// tag creates annotated tag name on commit unless it exists.
func tag(r *git.Repository, name string, commit plumbing.Hash, sig object.Signature, message string) error {
	if err := ValidateRefName(name); err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	if ok, err := hasTag(r, name); err != nil || ok {
		return err
	}
	t := &object.Tag{Name: name, Tagger: sig, Message: message, TargetType: plumbing.CommitObject, Target: commit}
	o := r.Storer.NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return fmt.Errorf("encode tag %s: %w", name, err)
	}
	h, err := r.Storer.SetEncodedObject(o)
	if err != nil {
		return fmt.Errorf("store tag %s: %w", name, err)
	}
	if err := writeRef(r, plumbing.NewTagReferenceName(name), h, nil); err != nil {
		return fmt.Errorf("create tag %s: %w", name, err)
	}
	return nil
}

// findPublication walks main's first parents from c, at most limit
// commits, for the publication of module version n.
func findPublication(r *git.Repository, c *object.Commit, module string, n int64, limit int) (*object.Commit, error) {
	want := fmt.Sprint(n)
	for i := 0; c != nil && i < limit; i++ {
		t := Trailers(c.Message)
		if t[TrailerModule] == module && t[TrailerVersion] == want {
			return c, nil
		}
		if c.NumParents() == 0 {
			return nil, nil
		}
		p, err := c.Parent(0)
		if err != nil {
			return nil, fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		c = p
	}
	return nil, nil
}
