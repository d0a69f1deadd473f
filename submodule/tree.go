package submodule

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Tree is the content of a publication: regular files by path. Only
// regular files are ever written — never symlinks, gitlinks or
// executables.
type Tree map[string][]byte

// Add adds a file, refusing an unsafe path, or one that is already in the
// tree, or a file where a directory is (or the reverse).
func (t Tree) Add(p string, content []byte) error {
	if err := ValidatePath(p); err != nil {
		return err
	}
	if _, ok := t[p]; ok {
		return fmt.Errorf("two files at %q: give every module of a stack its own import paths, or narrow the stack's modules/packages", p)
	}
	for q := range t {
		if strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
			return fmt.Errorf("%q and %q: a path is both a file and a directory", p, q)
		}
	}
	t[p] = content
	return nil
}

// dir is a directory being built: files and subdirectories by name.
type dir struct {
	files map[string][]byte
	dirs  map[string]*dir
}

// Write stores the tree's blobs and trees in s and returns the root
// tree's hash.
func (t Tree) Write(s storer.EncodedObjectStorer) (plumbing.Hash, error) {
	root := &dir{files: map[string][]byte{}, dirs: map[string]*dir{}}
	for p, content := range t {
		d := root
		segs := strings.Split(p, "/")
		for _, seg := range segs[:len(segs)-1] {
			sub := d.dirs[seg]
			if sub == nil {
				sub = &dir{files: map[string][]byte{}, dirs: map[string]*dir{}}
				d.dirs[seg] = sub
			}
			d = sub
		}
		d.files[segs[len(segs)-1]] = content
	}
	return root.write(s)
}

func (d *dir) write(s storer.EncodedObjectStorer) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	for name, content := range d.files {
		o := s.NewEncodedObject()
		o.SetType(plumbing.BlobObject)
		o.SetSize(int64(len(content)))
		w, err := o.Writer()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", name, err)
		}
		if _, err := w.Write(content); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", name, err)
		}
		if err := w.Close(); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", name, err)
		}
		h, err := s.SetEncodedObject(o)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("store blob %s: %w", name, err)
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
	}
	for name, sub := range d.dirs {
		h, err := sub.write(s)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries as if directories' names ended with '/'.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	tree := &object.Tree{Entries: entries}
	o := s.NewEncodedObject()
	if err := tree.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	return s.SetEncodedObject(o)
}
