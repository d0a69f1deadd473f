package submodule_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/protocompile"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
	"github.com/pbregistry/pbregistry/submodule"
)

const moduleConfig = `version: v1
module: acme/commerce
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
`

// invoice returns version n of the module's proto: n-1 fields after id.
func invoice(n int) string {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {\n  string id = 1;\n")
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, "  int64 amount_%d = %d;\n", i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

// env is a registry with one stack, "go", served over real HTTP.
type env struct {
	t         testing.TB
	store     registry.Store
	svc       *registry.Service
	pub       *submodule.Publisher
	cfg       submodule.Config
	url       string // the server's URL
	token     string // a read token
	home      string // HOME of the git commands
	pushed    int
	authn     *auth.Authenticator
	serverURL *url.URL
}

func newEnv(t testing.TB, anonymousRead bool) *env {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("these tests drive the git CLI: install git (%v)", err)
	}
	ctx := context.Background()
	store, err := sqlite.Dir(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	token, entry, err := auth.CreateToken("product-ci", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(&auth.TokensFile{Entries: []auth.Entry{entry}}, auth.Options{AnonymousRead: anonymousRead})
	e := &env{t: t, store: store, svc: registry.NewService(store, registry.ServiceOptions{Compiler: protocompile.Compiler{}, Policies: cel.NewEngine(nil, policies.Limits{})}), token: token, home: t.TempDir(), authn: authn}
	e.cfg = submodule.Config{Dir: t.TempDir(), Repos: []submodule.Stack{{Name: "go", Modules: []string{"acme/**"}, Files: map[string]string{"buf.gen.yaml": "version: v2\n"}}}}
	h, err := submodule.NewHandler(submodule.HandlerOptions{Dir: e.cfg.Dir, Stacks: []string{"go"}, Auth: authn})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Store: store, Auth: authn, Git: h}).Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.serverURL, _ = url.Parse(srv.URL)
	e.cfg.PublicURL = srv.URL
	if e.pub, err = submodule.NewPublisher(ctx, store, e.cfg, submodule.PublisherOptions{Worker: "test"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// push pushes the next version of acme/commerce.
func (e *env) push() {
	e.t.Helper()
	e.pushed++
	_, created, verdict, err := e.svc.Push(context.Background(), registry.PushRequest{
		Files: []registry.File{
			{Path: "pbregistry.yaml", Content: []byte(moduleConfig)},
			{Path: "acme/billing/v1/invoice.proto", Content: []byte(invoice(e.pushed))},
		},
		Principal: "ci@acme",
		Build:     registry.BuildInfo{Commit: fmt.Sprintf("c0ffee%d", e.pushed), Branch: "main"},
	})
	if err != nil || !created || !verdict.Accepted() {
		e.t.Fatalf("push v%d: created %v, err %v, verdict %+v", e.pushed, created, err, verdict)
	}
}

// publish publishes the pending events and checks how many there were.
func (e *env) publish(want int) {
	e.t.Helper()
	n, err := e.pub.PublishPending(context.Background(), "go")
	if err != nil || n != want {
		e.t.Fatalf("PublishPending = %d, %v; want %d events", n, err, want)
	}
}

// repoURL is the stack's clone URL, with the token as the password
// when withToken.
func (e *env) repoURL(withToken bool) string {
	u := *e.serverURL
	if withToken {
		u.User = url.UserPassword("x", e.token)
	}
	return u.String() + "/git/go.git"
}

// git runs git in dir and returns its stdout.
func (e *env) git(dir string, args ...string) string {
	e.t.Helper()
	out, err := e.gitErr(dir, args...)
	if err != nil {
		e.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *env) gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+e.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=",
		"GIT_AUTHOR_NAME=dev", "GIT_AUTHOR_EMAIL=dev@acme", "GIT_COMMITTER_NAME=dev", "GIT_COMMITTER_EMAIL=dev@acme")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		return out.String() + stderr.String(), err
	}
	return out.String(), nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lines(s string) []string { return strings.Fields(strings.TrimSpace(s)) }

// TestGitCLI drives the stock git CLI against registryd's /git/ over real
// HTTP: clones with protocol v0 and v2, a shallow clone, an incremental
// fetch, tags, and a product repository's submodule moving forward.
func TestGitCLI(t *testing.T) {
	e := newEnv(t, false)
	e.push()
	e.push()
	e.publish(2)
	work := t.TempDir()

	for _, proto := range []string{"0", "2"} {
		t.Run("clone protocol v"+proto, func(t *testing.T) {
			dir := filepath.Join(work, "clone-v"+proto)
			e.git(work, "-c", "protocol.version="+proto, "clone", e.repoURL(true), dir)
			if got := readFile(t, filepath.Join(dir, "acme/billing/v1/invoice.proto")); got != invoice(2) {
				t.Errorf("invoice.proto = %q, want version 2's", got)
			}
			lock := readFile(t, filepath.Join(dir, submodule.LockFile))
			if !strings.Contains(lock, "name: acme/commerce\n    version: 2\n") || !strings.Contains(lock, "kind: pbtable") {
				t.Errorf("%s does not hold acme/commerce v2 and its pbtable:\n%s", submodule.LockFile, lock)
			}
			if got := readFile(t, filepath.Join(dir, "buf.gen.yaml")); got != "version: v2\n" {
				t.Errorf("buf.gen.yaml = %q", got)
			}
			readme := readFile(t, filepath.Join(dir, submodule.ReadmeFile))
			if !strings.Contains(readme, "git submodule add -b main "+e.url+"/git/go.git protos") {
				t.Errorf("README has no submodule command for %s:\n%s", e.url, readme)
			}
			if got := lines(e.git(dir, "log", "--format=%s")); strings.Join(got, " ") != "acme/commerce v2 acme/commerce v1" {
				t.Errorf("log = %q", got)
			}
			msg := e.git(dir, "log", "-1", "--format=%B")
			for _, want := range []string{"Pbregistry-Module: acme/commerce", "Pbregistry-Version: 2", "Pbregistry-Release: 2", "Pbregistry-Source-Commit: c0ffee2", "Pushed by ci@acme"} {
				if !strings.Contains(msg, want) {
					t.Errorf("commit message lacks %q:\n%s", want, msg)
				}
			}
			if got := strings.Join(lines(e.git(dir, "tag", "-l")), " "); got != "acme/commerce/v1 acme/commerce/v2 r1 r2" {
				t.Errorf("tags = %q", got)
			}
			if typ := strings.TrimSpace(e.git(dir, "cat-file", "-t", "acme/commerce/v2")); typ != "tag" {
				t.Errorf("acme/commerce/v2 is a %s, want an annotated tag", typ)
			}
		})
	}

	t.Run("shallow clone", func(t *testing.T) {
		dir := filepath.Join(work, "shallow")
		e.git(work, "clone", "--depth", "1", e.repoURL(true), dir)
		if n := strings.TrimSpace(e.git(dir, "rev-list", "--count", "HEAD")); n != "1" {
			t.Errorf("a --depth 1 clone has %s commits", n)
		}
		if strings.TrimSpace(e.git(dir, "rev-parse", "--is-shallow-repository")) != "true" {
			t.Error("the clone is not shallow")
		}
	})

	// A product repository vendors the stack before the next push.
	product := filepath.Join(work, "product")
	e.git(work, "init", "-q", "-b", "main", product)
	e.git(product, "commit", "-q", "--allow-empty", "-m", "start")
	e.git(product, "submodule", "add", "-b", "main", e.repoURL(true), "protos")
	e.git(product, "commit", "-q", "-m", "vendor protos")

	e.push()
	e.publish(1)

	t.Run("incremental fetch", func(t *testing.T) {
		dir := filepath.Join(work, "clone-v2")
		old := strings.TrimSpace(e.git(dir, "rev-parse", "origin/main"))
		// Unpack whatever arrives as loose objects, to count them.
		e.git(dir, "-c", "fetch.unpackLimit=1000000", "fetch", "--tags", "origin")
		counts := e.git(dir, "count-objects", "-v")
		got := -1
		for _, l := range strings.Split(counts, "\n") {
			if v, ok := strings.CutPrefix(l, "count: "); ok {
				got, _ = strconv.Atoi(v)
			}
		}
		// The new commit, its root tree, the trees and blobs that
		// changed, and two tags.
		want := 2 + len(strings.Split(strings.TrimSpace(e.git(dir, "diff-tree", "-r", "-t", old, "origin/main")), "\n")) + 2
		all := len(lines(e.git(dir, "rev-list", "--objects", "--all")))
		if got != want {
			t.Errorf("fetch brought %d objects, want the %d new ones (the repository has %d)", got, want, all)
		}
		if got >= all/2 {
			t.Errorf("fetch brought %d of %d objects: not incremental", got, all)
		}
		if got := readFile(t, filepath.Join(dir, "acme/billing/v1/invoice.proto")); got != invoice(2) {
			t.Errorf("fetch changed the work tree")
		}
		if tags := e.git(dir, "tag", "-l", "r3", "acme/commerce/v3"); len(lines(tags)) != 2 {
			t.Errorf("tags after fetch: %q, want r3 and acme/commerce/v3", tags)
		}
	})

	t.Run("submodule update --remote", func(t *testing.T) {
		e.git(product, "submodule", "update", "--remote", "protos")
		if got := readFile(t, filepath.Join(product, "protos/acme/billing/v1/invoice.proto")); got != invoice(3) {
			t.Errorf("after update --remote, invoice.proto = %q, want version 3's", got)
		}
		if st := e.git(product, "status", "--porcelain"); !strings.Contains(st, "protos") {
			t.Errorf("the submodule did not move: status %q", st)
		}
	})

	t.Run("clone --recurse-submodules of the product", func(t *testing.T) {
		e.git(product, "commit", "-q", "-am", "protos: latest")
		dir := filepath.Join(work, "product-clone")
		e.git(work, "-c", "protocol.file.allow=always", "clone", "--recurse-submodules", "--shallow-submodules", product, dir)
		if got := readFile(t, filepath.Join(dir, "protos/acme/billing/v1/invoice.proto")); got != invoice(3) {
			t.Errorf("recursive clone: invoice.proto = %q, want version 3's", got)
		}
	})

	t.Run("auth", func(t *testing.T) {
		if out, err := e.gitErr(work, "ls-remote", e.repoURL(false)); err == nil {
			t.Errorf("ls-remote without a token succeeded:\n%s", out)
		}
		bad := strings.Replace(e.repoURL(true), e.token, "pbr_wrong", 1)
		if out, err := e.gitErr(work, "ls-remote", bad); err == nil {
			t.Errorf("ls-remote with a wrong token succeeded:\n%s", out)
		}
		if out := e.git(work, "-c", "http.extraHeader=Authorization: Bearer "+e.token, "ls-remote", e.repoURL(false)); !strings.Contains(out, "refs/heads/main") {
			t.Errorf("ls-remote with a Bearer token: %q", out)
		}
	})

	t.Run("push refused", func(t *testing.T) {
		dir := filepath.Join(work, "clone-v0")
		e.git(dir, "commit", "-q", "--allow-empty", "-m", "sneaky")
		if out, err := e.gitErr(dir, "push", "origin", "HEAD:main"); err == nil {
			t.Errorf("push succeeded:\n%s", out)
		}
	})

	t.Run("unreachable object refused", func(t *testing.T) {
		repo := submodule.RepoPath(e.cfg.Dir, "go")
		cmd := exec.Command("git", "--git-dir", repo, "hash-object", "-w", "--stdin")
		cmd.Stdin = strings.NewReader("not published\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		blob := strings.TrimSpace(string(out))
		main := strings.TrimSpace(e.git(work, "--git-dir", repo, "rev-parse", "main"))
		tree := strings.TrimSpace(e.git(work, "--git-dir", repo, "rev-parse", "main^{tree}"))
		commit := strings.TrimSpace(e.git(work, "--git-dir", repo, "commit-tree", "-m", "unpublished", tree))
		for _, tt := range []struct {
			want     string
			wantPack bool
		}{{main, true}, {blob, false}, {tree, false}, {commit, false}} {
			body := pkt("want "+tt.want+" multi_ack_detailed side-band-64k ofs-delta\n") + "0000" + pkt("done\n")
			req, _ := http.NewRequest("POST", e.url+"/git/go.git/git-upload-pack", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
			req.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if hasPack := bytes.Contains(got, []byte("PACK")); hasPack != tt.wantPack {
				t.Errorf("want %s: pack sent = %v, want %v; response %.200q", tt.want, hasPack, tt.wantPack, got)
			}
			if !tt.wantPack && !bytes.Contains(got, []byte("not our ref")) {
				t.Errorf("want of an unreachable object: %.200q, want upload-pack's \"not our ref\"", got)
			}
		}
	})
}

func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// TestGitAnonymousRead clones without a token when anonymous_read is on.
func TestGitAnonymousRead(t *testing.T) {
	e := newEnv(t, true)
	e.push()
	e.publish(1)
	if out := e.git(t.TempDir(), "ls-remote", e.repoURL(false)); !strings.Contains(out, "refs/tags/r1") {
		t.Errorf("anonymous ls-remote: %q", out)
	}
	resp, err := http.Get(e.url + "/git/python.git/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown stack: %s, want 404", resp.Status)
	}
}
