package submodule

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/outbox"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/retry"
)

// ConsumerPrefix starts the outbox consumer name of every stack:
// "submodule.<stack>".
const ConsumerPrefix = "submodule."

// Defaults of PublisherOptions.
const (
	DefaultLease        = 2 * time.Minute
	DefaultPollInterval = 2 * time.Second
	DefaultRepackEvery  = 100
	retryBase           = 100 * time.Millisecond
	retryMax            = 30 * time.Second
	// searchDepth bounds the walk of main's history for a publication
	// whose tags a crash left unwritten.
	searchDepth = 10000
)

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// Logger logs publications; nil means slog.Default().
	Logger *slog.Logger
	// Worker identifies this process on its outbox claims; "" means
	// host:pid.
	Worker string
	// Lease is how long a claimed event is held; 0 means DefaultLease.
	Lease time.Duration
	// Getenv looks up the mirrors' password_env variables; nil means
	// os.Getenv.
	Getenv func(string) string
}

// Publisher publishes every accepted module version into the repository of
// every stack that holds the module.
type Publisher struct {
	store   registry.Store
	cfg     Config
	logger  *slog.Logger
	runners map[string]*outbox.Runner
	mirrors map[string][]*mirror
}

// NewPublisher returns a Publisher of cfg's stacks (cfg.Dir must be set),
// registering its outbox consumers with backfill so that a new stack gets
// every module's history.
func NewPublisher(ctx context.Context, store registry.Store, cfg Config, opts PublisherOptions) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("stacks.dir is empty: name the directory of the stacks' repositories")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("stacks.dir: %w", err)
	}
	p := &Publisher{store: store, cfg: cfg, logger: opts.Logger, runners: map[string]*outbox.Runner{}, mirrors: map[string][]*mirror{}}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	lease := opts.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	worker := opts.Worker
	if worker == "" {
		worker = outbox.DefaultWorker()
	}
	poll := p.cfg.PollInterval.D()
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	for i := range p.cfg.Repos {
		s := &p.cfg.Repos[i]
		ms, err := newMirrors(s, getenv)
		if err != nil {
			return nil, err
		}
		p.mirrors[s.Name] = ms
		if err := outbox.Register(ctx, store, true, ConsumerPrefix+s.Name); err != nil {
			return nil, err
		}
		p.runners[s.Name] = &outbox.Runner{
			Store: store, Consumer: ConsumerPrefix + s.Name, Worker: worker, Lease: lease, PollInterval: poll,
			Backoff: jitter, Ordered: true, Logger: p.logger.With("stack", s.Name),
			Handle: func(ctx context.Context, d registry.OutboxDelivery, _ int) error {
				res, err := p.Publish(ctx, s.Name, d.Event)
				if err == nil && !res.Commit.IsZero() {
					for _, m := range ms {
						m.notify()
					}
				}
				return err
			},
		}
	}
	return p, nil
}

// Run publishes until ctx is done: one outbox.Runner per stack, each
// claiming the oldest unpublished event, publishing it (retrying with
// exponential backoff and full jitter while its lease lasts) and
// acknowledging it; first, each stack is repaired (see Repair). Each
// mirror is pushed to at start and after every publication.
func (p *Publisher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for stack, ms := range p.mirrors {
		for _, m := range ms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.runMirror(ctx, stack, m)
			}()
		}
	}
	for i := range p.cfg.Repos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &p.cfg.Repos[i]
			if err := p.Repair(ctx, s.Name); err != nil {
				p.logger.Error("stack repair failed", "stack", s.Name, "error", err)
			}
			for _, m := range p.mirrors[s.Name] {
				m.notify()
			}
			p.runners[s.Name].Run(ctx)
		}()
	}
	wg.Wait()
}

// PublishPending publishes every pending event of stack, oldest first,
// and returns how many events it handled.
func (p *Publisher) PublishPending(ctx context.Context, stack string) (int, error) {
	r, ok := p.runners[stack]
	if !ok {
		return 0, fmt.Errorf("no stack %q in stacks.repos", stack)
	}
	return r.Drain(ctx)
}

// Result says what a publication did.
type Result struct {
	// Commit is the publication's commit; zero when nothing was
	// committed.
	Commit plumbing.Hash
	// Release is the stack-wide publication number (tag r<N>).
	Release int64
	// Already reports that the version had been published before.
	Already bool
	// Skipped says why the event needs no publication ("" if it did).
	Skipped string
}

