package submodule

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	git "github.com/go-git/go-git/v5"
)

// Publication is a commit on a stack's main.
type Publication struct {
	// Release is the stack-wide publication number (tag r<N>).
	Release int64
	// Commit is the commit's hash.
	Commit string
	// Module and Version are the module version it published.
	Module  string
	Version int64
	// Time is the commit's time: when the version was pushed.
	Time time.Time
}

// Latest returns the latest publication of stack's repository under dir,
// nil before the first. It reads without the repository's lock.
func Latest(dir, stack string) (*Publication, error) {
	if err := ValidateStackName(stack); err != nil {
		return nil, err
	}
	r, err := git.PlainOpen(RepoPath(dir, stack))
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s: open its repository: %w", stack, err)
	}
	c, err := head(r)
	if err != nil || c == nil {
		return nil, err
	}
	t := Trailers(c.Message)
	v, _ := strconv.ParseInt(t[TrailerVersion], 10, 64)
	return &Publication{Release: releaseOf(c.Message), Commit: c.Hash.String(), Module: t[TrailerModule], Version: v, Time: c.Committer.When}, nil
}
