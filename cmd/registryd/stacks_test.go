package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

const stacksConfig = `stacks:
  poll_interval: 20ms
  repos:
    - name: go
      modules: ["acme/**"]
`

// gitCmd runs the git CLI in dir and returns its output.
func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// awaitPublished waits for registryd's log line saying it published
// version n of acme/commerce.
func awaitPublished(t *testing.T, p *proc, n int) {
	t.Helper()
	if _, err := p.await(fmt.Sprintf("publish v%d", n), func(l string) bool {
		return strings.Contains(l, `"msg":"published"`) && strings.Contains(l, fmt.Sprintf(`"version":%d,`, n))
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStacksServed: registryd with a stacks: section publishes every
// accepted push and serves the stack's repository to git clone and pull.
func TestStacksServed(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	p := startRegistryd(t, nil, "--data-dir", data, "--config", writeConfig(t, stacksConfig))
	c := p.client("")
	if _, err := c.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", "")})); err != nil {
		t.Fatal(err)
	}
	awaitPublished(t, p, 1)
	work := t.TempDir()
	gitCmd(t, work, "clone", p.url+"/git/go.git", "protos")
	dir := filepath.Join(work, "protos")
	if _, err := os.Stat(filepath.Join(dir, "acme/billing/v1/invoice.proto")); err != nil {
		t.Fatalf("the clone lacks the module's proto: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "git", "go.git", "HEAD")); err != nil {
		t.Errorf("the repository is not under <data-dir>/git: %v", err)
	}
	if _, err := c.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, 1))})); err != nil {
		t.Fatal(err)
	}
	awaitPublished(t, p, 2)
	gitCmd(t, dir, "pull", "-q")
	proto, _ := os.ReadFile(filepath.Join(dir, "acme/billing/v1/invoice.proto"))
	if !strings.Contains(string(proto), "f_0") {
		t.Errorf("after pull, invoice.proto is not version 2's:\n%s", proto)
	}
}

// TestStacksKilled SIGKILLs registryd crashKills times per backend at a
// random point of publishing — right after the push is accepted (before
// the publisher claimed it), after a random delay (while it builds,
// commits or tags), or once it logged the publication (between the
// commit and the outbox acknowledgement) — sometimes with a second push
// pending, then restarts it: every accepted version is on main exactly
// once, in order, with its tags. On SQLite and PostgreSQL. The seed is
// logged; PBREGISTRY_CRASH_SEED replays one.
func TestStacksKilled(t *testing.T) {
	const crashKills = 20
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("PBREGISTRY_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("PBREGISTRY_CRASH_SEED=%d", seed)
	for name, storeFlags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rnd := rand.New(rand.NewPCG(uint64(seed), 0))
			flags := storeFlags(t)
			gitDir := t.TempDir()
			cfg := writeConfig(t, "stacks:\n  dir: "+gitDir+"\n"+strings.TrimPrefix(stacksConfig, "stacks:\n"))
			versions := 0
			points := map[string]int{}
			for range crashKills {
				p := startRegistryd(t, nil, append(flags, "--config", cfg)...)
				pushes := 1 + rnd.IntN(2)
				for range pushes {
					versions++
					if _, err := p.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", fields(0, versions))})); err != nil {
						t.Fatal(err)
					}
				}
				switch point := rnd.IntN(3); point {
				case 0:
					points["after push"]++
				case 1:
					points["random delay"]++
					time.Sleep(time.Duration(rnd.IntN(60)) * time.Millisecond) // a random kill point, not a synchronisation
				case 2:
					points["after publication"]++
					awaitPublished(t, p, versions-pushes+1)
				}
				p.kill()
			}
			t.Logf("%d kills (%v), %d versions", crashKills, points, versions)
			p := startRegistryd(t, nil, append(flags, "--config", cfg)...)
			// Repair publishes what is missing before the consumer runs;
			// the consumer says it is up to date once nothing is
			// claimable — possibly before registryd said it listens.
			const upToDate = `"msg":"outbox consumer up to date"`
			if !strings.Contains(p.log(), upToDate) {
				if _, err := p.await("catch up", func(l string) bool { return strings.Contains(l, upToDate) }); err != nil {
					t.Fatal(err)
				}
			}
			repo := filepath.Join(gitDir, "go.git")
			log := strings.Split(strings.TrimSpace(gitCmd(t, t.TempDir(), "--git-dir", repo, "log", "--format=%s", "main")), "\n")
			if len(log) != versions {
				t.Fatalf("%d commits, want %d: %q", len(log), versions, log)
			}
			for i, s := range log {
				if want := fmt.Sprintf("acme/commerce v%d", versions-i); s != want {
					t.Errorf("commit %d = %q, want %q", i, s, want)
				}
			}
			tags := strings.Fields(gitCmd(t, t.TempDir(), "--git-dir", repo, "tag", "-l", "acme/commerce/*"))
			releases := strings.Fields(gitCmd(t, t.TempDir(), "--git-dir", repo, "tag", "-l", "r*"))
			if len(tags) != versions || len(releases) != versions {
				t.Errorf("%d version tags and %d release tags, want %d of each", len(tags), len(releases), versions)
			}
		})
	}
}
