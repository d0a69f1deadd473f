package submodule_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/protocompile"
	"github.com/pbregistry/pbregistry/submodule"
)

// commits returns main's commit subjects in the stack's repository,
// newest first.
func (e *env) commits() []string {
	e.t.Helper()
	out := e.git(e.t.TempDir(), "--git-dir", submodule.RepoPath(e.cfg.Dir, "go"), "log", "--format=%s", "main")
	return strings.Split(strings.TrimSpace(out), "\n")
}

func (e *env) tags() string {
	e.t.Helper()
	return strings.Join(lines(e.git(e.t.TempDir(), "--git-dir", submodule.RepoPath(e.cfg.Dir, "go"), "tag", "-l")), " ")
}

func accepted(module string, n int64) registry.OutboxEvent {
	return registry.OutboxEvent{Type: registry.EventVersionAccepted, Module: module, Version: n}
}

// TestPublishIdempotent publishes the same events again, as after a crash
// between the commit and the acknowledgement, and after a crash between
// moving main and writing the tags: one commit per version, every tag.
func TestPublishIdempotent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	e.push()
	e.push()
	for _, n := range []int64{1, 1, 2, 2} {
		if _, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", n)); err != nil {
			t.Fatal(err)
		}
	}
	want := "acme/commerce v2|acme/commerce v1"
	if got := strings.Join(e.commits(), "|"); got != want {
		t.Fatalf("commits = %q, want %q", got, want)
	}

	// A crash after main moved, before the tags.
	repo := submodule.RepoPath(e.cfg.Dir, "go")
	e.git(t.TempDir(), "--git-dir", repo, "tag", "-d", "acme/commerce/v2", "r2")
	res, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", 2))
	if err != nil || !res.Already {
		t.Fatalf("republish after lost tags = %+v, %v; want Already", res, err)
	}
	if got := e.tags(); got != "acme/commerce/v1 acme/commerce/v2 r1 r2" {
		t.Errorf("tags = %q", got)
	}
	head := strings.TrimSpace(e.git(t.TempDir(), "--git-dir", repo, "rev-parse", "main"))
	if tagged := strings.TrimSpace(e.git(t.TempDir(), "--git-dir", repo, "rev-parse", "r2^{commit}")); tagged != head {
		t.Errorf("r2 restored on %s, want main %s", tagged, head)
	}

	// The outbox still holds both events, unacknowledged: the consumer
	// acknowledges them without publishing again.
	e.publish(2)
	e.publish(0)
	if got := strings.Join(e.commits(), "|"); got != want {
		t.Errorf("after the outbox ran: commits = %q, want %q", got, want)
	}
}

