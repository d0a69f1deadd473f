package submodule_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/submodule"
)

const mirrorPassword = "ghp_s3cret-mirror-token"

// gitBackend serves the bare repositories under root with git
// http-backend (git's own CGI), pushes included, behind HTTP Basic auth
// (user x-access-token, mirrorPassword). pushed receives after each
// git-receive-pack request was served.
func gitBackend(t *testing.T, root string) (url string, pushed <-chan struct{}) {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: git, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + t.TempDir()},
	}
	ch := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "x-access-token" || p != mirrorPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="mirror"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			ch <- struct{}{}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

// bareMirror creates an empty bare repository that accepts pushes over
// http-backend.
func (e *env) bareMirror(root, name string) string {
	e.t.Helper()
	dir := filepath.Join(root, name)
	e.git(root, "init", "-q", "--bare", "-b", "main", dir)
	e.git(dir, "config", "http.receivepack", "true")
	return dir
}

// withMirrors returns a Publisher of the env's stack pushing to mirrors,
// logging into log.
func (e *env) withMirrors(log io.Writer, ms ...submodule.Mirror) (*submodule.Publisher, error) {
	cfg := e.cfg
	cfg.Repos = append([]submodule.Stack(nil), e.cfg.Repos...)
	cfg.Repos[0].Mirrors = ms
	return submodule.NewPublisher(context.Background(), e.store, cfg, submodule.PublisherOptions{
		Worker: "test", Logger: slog.New(slog.NewTextHandler(log, nil)),
		Getenv: func(k string) string {
			if k == "MIRROR_TOKEN" {
				return mirrorPassword
			}
			return ""
		},
	})
}

// refs returns a bare repository's main and tags, as "name hash" lines.
func (e *env) refs(dir string) string {
	e.t.Helper()
	return e.git(dir, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/main", "refs/tags")
}

// TestMirror pushes every publication to a mirror served by git
// http-backend (password from the environment or a file) or at a file
// URL: the mirror holds the stack's main and tags, complete.
func TestMirror(t *testing.T) {
	root := t.TempDir()
	srvURL, _ := gitBackend(t, root)
	pwFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(pwFile, []byte(mirrorPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mirror func(dir string) submodule.Mirror
	}{
		{"http-backend, password_env", func(dir string) submodule.Mirror {
			return submodule.Mirror{URL: srvURL + "/" + filepath.Base(dir), Username: "x-access-token", PasswordEnv: "MIRROR_TOKEN"}
		}},
		{"http-backend, password_file", func(dir string) submodule.Mirror {
			return submodule.Mirror{URL: srvURL + "/" + filepath.Base(dir), Username: "x-access-token", PasswordFile: pwFile}
		}},
		{"file URL", func(dir string) submodule.Mirror { return submodule.Mirror{URL: "file://" + dir} }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, true)
			dir := e.bareMirror(root, string(rune('a'+i))+".git")
			var log bytes.Buffer
			pub, err := e.withMirrors(&log, tt.mirror(dir))
			if err != nil {
				t.Fatal(err)
			}
			local := submodule.RepoPath(e.cfg.Dir, "go")
			for round, versions := range []int{2, 1} {
				for range versions {
					e.push()
				}
				if n, err := pub.PublishPending(ctx, "go"); err != nil || n != versions {
					t.Fatalf("PublishPending = %d, %v", n, err)
				}
				if err := pub.SyncMirrors(ctx, "go"); err != nil {
					t.Fatalf("round %d: SyncMirrors: %v", round, err)
				}
				if got, want := e.refs(dir), e.refs(local); got != want || want == "" {
					t.Fatalf("round %d: mirror refs\n%s\nwant\n%s", round, got, want)
				}
				e.git(dir, "fsck", "--no-progress")
			}
			st := pub.Mirrors("go")
			main := strings.TrimSpace(e.git(local, "rev-parse", "main"))
			if len(st) != 1 || st[0].Commit != main || st[0].Error != "" || st[0].Synced.IsZero() {
				t.Errorf("Mirrors = %+v, want synced at %s", st, main)
			}
			if strings.Contains(log.String(), mirrorPassword) {
				t.Errorf("the log shows the password:\n%s", log.String())
			}
		})
	}
}

