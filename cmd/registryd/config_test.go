package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

// writeConfig writes a registryd configuration file and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registryd.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRuntimeConfig: --config's http, rate_limits and database sections
// reach the server and the store; bad values stop registryd with the
// file, the line or key, and what to write.
func TestRuntimeConfig(t *testing.T) {
	const cfg = `http:
  read_header_timeout: 5s
  read_timeout: 20s
  max_concurrent_requests: 32
rate_limits:
  per_ip: {requests_per_second: 0.01, burst: 2}
database:
  max_conns: 4
  lock_timeout: 2s
  statement_timeout: 20s
`
	for name, store := range backends(t) {
		t.Run(name, func(t *testing.T) {
			p := startRegistryd(t, nil, append(store(t), "--config", writeConfig(t, cfg))...)
			ignored := strings.Contains(p.log(), "ignoring the configuration's database: settings")
			if ignored != (name == "sqlite") {
				t.Errorf("%s: log says database: settings are ignored: %v\n%s", name, ignored, p.log())
			}
			c := p.client("")
			ctx := context.Background()
			if _, err := c.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: moduleFiles("int64", ""), Build: &v1.BuildInfo{GitCommit: "abc"}})); err != nil {
				t.Fatalf("push: %v", err)
			}
			if _, err := c.ListModules(ctx, connect.NewRequest(&v1.ListModulesRequest{})); err != nil {
				t.Fatalf("second request of the burst: %v", err)
			}
			_, err := c.ListModules(ctx, connect.NewRequest(&v1.ListModulesRequest{}))
			if connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Errorf("third request past rate_limits.per_ip's burst of 2: %v, want resource_exhausted", err)
			}
		})
	}

	for _, tc := range []struct{ name, yaml, want string }{
		{"duration", "http:\n  read_timeout: 30\n", `line 2: "30" is not a duration: write a number with a unit, e.g. 500ms, 30s or 2m`},
		{"negative", "database:\n  max_conns: -1\n", "database.max_conns is -1: use a positive number"},
		{"unknown key", "rate_limits:\n  per_ipp: {}\n", "line 2: field per_ipp not found"},
		{"proxy", "http:\n  trusted_proxies: [lb]\n", `http.trusted_proxies: "lb" is neither an IP address nor a CIDR prefix`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.yaml)
			proc, err := launch(nil, "--data-dir", t.TempDir(), "--config", path)
			if err != nil {
				t.Fatal(err)
			}
			<-proc.exited
			if proc.cmd.ProcessState.ExitCode() != 1 || !strings.Contains(proc.log(), path+": "+tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 saying %q", proc.cmd.ProcessState.ExitCode(), proc.log(), path+": "+tc.want)
			}
		})
	}
}