// Publish publishes the module version of event e into stack's repository,
// idempotently: publishing an event again — after a crash between the
// commit and the acknowledgement, or by another registryd — adds no
// commit. It does not acknowledge e.
func (p *Publisher) Publish(ctx context.Context, stack string, e registry.OutboxEvent) (Result, error) {
	s, ok := p.cfg.Stack(stack)
	switch {
	case !ok:
		return Result{}, fmt.Errorf("no stack %q in stacks.repos", stack)
	case e.Type != registry.EventVersionAccepted:
		return Result{Skipped: "event type " + e.Type}, nil
	case !s.HasModule(e.Module):
		return Result{Skipped: "module not in stack"}, nil
	}
	path := RepoPath(p.cfg.Dir, s.Name)
	lock, err := lockFile(ctx, path+".lock")
	if err != nil {
		return Result{}, fmt.Errorf("publish %s v%d to stack %s: %w", e.Module, e.Version, s.Name, err)
	}
	defer lock.unlock()
	res, err := p.publish(ctx, s, path, e)
	if err != nil {
		return res, fmt.Errorf("publish %s v%d to stack %s: %w", e.Module, e.Version, s.Name, err)
	}
	return res, nil
}

// publish publishes e's module version, and first every earlier version
// of the module that main does not hold yet: events claimed by several
// workers can arrive out of order, and each version gets its own commit,
// in order, exactly once.
func (p *Publisher) publish(ctx context.Context, s *Stack, path string, e registry.OutboxEvent) (Result, error) {
	r, err := openRepo(path)
	if err != nil {
		return Result{}, err
	}
	c, err := head(r)
	if err != nil {
		return Result{}, err
	}
	if err := p.finishHead(r, c); err != nil {
		return Result{}, err
	}
	prev, err := lockAt(c, p.cfg.PublicURL, s.Name)
	if err != nil {
		return Result{}, err
	}
	from := e.Version
	if m := prev.Module(e.Module); m != nil {
		from = min(m.Version+1, e.Version)
	} else {
		// A module main does not hold: go back over the versions that
		// have files for the stack and no tag yet.
		for from > 1 {
			if ok, err := hasTag(r, fmt.Sprintf("%s/v%d", e.Module, from-1)); err != nil || ok {
				if err != nil {
					return Result{}, err
				}
				break
			}
			n, err := p.addModule(ctx, Tree{}, s, LockModule{Name: e.Module, Version: from - 1})
			if err != nil {
				return Result{}, fmt.Errorf("module %s v%d: %w", e.Module, from-1, err)
			}
			if n == 0 {
				break
			}
			from--
		}
	}
	var res Result
	for n := from; n <= e.Version; n++ {
		if res, err = p.publishVersion(ctx, r, s, registry.OutboxEvent{Type: e.Type, Module: e.Module, Version: n}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// publishVersion publishes one module version unless main holds it.
func (p *Publisher) publishVersion(ctx context.Context, r *git.Repository, s *Stack, e registry.OutboxEvent) (Result, error) {
	tagName := fmt.Sprintf("%s/v%d", e.Module, e.Version)
	if err := ValidateRefName(tagName); err != nil {
		return Result{}, fmt.Errorf("module %s cannot be tagged: %w", e.Module, err)
	}
	if ok, err := hasTag(r, tagName); err != nil || ok {
		return Result{Already: ok}, err
	}
	prevCommit, err := head(r)
	if err != nil {
		return Result{}, err
	}
	prev, err := lockAt(prevCommit, p.cfg.PublicURL, s.Name)
	if err != nil {
		return Result{}, err
	}
	v, err := p.store.GetVersion(ctx, e.Module, e.Version)
	if err != nil {
		return Result{}, fmt.Errorf("read the version: %w", err)
	}
	sig := object.Signature{Name: "pbregistry", Email: "pbregistry@" + hostOf(p.cfg.PublicURL), When: v.CreatedAt}
	if m := prev.Module(e.Module); m != nil && m.Version >= e.Version {
		// Published, but a crash lost its tags; or superseded.
		c, err := findPublication(r, prevCommit, e.Module, e.Version, searchDepth)
		if err != nil || c == nil {
			return Result{Already: true, Skipped: fmt.Sprintf("main already holds %s v%d", e.Module, m.Version)}, err
		}
		rel := releaseOf(c.Message)
		if err := p.tags(r, c.Hash, tagName, rel, sig, c.Message); err != nil {
			return Result{}, err
		}
		return Result{Commit: c.Hash, Release: rel, Already: true}, nil
	}

	next := &Lock{Registry: p.cfg.PublicURL, Stack: s.Name}
	for _, m := range prev.Modules {
		if m.Name != e.Module && s.HasModule(m.Name) {
			next.Modules = append(next.Modules, m)
		}
	}
	subjects, err := p.subjects(ctx, v)
	if err != nil {
		return Result{}, err
	}
	next.Modules = append(next.Modules, LockModule{Name: v.Module, Version: v.Number, Digest: v.Digest, Subjects: subjects})
	tree, err := p.tree(ctx, s, next)
	if err != nil {
		return Result{}, err
	}
	treeHash, err := tree.Write(r.Storer)
	if err != nil {
		return Result{}, err
	}
	if prevCommit != nil && prevCommit.TreeHash == treeHash {
		return Result{Skipped: "tree unchanged"}, nil
	}
	release := int64(1)
	var parents []plumbing.Hash
	if prevCommit != nil {
		release = releaseOf(prevCommit.Message) + 1
		parents = []plumbing.Hash{prevCommit.Hash}
	}
	msg := Changelog(v, release, prev, next)
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: treeHash, ParentHashes: parents}
	o := r.Storer.NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return Result{}, fmt.Errorf("encode commit: %w", err)
	}
	commit, err := r.Storer.SetEncodedObject(o)
	if err != nil {
		return Result{}, fmt.Errorf("store commit: %w", err)
	}
	var old plumbing.Hash
	if prevCommit != nil {
		old = prevCommit.Hash
	}
	// Never force: main moves only from the commit this was built on.
	if err := writeRef(r, mainRef, commit, &old); err != nil {
		return Result{}, fmt.Errorf("move main to %s: %w", commit, err)
	}
	if err := p.tags(r, commit, tagName, release, sig, msg); err != nil {
		return Result{}, err
	}
	p.logger.Info("published", "stack", s.Name, "module", e.Module, "version", e.Version, "release", release, "commit", commit.String())
	if every := p.repackEvery(); every > 0 && release%int64(every) == 0 {
		p.repack(ctx, s.Name)
	}
	return Result{Commit: commit, Release: release}, nil
}

// finishHead writes the tags of main's commit c if a crash lost them:
// tags are written right after main moves, so only main's own can be
// missing.
func (p *Publisher) finishHead(r *git.Repository, c *object.Commit) error {
	if c == nil {
		return nil
	}
	t := Trailers(c.Message)
	if t[TrailerModule] == "" || t[TrailerVersion] == "" {
		return nil
	}
	return p.tags(r, c.Hash, t[TrailerModule]+"/v"+t[TrailerVersion], releaseOf(c.Message), c.Committer, c.Message)
}

// Repair finishes what crashed workers left undone in stack: the tags of
// main's last publication, and the versions whose events are still
// leased to a dead worker (which would otherwise wait for the lease to
// end): every module of the stack whose latest version main does not
// hold yet is published up to it. Run calls it at start, before claiming
// anything.
func (p *Publisher) Repair(ctx context.Context, stack string) error {
	s, ok := p.cfg.Stack(stack)
	if !ok {
		return fmt.Errorf("no stack %q in stacks.repos", stack)
	}
	path := RepoPath(p.cfg.Dir, s.Name)
	lock, err := lockFile(ctx, path+".lock")
	if err != nil {
		return fmt.Errorf("repair stack %s: %w", s.Name, err)
	}
	defer lock.unlock()
	if err := p.repair(ctx, s, path); err != nil {
		return fmt.Errorf("repair stack %s: %w", s.Name, err)
	}
	return nil
}

func (p *Publisher) repair(ctx context.Context, s *Stack, path string) error {
	r, err := openRepo(path)
	if err != nil {
		return err
	}
	c, err := head(r)
	if err != nil {
		return err
	}
	if err := p.finishHead(r, c); err != nil {
		return err
	}
	lock, err := lockAt(c, p.cfg.PublicURL, s.Name)
	if err != nil {
		return err
	}
	page := registry.PageRequest{Size: 500}
	for {
		mods, err := p.store.ListModules(ctx, page)
		if err != nil {
			return fmt.Errorf("list modules: %w", err)
		}
		for _, m := range mods.Items {
			if !s.HasModule(m.Name) || m.LatestVersion == 0 {
				continue
			}
			if lm := lock.Module(m.Name); lm != nil && lm.Version >= m.LatestVersion {
				continue
			} else if lm == nil {
				// Publish a module new to main only if its latest
				// version has something for the stack.
				n, err := p.addModule(ctx, Tree{}, s, LockModule{Name: m.Name, Version: m.LatestVersion})
				if err != nil || n == 0 {
					continue
				}
			}
			if _, err := p.publish(ctx, s, path, registry.OutboxEvent{Type: registry.EventVersionAccepted, Module: m.Name, Version: m.LatestVersion}); err != nil {
				return err
			}
		}
		if mods.NextPageToken == "" {
			return nil
		}
		page.Token = mods.NextPageToken
	}
}

// tags writes a publication's tags: the module version's and r<release>.
func (p *Publisher) tags(r *git.Repository, commit plumbing.Hash, tagName string, release int64, sig object.Signature, msg string) error {
	if err := tag(r, tagName, commit, sig, msg); err != nil {
		return err
	}
	if release > 0 {
		return tag(r, fmt.Sprintf("r%d", release), commit, sig, msg)
	}
	return nil
}

// subjects returns the subjects of version v.
func (p *Publisher) subjects(ctx context.Context, v registry.Version) ([]LockSubject, error) {
	all, err := p.store.ListSubjects(ctx, v.Module)
	if err != nil {
		return nil, fmt.Errorf("list subjects: %w", err)
	}
	var out []LockSubject
	for _, s := range all {
		if s.FirstVersion <= v.Number && s.LastVersion >= v.Number {
			out = append(out, LockSubject{Name: s.Name, Kind: string(s.Kind), Version: s.FirstVersion})
		}
	}
	return out, nil
}

// tree builds the stack's tree for lock: every module's .proto files at
// its locked version whose package the stack takes, at their import
// paths under the stack's prefix, the extra files, the lock and the
// README. A module with no file in the stack is left out of the lock.
func (p *Publisher) tree(ctx context.Context, s *Stack, lock *Lock) (Tree, error) {
	t := Tree{}
	kept := lock.Modules[:0]
	for _, m := range lock.Modules {
		n, err := p.addModule(ctx, t, s, m)
		if err != nil {
			return nil, fmt.Errorf("module %s v%d: %w", m.Name, m.Version, err)
		}
		if n > 0 {
			kept = append(kept, m)
		}
	}
	lock.Modules = kept
	for path, content := range s.Files {
		if err := t.Add(path, []byte(content)); err != nil {
			return nil, fmt.Errorf("stacks.repos (%s) files: %w", s.Name, err)
		}
	}
	if err := t.Add(LockFile, lock.Marshal()); err != nil {
		return nil, err
	}
	if err := t.Add(ReadmeFile, Readme(s, p.cfg.PublicURL, lock)); err != nil {
		return nil, err
	}
	return t, nil
}

// addModule adds a module version's files to t and returns how many.
func (p *Publisher) addModule(ctx context.Context, t Tree, s *Stack, m LockModule) (int, error) {
	if s.Kind == KindDbt {
		return p.addDbt(ctx, t, s, m)
	}
	files, err := p.store.GetFiles(ctx, m.Name, m.Version)
	if err != nil {
		return 0, fmt.Errorf("read files: %w", err)
	}
	raw, err := p.store.GetDescriptorSet(ctx, m.Name, m.Version)
	if err != nil {
		return 0, fmt.Errorf("read descriptor set: %w", err)
	}
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &fds); err != nil {
		return 0, fmt.Errorf("decode descriptor set: %w", err)
	}
	n := 0
	for _, fd := range fds.GetFile() {
		if !s.HasPackage(fd.GetPackage()) {
			continue
		}
		// The stored file at the import path, under the module's root
		// (the shortest match); none for dependencies.
		var content []byte
		best := -1
		for _, f := range files {
			if (f.Path == fd.GetName() || strings.HasSuffix(f.Path, "/"+fd.GetName())) && (best < 0 || len(f.Path) < best) {
				content, best = f.Content, len(f.Path)
			}
		}
		if best < 0 {
			continue
		}
		p := fd.GetName()
		if s.Prefix != "" {
			p = s.Prefix + "/" + p
		}
		if err := t.Add(p, content); err != nil {
			return 0, err
		}
		n++
	}
	if n == 0 && !hasProtoSources(files) && hasInputInStack(&fds, s) {
		// A version pushed as an image without its sources: publish the
		// image, which buf generate and protoc (--descriptor_set_in)
		// take as input, rather than nothing.
		p := ImagePath(m.Name)
		if s.Prefix != "" {
			p = s.Prefix + "/" + p
		}
		if err := t.Add(p, raw); err != nil {
			return 0, err
		}
		n++
	}
	for _, f := range files {
		subject, ok := registry.FixtureSubject(f.Path)
		if !ok || !stackHoldsMessage(&fds, s, subject) {
			continue
		}
		p := FixturePath(m.Name, f.Path)
		if s.Prefix != "" {
			p = s.Prefix + "/" + p
		}
		if err := t.Add(p, f.Content); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// FixturePath is where a stack's tree holds a module's fixture, stored at
// fixture (testdata/<subject>/<name>): testdata/<module>/<subject>/<name>.
func FixturePath(module, fixture string) string {
	return registry.FixtureDir + "/" + module + "/" + strings.TrimPrefix(fixture, registry.FixtureDir+"/")
}

// stackHoldsMessage reports whether a file of fds in a package of stack s
// may declare the message named name (its package is a prefix of name).
func stackHoldsMessage(fds *descriptorpb.FileDescriptorSet, s *Stack, name string) bool {
	for _, fd := range fds.GetFile() {
		pkg := fd.GetPackage()
		if s.HasPackage(pkg) && (pkg == "" || strings.HasPrefix(name, pkg+".")) {
			return true
		}
	}
	return false
}

// ImagePath is where a stack's tree holds the image of a module version
// pushed without its .proto sources: images/<module>.binpb.
func ImagePath(module string) string { return "images/" + module + ".binpb" }

// hasProtoSources reports whether a version's stored files hold .proto
// sources.
func hasProtoSources(files []registry.File) bool {
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".proto") {
			return true
		}
	}
	return false
}