// TestPublishOutOfOrder hands the publisher a later version first, as
// several workers may: every version still gets its own commit, in order.
func TestPublishOutOfOrder(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	for range 3 {
		e.push()
	}
	for _, n := range []int64{3, 1, 2} {
		if _, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(e.commits(), "|"); got != "acme/commerce v3|acme/commerce v2|acme/commerce v1" {
		t.Errorf("commits = %q", got)
	}
	if got := e.tags(); got != "acme/commerce/v1 acme/commerce/v2 acme/commerce/v3 r1 r2 r3" {
		t.Errorf("tags = %q", got)
	}
}

// TestTwoRegistrydOnePostgres runs two publishers, each with its own
// connection pool as two registryd would have, on one PostgreSQL and one
// repository directory, concurrently: each version is published once.
func TestTwoRegistrydOnePostgres(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	stores := make([]registry.Store, 2)
	for i := range stores {
		s, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	e := newEnv(t, true)
	e.store, e.svc = stores[0], registry.NewService(stores[0], registry.ServiceOptions{Compiler: protocompile.Compiler{}, Policies: cel.NewEngine(nil, policies.Limits{})})
	const versions = 8
	pubs := make([]*submodule.Publisher, 2)
	for i := range pubs {
		p, err := submodule.NewPublisher(ctx, stores[i], e.cfg, submodule.PublisherOptions{Worker: fmt.Sprintf("registryd-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		pubs[i] = p
	}
	for range versions {
		e.push()
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = p.PublishPending(ctx, "go")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publisher %d: %v", i, err)
		}
	}
	if counts[0]+counts[1] != versions {
		t.Errorf("the publishers handled %d + %d events, want %d in all", counts[0], counts[1], versions)
	}
	got := e.commits()
	if len(got) != versions {
		t.Fatalf("%d commits, want %d: %q", len(got), versions, got)
	}
	for i, s := range got {
		if want := fmt.Sprintf("acme/commerce v%d", versions-i); s != want {
			t.Errorf("commit %d = %q, want %q", i, s, want)
		}
	}
}

// freshSchema creates a PostgreSQL schema of its own for t, dropped at
// cleanup, and returns the database URL with search_path set to it. It
// skips t without PBREGISTRY_TEST_DATABASE_URL, and fails it under CI.
func freshSchema(t *testing.T) string {
	t.Helper()
	const urlEnv = "PBREGISTRY_TEST_DATABASE_URL"
	base := os.Getenv(urlEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", urlEnv)
		}
		t.Skipf("%s is not set: skipping PostgreSQL tests", urlEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "pbregistry_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	exec := func(sql string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", urlEnv, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s must be a postgres:// URL: %v", urlEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestPublishLayout publishes a stack with an import-root prefix and a
// package filter: only the packages taken, under the prefix; a module
// with nothing in the stack makes no commit.
func TestPublishLayout(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	e.push()
	_, _, _, err := e.svc.Push(ctx, registry.PushRequest{Principal: "ci", Files: []registry.File{
		{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: acme/other\n")},
		{Path: "acme/other/v1/other.proto", Content: []byte("syntax = \"proto3\";\npackage acme.other.v1;\nmessage Other { string id = 1; }\n")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg
	cfg.Repos = []submodule.Stack{{Name: "py", Packages: []string{"acme.billing.**"}, Prefix: "proto"}}
	p, err := submodule.NewPublisher(ctx, e.store, cfg, submodule.PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.PublishPending(ctx, "py"); err != nil || n != 2 {
		t.Fatalf("PublishPending = %d, %v; want 2", n, err)
	}
	repo := submodule.RepoPath(cfg.Dir, "py")
	files := strings.Join(lines(e.git(t.TempDir(), "--git-dir", repo, "ls-tree", "-r", "--name-only", "main")), " ")
	if want := "README.md pbregistry.lock proto/acme/billing/v1/invoice.proto"; files != want {
		t.Errorf("files = %q, want %q", files, want)
	}
	if got := e.git(t.TempDir(), "--git-dir", repo, "rev-list", "--count", "main"); strings.TrimSpace(got) != "1" {
		t.Errorf("%s commits, want 1: acme/other has nothing in the stack", got)
	}
	res, err := p.Publish(ctx, "py", accepted("acme/other", 1))
	if err != nil || res.Skipped != "tree unchanged" {
		t.Errorf("acme/other v1 = %+v, %v; want skipped, tree unchanged", res, err)
	}
}

// TestRepairLostTags: a crash between moving main and writing the tags
// loses main's tags only; the next publication, or Repair at start,
// writes them.
func TestRepairLostTags(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	for range 3 {
		e.push()
	}
	repo := submodule.RepoPath(e.cfg.Dir, "go")
	for _, n := range []int64{1, 2} {
		if _, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", n)); err != nil {
			t.Fatal(err)
		}
	}
	e.git(t.TempDir(), "--git-dir", repo, "tag", "-d", "acme/commerce/v2", "r2")
	if _, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", 3)); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(); got != "acme/commerce/v1 acme/commerce/v2 acme/commerce/v3 r1 r2 r3" {
		t.Errorf("after the next publication: tags = %q", got)
	}
	e.git(t.TempDir(), "--git-dir", repo, "tag", "-d", "acme/commerce/v3", "r3")
	if err := e.pub.Repair(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	if got := e.tags(); got != "acme/commerce/v1 acme/commerce/v2 acme/commerce/v3 r1 r2 r3" {
		t.Errorf("after Repair: tags = %q", got)
	}
	if got := len(e.commits()); got != 3 {
		t.Errorf("%d commits, want 3", got)
	}
}

// TestRepack: every repack_every publications, the repository's loose
// objects and refs are packed.
func TestRepack(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	cfg := e.cfg
	cfg.RepackEvery = 3
	p, err := submodule.NewPublisher(ctx, e.store, cfg, submodule.PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	repo := submodule.RepoPath(cfg.Dir, "go")
	loose := func() string {
		for _, l := range strings.Split(e.git(t.TempDir(), "--git-dir", repo, "count-objects", "-v"), "\n") {
			if v, ok := strings.CutPrefix(l, "count: "); ok {
				return v
			}
		}
		return "?"
	}
	for i := 1; i <= 3; i++ {
		e.push()
		if _, err := p.PublishPending(ctx, "go"); err != nil {
			t.Fatal(err)
		}
		if got := loose(); (i < 3) == (got == "0") {
			t.Errorf("after publication %d: %s loose objects", i, got)
		}
	}
	if _, err := os.Stat(repo + "/packed-refs"); err != nil {
		t.Errorf("refs not packed: %v", err)
	}
	if got := e.tags(); got != "acme/commerce/v1 acme/commerce/v2 acme/commerce/v3 r1 r2 r3" {
		t.Errorf("tags after repack = %q", got)
	}
	e.push()
	if _, err := p.PublishPending(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	if got := len(e.commits()); got != 4 {
		t.Errorf("%d commits after publishing on a repacked repository, want 4", got)
	}
}

// TestEmptyMainRepaired: a registryd killed while go-git rewrote main in
// place left it empty, which reads as an unborn branch. The next
// publication points main back at the latest release and continues it:
// no second root commit, no history lost. Temporary ref files a crash
// left are removed.
func TestEmptyMainRepaired(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	e.push()
	e.push()
	e.publish(2)
	repo := submodule.RepoPath(e.cfg.Dir, "go")
	if err := os.Truncate(filepath.Join(repo, "refs", "heads", "main"), 0); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(repo, "pbregistry-ref-123.tmp")
	if err := os.WriteFile(stale, []byte("0123"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.push()
	if _, err := e.pub.PublishPending(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(e.commits(), "|"), "acme/commerce v3|acme/commerce v2|acme/commerce v1"; got != want {
		t.Errorf("commits = %q, want %q", got, want)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary ref file is still there (%v)", err)
	}
	e.git(t.TempDir(), "--git-dir", repo, "fsck", "--no-progress", "--no-dangling")
}
