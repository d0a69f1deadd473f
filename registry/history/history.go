// Package history replays a module's git history the way a registry would
// have received it, to build what the registry keeps about the past: the
// subjects every version declared and the ledger of every field number and
// name, JSON name and enum value their messages used.
//
// Replay walks the first-parent history of a git ref (newest first, at
// most Options.Commits commits, within Options.Budget), keeps the commits
// whose module directory differs from every commit kept before, then,
// oldest first, compiles each (package input) as one version: its subjects
// (pbregistry.yaml, merged with those of earlier versions as the registry
// merges them) and their ledger keys (registry.LedgerKeys) are recorded in
// a registry.MemoryLedger. pbcheck breaking checks a pull request against
// it with registry.CheckImages, the registry's own checking path, so that
// the reuse of a number or name deleted versions ago is caught in the pull
// request, not only at push.
package history

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/registry"
)

// MaxCommits bounds the commits walked when Options.Commits is 0 ("all").
const MaxCommits = 10000

// DefaultBudget is the time Replay may take when Options.Budget is 0.
const DefaultBudget = 2 * time.Minute

// Options bound a replay.
type Options struct {
	// Commits is the number of commits to walk back from the ref,
	// the ref's commit included; 0 means all of them, up to MaxCommits.
	Commits int
	// Budget bounds the time of the whole replay; 0 means DefaultBudget.
	Budget time.Duration
	// Config is the configuration override (pbcheck --against-config),
	// applied to every commit; "" reads each commit's own.
	Config string
}

// Result is what a replay found.
type Result struct {
	// Ledger is the ledger of the subjects, versions numbered 1, 2, …
	// from the oldest commit replayed.
	Ledger *registry.MemoryLedger
	// Subjects are the subjects the versions declared, each with the
	// configuration of the latest version that declared it.
	Subjects []registry.Subject
	// Versions are the commits replayed as versions, oldest first.
	Versions []string
	// Skipped are the commits whose module did not compile (a registry
	// would have refused them), oldest first.
	Skipped []string
	// Truncated reports that the walk stopped at Options.Commits (or
	// MaxCommits) before the first commit of the repository.
	Truncated bool
}

// Replay replays the history of the git input ref (as pbcheck and package
// input name git inputs: ".git#branch=main,subdir=proto").
func Replay(ctx context.Context, ref string, opts Options) (*Result, error) {
	budget := opts.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	limit := opts.Commits
	if limit <= 0 || limit > MaxCommits {
		limit = MaxCommits
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	r, err := input.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if r.Format != input.FormatGit {
		return nil, fmt.Errorf("history of %q: not a git input: name a git repository, e.g. .git#branch=main", ref)
	}
	subdir := "."
	if r.Subdir != "" {
		subdir = path.Clean(filepath.ToSlash(r.Subdir))
	}
	hashes, truncated, err := walk(ctx, r, subdir, limit)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("history of %q: walking the commits took more than the budget of %s: walk fewer commits (--history N)", ref, budget)
		}
		return nil, err
	}
	res := &Result{Ledger: registry.NewMemoryLedger(), Truncated: truncated}
	stored := map[string]*registry.Subject{}
	var order []string
	for _, h := range hashes {
		opt := "ref=" + h
		if r.Subdir != "" {
			opt += ",subdir=" + r.Subdir
		}
		in, err := input.Load(ctx, r.Path+"#"+opt, input.Options{Config: opts.Config})
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("history of %q: replaying %d commits took more than the budget of %s: replay fewer (--history N)", ref, len(hashes), budget)
			}
			var compileErr *input.CompileError
			if errors.As(err, &compileErr) {
				res.Skipped = append(res.Skipped, h)
				continue
			}
			return nil, fmt.Errorf("history of %q: commit %s: %w", ref, h, err)
		}
		version := int64(len(res.Versions) + 1)
		res.Versions = append(res.Versions, h)
		declared := registry.SubjectSpecsOf(in.Config)
		storedList := make([]registry.Subject, 0, len(order))
		for _, name := range order {
			storedList = append(storedList, *stored[name])
		}
		var names []string
		for _, s := range registry.ResolveSubjects(declared, storedList) {
			names = append(names, s.Name)
		}
		keys, err := registry.LedgerKeys(in.Image, names)
		if err != nil {
			return nil, fmt.Errorf("history of %q: commit %s: %w", ref, h, err)
		}
		res.Ledger.Record(version, keys)
		for _, d := range declared {
			s, ok := stored[d.Name]
			if !ok {
				s = &registry.Subject{Name: d.Name, FirstVersion: version}
				stored[d.Name] = s
				order = append(order, d.Name)
			}
			s.Kind, s.PrimaryKey, s.Pushed, s.LastVersion = d.Kind, d.PrimaryKey, d.Compatibility, version
		}
	}
	for _, name := range order {
		res.Subjects = append(res.Subjects, *stored[name])
	}
	return res, nil
}