// TestMirrorRefused: a wrong password is refused by the mirror and
// reported without the password; a password_env that is unset stops the
// publisher from starting.
func TestMirrorRefused(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	srvURL, _ := gitBackend(t, root)
	e := newEnv(t, true)
	dir := e.bareMirror(root, "m.git")
	pwFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(pwFile, []byte("wrong-"+mirrorPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	pub, err := e.withMirrors(&log, submodule.Mirror{URL: srvURL + "/m.git", Username: "x-access-token", PasswordFile: pwFile})
	if err != nil {
		t.Fatal(err)
	}
	e.push()
	e.publish(1) // the env's own publisher: the repository has main
	err = pub.SyncMirrors(ctx, "go")
	if err == nil || strings.Contains(err.Error(), mirrorPassword) {
		t.Fatalf("SyncMirrors = %v, want a refusal without the password", err)
	}
	if got := e.refs(dir); got != "" {
		t.Errorf("the mirror was written: %s", got)
	}
	if strings.Contains(log.String(), mirrorPassword) {
		t.Errorf("the log shows the password:\n%s", log.String())
	}
	_, err = e.withMirrors(&log, submodule.Mirror{URL: srvURL + "/m.git", PasswordEnv: "UNSET_TOKEN"})
	if err == nil || !strings.Contains(err.Error(), "password_env UNSET_TOKEN") {
		t.Errorf("NewPublisher with an unset password_env = %v", err)
	}
}

// TestMirrorDiverged: someone committed on the mirror's main. The next
// publication is not pushed, never forced: the divergence is reported
// (error, log, status) and the mirror keeps its commit.
func TestMirrorDiverged(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	dir := e.bareMirror(t.TempDir(), "m.git")
	var log bytes.Buffer
	pub, err := e.withMirrors(&log, submodule.Mirror{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	e.push()
	if _, err := pub.PublishPending(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	if err := pub.SyncMirrors(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "w")
	e.git(t.TempDir(), "clone", "-q", dir, work)
	if err := os.WriteFile(filepath.Join(work, "hand.txt"), []byte("edited by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.git(work, "add", "hand.txt")
	e.git(work, "commit", "-q", "-m", "by hand")
	e.git(work, "push", "-q", "origin", "main")
	foreign := strings.TrimSpace(e.git(work, "rev-parse", "HEAD"))

	e.push()
	if _, err := pub.PublishPending(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	err = pub.SyncMirrors(ctx, "go")
	var div *submodule.DivergedError
	if !errors.As(err, &div) || len(div.Refs) != 1 || div.Refs[0] != "refs/heads/main" {
		t.Fatalf("SyncMirrors = %v, want main diverged", err)
	}
	if got := strings.TrimSpace(e.git(dir, "rev-parse", "main")); got != foreign {
		t.Errorf("mirror main = %s, want the hand-made %s kept", got, foreign)
	}
	if tags := e.git(dir, "tag", "-l", "acme/commerce/v2"); tags != "" {
		t.Errorf("v2's tag was pushed to a diverged mirror")
	}
	if st := pub.Mirrors("go"); len(st) != 1 || !strings.Contains(st[0].Error, "diverged") {
		t.Errorf("Mirrors = %+v, want the divergence", st)
	}
	if !strings.Contains(log.String(), "stack mirror diverged") {
		t.Errorf("no divergence logged:\n%s", log.String())
	}
}

// TestMirrorRun: a running publisher pushes each publication to the
// mirror on its own.
func TestMirrorRun(t *testing.T) {
	root := t.TempDir()
	srvURL, pushed := gitBackend(t, root)
	e := newEnv(t, true)
	e.cfg.PollInterval = submodule.Duration(10 * time.Millisecond)
	dir := e.bareMirror(root, "m.git")
	pub, err := e.withMirrors(&lockedBuffer{}, submodule.Mirror{URL: srvURL + "/m.git", Username: "x-access-token", PasswordEnv: "MIRROR_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		pub.Run(ctx)
		close(done)
	}()
	defer func() { cancel(); <-done }()
	local := submodule.RepoPath(e.cfg.Dir, "go")
	for v := 1; v <= 2; v++ {
		e.push()
		tag := "acme/commerce/v" + string(rune('0'+v))
		for !strings.Contains(e.git(dir, "tag", "-l"), tag) {
			<-pushed
		}
		if got, want := e.refs(dir), e.refs(local); got != want {
			t.Fatalf("after v%d: mirror refs\n%s\nwant\n%s", v, got, want)
		}
	}
}

// lockedBuffer is a log written by several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
