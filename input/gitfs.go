package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// openGit opens the local repository of ref and returns the whole tree of
// the selected commit as an fs.FS, plus the normalized subdir ("." for
// the root), which is checked to be a directory of the tree.
func openGit(ref Ref, dir string) (fs.FS, string, error) {
	p := ref.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if _, err := os.Stat(p); err != nil {
		return nil, "", fmt.Errorf("input %q: git repository %s not found", ref.Raw, ref.Path)
	}
	repo, err := git.PlainOpenWithOptions(p, &git.PlainOpenOptions{DetectDotGit: false, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, "", fmt.Errorf("input %q: %s is not a git repository: %v", ref.Raw, ref.Path, err)
	}
	rev, what := "HEAD", "HEAD"
	switch {
	case ref.Tag != "":
		rev, what = "refs/tags/"+ref.Tag, "tag "+ref.Tag
	case ref.GitRef != "" && ref.Branch != "":
		rev, what = ref.GitRef, "ref "+ref.GitRef+" on branch "+ref.Branch
		if rest, ok := strings.CutPrefix(ref.GitRef, "HEAD"); ok {
			rev = "refs/heads/" + ref.Branch + rest
		}
	case ref.GitRef != "":
		rev, what = ref.GitRef, "ref "+ref.GitRef
	case ref.Branch != "":
		rev, what = "refs/heads/"+ref.Branch, "branch "+ref.Branch
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil && ref.Branch != "" && ref.GitRef == "" {
		// A branch may exist only as a remote-tracking branch.
		hash, err = repo.ResolveRevision(plumbing.Revision("refs/remotes/origin/" + ref.Branch))
	}
	if err != nil {
		return nil, "", fmt.Errorf("input %q: cannot resolve %s in %s: %v (accepted: branch=NAME, tag=NAME, ref=HASH|ABBREVIATED-HASH|BRANCH|TAG|HEAD~N)", ref.Raw, what, ref.Path, err)
	}
	commit, err := repo.CommitObject(*hash)
	if err != nil {
		return nil, "", fmt.Errorf("input %q: %s is not a commit: %v", ref.Raw, what, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, "", fmt.Errorf("input %q: read tree of %s: %v", ref.Raw, hash, err)
	}
	subdir := "."
	if ref.Subdir != "" {
		subdir = path.Clean(strings.ReplaceAll(ref.Subdir, "\\", "/"))
		if path.IsAbs(subdir) || subdir == ".." || strings.HasPrefix(subdir, "../") {
			return nil, "", fmt.Errorf("input %q: subdir %q must be a relative path inside the repository", ref.Raw, ref.Subdir)
		}
	}
	g := &gitFS{repo: repo, mtime: commit.Committer.When, nodes: map[string]*gitNode{}}
	root := &gitNode{name: ".", dir: true}
	g.nodes["."] = root
	if err := g.index(tree, ".", root); err != nil {
		return nil, "", fmt.Errorf("input %q: read tree: %v", ref.Raw, err)
	}
	if n := g.nodes[subdir]; n == nil || !n.dir {
		return nil, "", fmt.Errorf("input %q: subdir %q is not a directory of %s at %s", ref.Raw, ref.Subdir, ref.Path, what)
	}
	return g, subdir, nil
}

// gitFS is a read-only fs.FS over a git tree.
type gitFS struct {
	// mu serializes object reads: go-git's storage is not safe for
	// concurrent use.
	mu    sync.Mutex
	repo  *git.Repository
	mtime time.Time
	nodes map[string]*gitNode
}

type gitNode struct {
	name     string
	dir      bool
	hash     plumbing.Hash
	size     int64
	children []*gitNode
}

func (g *gitFS) index(tree *object.Tree, dir string, parent *gitNode) error {
	for _, e := range tree.Entries {
		p := path.Join(dir, e.Name)
		switch e.Mode {
		case filemode.Dir:
			sub, err := g.repo.TreeObject(e.Hash)
			if err != nil {
				return err
			}
			n := &gitNode{name: e.Name, dir: true, hash: e.Hash}
			g.nodes[p] = n
			parent.children = append(parent.children, n)
			if err := g.index(sub, p, n); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			n := &gitNode{name: e.Name, hash: e.Hash, size: -1}
			g.nodes[p] = n
			parent.children = append(parent.children, n)
		}
		// Symlinks and submodules are not followed.
	}
	sort.Slice(parent.children, func(i, j int) bool { return parent.children[i].name < parent.children[j].name })
	return nil
}

func (g *gitFS) lookup(op, name string) (*gitNode, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, ok := g.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// ReadFile implements fs.ReadFileFS.
func (g *gitFS) ReadFile(name string) ([]byte, error) {
	n, err := g.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	blob, err := g.repo.BlobObject(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer r.Close()
	data := make([]byte, 0, blob.Size)
	buf := bytes.NewBuffer(data)
	if _, err := io.Copy(buf, r); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return buf.Bytes(), nil
}

// ReadDir implements fs.ReadDirFS.
func (g *gitFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := g.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	out := make([]fs.DirEntry, len(n.children))
	for i, c := range n.children {
		out[i] = fs.FileInfoToDirEntry(gitInfo{c, g.mtime})
	}
	return out, nil
}

// Stat implements fs.StatFS.
func (g *gitFS) Stat(name string) (fs.FileInfo, error) {
	n, err := g.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return gitInfo{n, g.mtime}, nil
}

// Open implements fs.FS.
func (g *gitFS) Open(name string) (fs.File, error) {
	n, err := g.lookup("open", name)
	if err != nil {
		return nil, err
	}
	f := &gitFile{info: gitInfo{n, g.mtime}}
	if n.dir {
		f.entries, _ = g.ReadDir(name)
		return f, nil
	}
	data, err := g.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f.Reader = bytes.NewReader(data)
	return f, nil
}

type gitInfo struct {
	n     *gitNode
	mtime time.Time
}

func (i gitInfo) Name() string       { return i.n.name }
func (i gitInfo) Size() int64        { return i.n.size }
func (i gitInfo) ModTime() time.Time { return i.mtime }
func (i gitInfo) IsDir() bool        { return i.n.dir }
func (i gitInfo) Sys() any           { return nil }
func (i gitInfo) Mode() fs.FileMode {
	if i.n.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

type gitFile struct {
	*bytes.Reader
	info    gitInfo
	entries []fs.DirEntry
}

func (f *gitFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *gitFile) Close() error               { return nil }
func (f *gitFile) Read(b []byte) (int, error) {
	if f.Reader == nil {
		return 0, &fs.PathError{Op: "read", Path: f.info.Name(), Err: errors.New("is a directory")}
	}
	return f.Reader.Read(b)
}

// ReadDir implements fs.ReadDirFile.
func (f *gitFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := f.entries
		f.entries = nil
		return out, nil
	}
	if len(f.entries) == 0 {
		return nil, io.EOF
	}
	if n > len(f.entries) {
		n = len(f.entries)
	}
	out := f.entries[:n]
	f.entries = f.entries[n:]
	return out, nil
}
