package submodule

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/pbregistry/pbregistry/retry"
)

// Mirror is a remote repository every publication of a stack is pushed
// to after it is committed locally, e.g. on GitHub:
//
//	mirrors:
//	  - url: https://github.com/acme/protos-go.git
//	    username: x-access-token        # default: pbregistry
//	    password_env: GITHUB_TOKEN      # or password_file: /run/secrets/github-token
//
// main and the tags are pushed, never forced: a mirror whose main is not
// an ancestor of the stack's main (someone committed there), or whose tag
// points elsewhere, has diverged; it is reported and left alone until it
// is reconciled by hand.
type Mirror struct {
	// URL is the mirror's http, https or file URL, without credentials.
	URL string `yaml:"url"`
	// Username is sent with the password (HTTP Basic); "" means
	// "pbregistry".
	Username string `yaml:"username"`
	// PasswordEnv names the environment variable holding the password or
	// token.
	PasswordEnv string `yaml:"password_env"`
	// PasswordFile is a file holding the password or token.
	PasswordFile string `yaml:"password_file"`
}

var mirrorKeys = []string{"url", "username", "password_env", "password_file"}

// Mirror timing.
const (
	// mirrorResync is how often an idle mirror is compared with the
	// stack again, for publications another registryd committed.
	mirrorResync = 5 * time.Minute
	// mirrorTimeout bounds one push (listing the mirror's refs
	// included).
	mirrorTimeout   = 5 * time.Minute
	mirrorRetryBase = time.Second
	mirrorRetryMax  = 5 * time.Minute
)

func (m *Mirror) validate() error {
	u, err := url.Parse(m.URL)
	switch {
	case m.URL == "":
		return fmt.Errorf("url is empty: write the mirror's https URL")
	case err != nil:
		return fmt.Errorf("url is not a URL: write the mirror's https URL, without credentials")
	case u.Scheme == "file" && (m.Username != "" || m.PasswordEnv != "" || m.PasswordFile != ""):
		return fmt.Errorf("url %q is a file URL: it takes no credentials", m.URL)
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file":
		return fmt.Errorf("url %q: write an http, https or file URL", u.Redacted())
	case u.User != nil:
		return fmt.Errorf("url %q holds credentials: put the password in password_env or password_file, never in the configuration", u.Redacted())
	case u.Scheme != "file" && u.Host == "":
		return fmt.Errorf("url %q has no host", m.URL)
	case m.PasswordEnv != "" && m.PasswordFile != "":
		return fmt.Errorf("set password_env or password_file, not both")
	case m.Username != "" && m.PasswordEnv == "" && m.PasswordFile == "":
		return fmt.Errorf("username without a password: set password_env or password_file")
	}
	return nil
}

// auth reads the mirror's credentials: nil when it has none.
func (m *Mirror) auth(getenv func(string) string) (transport.AuthMethod, error) {
	var pw string
	switch {
	case m.PasswordEnv != "":
		pw = getenv(m.PasswordEnv)
		if pw == "" {
			return nil, fmt.Errorf("mirror %s: password_env %s: the environment variable is unset or empty", m.URL, m.PasswordEnv)
		}
	case m.PasswordFile != "":
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mirror %s: password_file: %w", m.URL, err)
		}
		pw = strings.TrimSpace(string(b))
		if pw == "" {
			return nil, fmt.Errorf("mirror %s: password_file %s is empty", m.URL, m.PasswordFile)
		}
	default:
		return nil, nil
	}
	user := m.Username
	if user == "" {
		user = "pbregistry"
	}
	// BasicAuth's String() masks the password, should it be printed.
	return &githttp.BasicAuth{Username: user, Password: pw}, nil
}

// DivergedError reports a mirror that holds refs the stack's repository
// would have to force: they are left alone.
type DivergedError struct {
	// URL is the mirror's.
	URL string
	// Refs are the refs that diverged, e.g. refs/heads/main.
	Refs []string
}

// Error says which refs diverged and what to do.
func (e *DivergedError) Error() string {
	return fmt.Sprintf("mirror %s has diverged at %s: pbregistry never force-pushes; make the mirror's refs ancestors of the stack's (e.g. push the stack's main there with --force yourself) or remove the mirror", e.URL, strings.Join(e.Refs, ", "))
}

// MirrorStatus is what the last push to a mirror did.
type MirrorStatus struct {
	// URL is the mirror's.
	URL string
	// Synced is when the mirror last held the stack's main and tags.
	Synced time.Time
	// Commit is the stack's main that Synced refers to.
	Commit string
	// Error is the last push's error; "" when it succeeded.
	Error string
}

// mirror is a configured mirror with its credentials and state.
type mirror struct {
	cfg     *Mirror
	auth    transport.AuthMethod
	trigger chan struct{}

	mu     sync.Mutex
	status MirrorStatus
}

// newMirrors reads the credentials of s's mirrors.
func newMirrors(s *Stack, getenv func(string) string) ([]*mirror, error) {
	var ms []*mirror
	for i := range s.Mirrors {
		m := &s.Mirrors[i]
		a, err := m.auth(getenv)
		if err != nil {
			return nil, fmt.Errorf("stacks.repos (%s): %w", s.Name, err)
		}
		ms = append(ms, &mirror{cfg: m, auth: a, trigger: make(chan struct{}, 1), status: MirrorStatus{URL: m.URL}})
	}
	return ms, nil
}

// notify asks the mirror's loop to push.
func (m *mirror) notify() {
	select {
	case m.trigger <- struct{}{}:
	default:
	}
}

