package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

// writeModule writes the module files into a new directory.
func writeModule(t *testing.T, files []*v1.File) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestReadOnly: registryd --read-only on the primary's database serves
// every read and CheckPush, and refuses pushes with a clear error.
func TestReadOnly(t *testing.T) {
	for name, storeFlags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			flags := storeFlags(t)
			primary := startRegistryd(t, nil, flags...)
			v1dir := writeModule(t, moduleFiles("int64", ""))
			if code, out := runPbcheck(t, v1dir, nil, "push", "--registry", primary.url); code != 0 {
				t.Fatalf("push to the primary: exit %d\n%s", code, out)
			}
			replica := startRegistryd(t, []string{"PBREGISTRY_READ_ONLY=true"}, flags...)
			v2dir := writeModule(t, moduleFiles("int64", fields(0, 1)))
			code, out := runPbcheck(t, v2dir, nil, "push", "--registry", replica.url)
			if code != 1 || !strings.Contains(out, "read-only") || !strings.Contains(out, "push to the primary registryd") {
				t.Errorf("push to the replica: exit %d\n%s\nwant exit 1 saying it is read-only", code, out)
			}
			for _, args := range [][]string{
				{"registry", "ls"},
				{"registry", "ls", "acme/commerce"},
				{"registry", "show", "acme/commerce@1"},
				{"breaking", v2dir, "--against-registry"},
			} {
				if code, out := runPbcheck(t, v1dir, []string{"PBREGISTRY_URL=" + replica.url}, args...); code != 0 {
					t.Errorf("pbcheck %s on the replica: exit %d\n%s", strings.Join(args, " "), code, out)
				}
			}
			ctx := context.Background()
			c := replica.client("")
			if _, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce"})); err != nil {
				t.Error(err)
			}
			if _, err := c.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: "acme/commerce"})); err != nil {
				t.Error(err)
			}
			if _, err := c.Diff(ctx, connect.NewRequest(&v1.DiffRequest{Module: "acme/commerce", From: 1})); err != nil {
				t.Error(err)
			}
			if _, err := c.ListExceptions(ctx, connect.NewRequest(&v1.ListExceptionsRequest{Module: "acme/commerce"})); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestTokens: tokens made by `registryd token create`, a tokens file with
// anonymous reads off (by environment variable), and the pusher recorded.
func TestTokens(t *testing.T) {
	create := func(name string, scopes ...string) (string, string) {
		args := []string{"token", "create", "--name", name}
		for _, s := range scopes {
			args = append(args, "--scope", s)
		}
		var out, errOut strings.Builder
		if code := run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("token create: exit %d: %s", code, errOut.String())
		}
		tok := regexp.MustCompile(`pbr_[A-Za-z0-9_-]{43}`).FindString(out.String())
		entry := out.String()[strings.Index(out.String(), "  - name:"):]
		if tok == "" || strings.Contains(entry, tok) {
			t.Fatalf("token create printed:\n%s", out.String())
		}
		return tok, entry
	}
	ciTok, ciEntry := create("ci", "push:acme/*")
	readTok, readEntry := create("dashboard", "read")
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	if err := os.WriteFile(tokens, []byte("tokens:\n"+ciEntry+readEntry), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startRegistryd(t, []string{"PBREGISTRY_ANONYMOUS_READ=false", "PBREGISTRY_TOKENS=" + tokens}, "--data-dir", t.TempDir())
	dir := writeModule(t, moduleFiles("int64", ""))
	env := []string{"PBREGISTRY_URL=" + p.url}
	for _, tc := range []struct {
		name  string
		token string
		args  []string
		code  int
		want  string
	}{
		{"anonymous push", "", []string{"push"}, 1, "push .: unauthenticated: this registry needs a token: pass --token"},
		{"reader push", readTok, []string{"push"}, 1, `needs scope push:acme/commerce, and the token of "dashboard" has scopes read`},
		{"unknown token", "pbr_nope", []string{"push"}, 1, "not in this registry's tokens file"},
		{"ci push", ciTok, []string{"push"}, 0, "acme/commerce: version 1 created"},
		{"anonymous read", "", []string{"registry", "ls"}, 1, "needs a token"},
		{"reader read", readTok, []string{"registry", "show", "acme/commerce"}, 0, "pushed by: ci"},
	} {
		code, out := runPbcheck(t, dir, append(env, "PBREGISTRY_TOKEN="+tc.token), tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d\n%s\nwant exit %d saying %q", tc.name, code, out, tc.code, tc.want)
		}
	}
}

// TestFlags: environment variables, and clear errors for bad flags and
// configuration.
func TestFlags(t *testing.T) {
	// PBREGISTRY_LISTEN picks the address; the log says the store.
	p := startRegistryd(t, []string{"PBREGISTRY_LISTEN=127.0.0.1:0", "PBREGISTRY_DATA_DIR=" + t.TempDir()})
	if !strings.Contains(p.log(), "NO TOKENS FILE") || !strings.Contains(p.log(), `"store":"sqlite `) {
		t.Errorf("log of an open registry:\n%s", p.log())
	}
	cfg := filepath.Join(t.TempDir(), "registryd.yaml")
	if err := os.WriteFile(cfg, []byte("limits:\n  max_filez: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	if err := os.WriteFile(tokens, []byte("tokens:\n  - name: ci\n    sha256: abc\n    scopes: [read]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"--lisen", "x"}, nil, "flag provided but not defined: -lisen"},
		{"bad log format", []string{"--log-format", "xml"}, nil, `--log-format "xml": use text or json`},
		{"bad bool env", nil, []string{"PBREGISTRY_READ_ONLY=maybe"}, `PBREGISTRY_READ_ONLY="maybe": want true or false`},
		{"bad config", []string{"--config", cfg}, nil, cfg + ": line 2: field max_filez not found"},
		{"bad tokens file", []string{"--tokens", tokens}, nil, tokens + ":2: token \"ci\": sha256 must be the 64 hex digits"},
		{"bad listen", []string{"--listen", "256.0.0.1:1"}, nil, "listen on 256.0.0.1:1"},
		{"bad pause stage", nil, []string{pauseEnv + "=never"}, `PBREGISTRY_TEST_PAUSE_AT="never": use one of after-begin`},
		{"read-only without database", []string{"--read-only", "--data-dir", filepath.Join(t.TempDir(), "none")}, nil, "open it read-write once to create it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proc, err := launch(tc.env, append([]string{"--data-dir", t.TempDir()}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			<-proc.exited
			if proc.cmd.ProcessState.ExitCode() == 0 || !strings.Contains(proc.log(), tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant a failure saying %q", proc.cmd.ProcessState.ExitCode(), proc.log(), tc.want)
			}
		})
	}
}