// walk returns the commits of r's first-parent history, oldest first, whose
// subdir tree differs from the trees of the commits before them; and
// whether it stopped at limit.
func walk(ctx context.Context, r input.Ref, subdir string, limit int) ([]string, bool, error) {
	repo, err := git.PlainOpenWithOptions(r.Path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, false, fmt.Errorf("history of %q: %s is not a git repository: %v", r.Raw, r.Path, err)
	}
	rev := "HEAD"
	switch {
	case r.Tag != "":
		rev = "refs/tags/" + r.Tag
	case r.GitRef != "" && r.Branch != "":
		rev = r.GitRef
		if rest, ok := strings.CutPrefix(r.GitRef, "HEAD"); ok {
			rev = "refs/heads/" + r.Branch + rest
		}
	case r.GitRef != "":
		rev = r.GitRef
	case r.Branch != "":
		rev = "refs/heads/" + r.Branch
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil && r.Branch != "" && r.GitRef == "" {
		hash, err = repo.ResolveRevision(plumbing.Revision("refs/remotes/origin/" + r.Branch))
	}
	if err != nil {
		return nil, false, fmt.Errorf("history of %q: cannot resolve %s: %v", r.Raw, rev, err)
	}
	commit, err := repo.CommitObject(*hash)
	if err != nil {
		return nil, false, fmt.Errorf("history of %q: %s is not a commit: %v", r.Raw, hash, err)
	}
	type kept struct{ commit, tree string }
	var newestFirst []kept
	truncated := false
	for n := 0; commit != nil; n++ {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		if n == limit {
			truncated = true
			break
		}
		tree, err := moduleTree(commit, subdir)
		if err != nil {
			return nil, false, fmt.Errorf("history of %q: commit %s: %v", r.Raw, commit.Hash, err)
		}
		if tree == "" {
			break // the module does not exist before this commit
		}
		newestFirst = append(newestFirst, kept{commit.Hash.String(), tree})
		if commit.NumParents() == 0 {
			break
		}
		if commit, err = commit.Parent(0); err != nil {
			return nil, false, fmt.Errorf("history of %q: parent of %s: %v", r.Raw, newestFirst[len(newestFirst)-1].commit, err)
		}
	}
	seen := map[string]bool{}
	var out []string
	for i := len(newestFirst) - 1; i >= 0; i-- {
		k := newestFirst[i]
		if seen[k.tree] {
			continue // the same content again: the registry answers with the existing version
		}
		seen[k.tree] = true
		out = append(out, k.commit)
	}
	return out, truncated, nil
}

// moduleTree returns the hash of the subdir tree of commit, "" when the
// commit has no such directory.
func moduleTree(commit *object.Commit, subdir string) (string, error) {
	tree, err := commit.Tree()
	if err != nil {
		return "", err
	}
	if subdir == "." {
		return tree.Hash.String(), nil
	}
	sub, err := tree.Tree(subdir)
	if errors.Is(err, object.ErrDirectoryNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return sub.Hash.String(), nil
}