// run pushes to the mirror at start, after each publication and every
// mirrorResync, retrying failures with backoff; a diverged mirror waits
// for the next publication.
func (p *Publisher) runMirror(ctx context.Context, stack string, m *mirror) {
	for {
		for attempt := 1; ; attempt++ {
			err := p.syncMirror(ctx, stack, m)
			var div *DivergedError
			if err == nil || ctx.Err() != nil || errors.As(err, &div) {
				break
			}
			wait := retry.Backoff(attempt-1, mirrorRetryBase, mirrorRetryMax)
			p.logger.Warn("stack mirror push failed; retrying", "stack", stack, "mirror", m.cfg.URL, "retry_in", wait, "error", err)
			if retry.Sleep(ctx, wait) != nil {
				return
			}
		}
		t := time.NewTimer(mirrorResync)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-m.trigger:
			t.Stop()
		case <-t.C:
		}
	}
}

// SyncMirrors pushes stack's main and tags to each of its mirrors once
// and returns their errors (a *DivergedError for a mirror that
// diverged). Run does this after every publication.
func (p *Publisher) SyncMirrors(ctx context.Context, stack string) error {
	ms, ok := p.mirrors[stack]
	if !ok {
		return fmt.Errorf("no stack %q in stacks.repos", stack)
	}
	var errs []error
	for _, m := range ms {
		errs = append(errs, p.syncMirror(ctx, stack, m))
	}
	return errors.Join(errs...)
}

// Mirrors returns the state of stack's mirrors.
func (p *Publisher) Mirrors(stack string) []MirrorStatus {
	var out []MirrorStatus
	for _, m := range p.mirrors[stack] {
		m.mu.Lock()
		out = append(out, m.status)
		m.mu.Unlock()
	}
	return out
}

// syncMirror pushes to m, records the outcome and logs a divergence.
func (p *Publisher) syncMirror(ctx context.Context, stack string, m *mirror) error {
	ctx, cancel := context.WithTimeout(ctx, mirrorTimeout)
	defer cancel()
	commit, pushed, err := pushMirror(ctx, RepoPath(p.cfg.Dir, stack), m)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		var div *DivergedError
		if errors.As(err, &div) && m.status.Error != err.Error() {
			p.logger.Error("stack mirror diverged; it is not pushed to until reconciled", "stack", stack, "mirror", m.cfg.URL, "refs", div.Refs, "error", err)
		}
		m.status.Error = err.Error()
		return fmt.Errorf("stack %s: %w", stack, err)
	}
	m.status = MirrorStatus{URL: m.cfg.URL, Synced: time.Now(), Commit: commit}
	if pushed > 0 {
		p.logger.Info("stack mirror pushed", "stack", stack, "mirror", m.cfg.URL, "commit", commit, "refs", pushed)
	}
	return nil
}

// pushMirror pushes the refs of the repository at path that the mirror
// lacks or holds at an ancestor, and returns main's commit and how many
// refs it pushed. It reads the repository without its lock: objects and
// refs are written before the refs pointing at them.
func pushMirror(ctx context.Context, path string, m *mirror) (commit string, pushed int, err error) {
	r, err := git.PlainOpen(path)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("open %s: %w", path, err)
	}
	local, err := r.Storer.Reference(mainRef)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", 0, nil // nothing published yet
	}
	if err != nil {
		return "", 0, fmt.Errorf("read main: %w", err)
	}
	remote := git.NewRemote(r.Storer, &gitconfig.RemoteConfig{Name: "mirror", URLs: []string{m.cfg.URL}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: m.auth})
	if err != nil && !errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return "", 0, fmt.Errorf("mirror %s: list refs: %w", m.cfg.URL, err)
	}
	theirs := map[plumbing.ReferenceName]plumbing.Hash{}
	for _, ref := range refs {
		if ref.Type() == plumbing.HashReference {
			theirs[ref.Name()] = ref.Hash()
		}
	}
	var specs []gitconfig.RefSpec
	div := &DivergedError{URL: m.cfg.URL}
	add := func(name plumbing.ReferenceName) {
		specs = append(specs, gitconfig.RefSpec(name.String()+":"+name.String()))
	}
	switch h, ok := theirs[mainRef]; {
	case !ok || isAncestor(r, h, local.Hash()):
		if h != local.Hash() {
			add(mainRef)
		}
	case isAncestor(r, local.Hash(), h):
		// Ahead: another registryd on the same directory pushed a later
		// publication.
	default:
		div.Refs = append(div.Refs, mainRef.String())
	}
	tags, err := r.Tags()
	if err != nil {
		return "", 0, fmt.Errorf("list tags: %w", err)
	}
	err = tags.ForEach(func(t *plumbing.Reference) error {
		switch h, ok := theirs[t.Name()]; {
		case !ok:
			add(t.Name())
		case h != t.Hash():
			div.Refs = append(div.Refs, t.Name().String())
		}
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("list tags: %w", err)
	}
	if slices.Contains(div.Refs, mainRef.String()) {
		specs = nil // left alone until reconciled
	}
	if len(specs) > 0 {
		err := remote.PushContext(ctx, &git.PushOptions{RemoteName: "mirror", RefSpecs: specs, Auth: m.auth})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return "", 0, fmt.Errorf("mirror %s: push %d refs: %w", m.cfg.URL, len(specs), err)
		}
	}
	if len(div.Refs) > 0 {
		return "", len(specs), div
	}
	return local.Hash().String(), len(specs), nil
}

// isAncestor reports whether commit a is b or an ancestor of b in r; false
// when r lacks a.
func isAncestor(r *git.Repository, a, b plumbing.Hash) bool {
	if a == b {
		return true
	}
	ca, err := object.GetCommit(r.Storer, a)
	if err != nil {
		return false
	}
	cb, err := object.GetCommit(r.Storer, b)
	if err != nil {
		return false
	}
	ok, err := ca.IsAncestor(cb)
	return err == nil && ok
}
