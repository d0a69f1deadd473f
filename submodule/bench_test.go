package submodule_test

import (
	"context"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkPublish measures one publication: a module version's files
// read from the store (SQLite), the tree written, main moved and two
// tags, on a repository growing by one commit per iteration.
func BenchmarkPublish(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.push()
		b.StartTimer()
		if _, err := e.pub.Publish(ctx, "go", accepted("acme/commerce", int64(e.pushed))); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStack returns an env whose stack "go" holds benchVersions
// publications (PBREGISTRY_BENCH_VERSIONS, default 200), and the URLs of
// that repository at registryd's /git/ handler and, as the peer, at git
// http-backend (CGI) serving the same directory in the same run.
func benchStack(b *testing.B) (e *env, urls []struct{ name, url string }) {
	ctx := context.Background()
	e = newEnv(b, true)
	versions := 200
	if v, err := strconv.Atoi(os.Getenv("PBREGISTRY_BENCH_VERSIONS")); err == nil && v > 0 {
		versions = v
	}
	for range versions {
		e.push()
	}
	if _, err := e.pub.PublishPending(ctx, "go"); err != nil {
		b.Fatal(err)
	}
	backend, err := exec.LookPath("git")
	if err != nil {
		b.Fatal(err)
	}
	peer := httptest.NewServer(&cgi.Handler{
		Path: backend, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + e.cfg.Dir, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1"},
	})
	b.Cleanup(peer.Close)
	return e, []struct{ name, url string }{
		{"registryd", e.url + "/git/go.git"},
		{"http-backend", peer.URL + "/go.git"},
	}
}

// BenchmarkClone clones the stack repository of benchStack with the git
// CLI, full and --depth 1, from registryd and from git http-backend;
// report the ratio.
func BenchmarkClone(b *testing.B) {
	e, urls := benchStack(b)
	for _, tt := range urls {
		for _, depth := range []string{"full", "depth1"} {
			b.Run(tt.name+"/"+depth, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					dir := filepath.Join(b.TempDir(), "c")
					args := []string{"clone", "-q", "--bare", tt.url, dir}
					if depth == "depth1" {
						args = append(args, "--depth", "1")
					}
					e.git(b.TempDir(), args...)
				}
			})
		}
	}
}

// BenchmarkFetch fetches one new publication into a mirror clone of the
// stack repository of benchStack — an incremental fetch, haves
// negotiated — from registryd and from git http-backend; report the ratio.
// Each iteration first publishes a version (not timed).
func BenchmarkFetch(b *testing.B) {
	ctx := context.Background()
	e, urls := benchStack(b)
	for _, tt := range urls {
		b.Run(tt.name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "c")
			e.git(b.TempDir(), "clone", "-q", "--mirror", tt.url, dir)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e.push()
				if _, err := e.pub.PublishPending(ctx, "go"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				e.git(dir, "fetch", "-q")
			}
		})
	}
}