// hasInputInStack reports whether an image has a file of a package the
// stack takes, other than the well-known types.
func hasInputInStack(fds *descriptorpb.FileDescriptorSet, s *Stack) bool {
	for _, fd := range fds.GetFile() {
		if !strings.HasPrefix(fd.GetName(), "google/protobuf/") && s.HasPackage(fd.GetPackage()) {
			return true
		}
	}
	return false
}

// repackEvery returns the publications between repacks, 0 for never.
func (p *Publisher) repackEvery() int {
	switch n := p.cfg.RepackEvery; {
	case n == 0:
		return DefaultRepackEvery
	case n < 0:
		return 0
	default:
		return n
	}
}

// repack packs a stack's loose objects and refs with git (the caller
// holds the repository's lock). git repack is safe with concurrent
// readers; a failure is logged, and the next repack tries again.
func (p *Publisher) repack(ctx context.Context, stack string) {
	path := RepoPath(p.cfg.Dir, stack)
	for _, args := range [][]string{{"repack", "-d", "-l", "-q"}, {"pack-refs", "--all"}} {
		cmd := exec.CommandContext(ctx, "git", append([]string{"--git-dir", path}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent"}
		if out, err := cmd.CombinedOutput(); err != nil {
			p.logger.Error("repack failed", "stack", stack, "command", "git "+strings.Join(args, " "), "error", err, "output", registry.Truncate(string(out), 1000))
			return
		}
	}
}

// hostOf returns the host of a URL, for the committer's e-mail.
func hostOf(u string) string {
	if pu, err := url.Parse(u); err == nil && pu.Hostname() != "" {
		return pu.Hostname()
	}
	return "localhost"
}

// jitter returns the wait after failed attempt: exponential from
// retryBase to retryMax, with full jitter.
func jitter(attempt int) time.Duration { return retry.Backoff(attempt-1, retryBase, retryMax) }
