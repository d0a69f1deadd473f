package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// startRegistry serves a registry over a fresh SQLite store on a real
// port until the test ends and returns its URL.
func startRegistry(t *testing.T) string {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{Store: store}).Handler()) }()
	t.Cleanup(func() {
		cancel()
		<-done
		store.Close()
	})
	return "http://" + ln.Addr().String()
}

const registryConfig = `version: v1
module: acme/commerce
roots: [proto]
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
`

// registryModule writes a module with Invoice's amount of type amountType
// (proto files under proto/, plus a README that must not be pushed).
func registryModule(t *testing.T, amountType string) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"pbregistry.yaml": registryConfig,
		"README.md":       "not pushed",
		"proto/acme/billing/v1/invoice.proto": "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Invoice {\n  string id = 1;\n  " +
			amountType + " amount = 7;\n}\n",
	})
	return dir
}

func TestPushAndRegistryCommands(t *testing.T) {
	url := startRegistry(t)
	t.Setenv(envRegistryURL, url)
	t.Setenv("GITHUB_SHA", "0123abc")
	t.Setenv("GITHUB_REF_NAME", "main")
	t.Setenv("GITHUB_SERVER_URL", "https://github.example")
	t.Setenv("GITHUB_REPOSITORY", "acme/schemas")
	t.Setenv("GITHUB_RUN_ID", "42")
	v1dir, v2dir := registryModule(t, "int64"), registryModule(t, "string")
	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		want     []string
	}{
		{"breaking against an empty registry", v1dir, []string{"breaking", "--against-registry"}, exitOK, nil},
		{"first push", v1dir, []string{"push"}, exitOK, []string{"acme/commerce: version 1 created (sha256:"}},
		{"same content", v1dir, []string{"push", "."}, exitOK, []string{"version 1 already holds this content"}},
		{"incompatible push", v2dir, []string{"push"}, exitFindings, []string{
			"push to acme/commerce rejected against version 1: 1 incompatible change",
			`proto/acme/billing/v1/invoice.proto:5:3: Field 7 "amount" on message "Invoice" changed type from int64 to string; readers at v1 cannot read it, and it cannot read data written at v1 (FIELD_WIRE_JSON_COMPATIBLE_TYPE, FULL_TRANSITIVE)`,
			"approves an exception for digest sha256:"}},
		{"incompatible push, json", v2dir, []string{"push", "--error-format", "json"}, exitFindings, []string{`"path":"proto/acme/billing/v1/invoice.proto"`, `"type":"FIELD_WIRE_JSON_COMPATIBLE_TYPE"`}},
		{"breaking --against registry", v2dir, []string{"breaking", ".", "--against", "registry"}, exitFindings, []string{
			`proto/acme/billing/v1/invoice.proto:5:3:Field 7 "amount" on message "Invoice" changed type from int64 to string; readers at v1 cannot read it, and it cannot read data written at v1 [subject acme.billing.v1.Invoice, FULL_TRANSITIVE] (FIELD_WIRE_JSON_COMPATIBLE_TYPE)`}},
		{"breaking --against-registry, github-actions", v2dir, []string{"breaking", "--against-registry", "--error-format", "github-actions"}, exitFindings, []string{
			"::error file=proto/acme/billing/v1/invoice.proto,line=5,col=3"}},
		{"breaking with rules flags", v2dir, []string{"breaking", "--against-registry", "--use", "FILE"}, exitError, []string{"checks with the registry's rules"}},
		{"registry ls", v1dir, []string{"registry", "ls"}, exitOK, []string{"MODULE", "acme/commerce  v1"}},
		{"registry ls module", v1dir, []string{"registry", "ls", "acme/commerce"}, exitOK, []string{"v1", "anonymous", "0123abc  main"}},
		{"registry show", v1dir, []string{"registry", "show", "acme/commerce@1"}, exitOK, []string{
			"version:   v1", "build:     commit 0123abc, branch main, https://github.example/acme/schemas/actions/runs/42",
			"acme.billing.v1.Invoice  pbtable  FULL_TRANSITIVE WIRE_JSON", "proto/acme/billing/v1/invoice.proto", "pbregistry.yaml"}},
		{"registry show missing", v1dir, []string{"registry", "show", "acme/nothing"}, exitError, []string{"not_found", "acme/nothing"}},
		{"registry diff", v1dir, []string{"registry", "diff", "acme/commerce", "1", "1"}, exitOK, []string{"acme/commerce v1 → v1: 0 changes"}},
		{"registry bad subcommand", v1dir, []string{"registry", "rm"}, exitError, nil},
		{"registry diff bad version", v1dir, []string{"registry", "diff", "acme/commerce", "x"}, exitError, nil},
		{"no registry", v1dir, []string{"push", "--registry", ""}, exitError, []string{"no registry: pass --registry URL"}},
		{"unreachable registry", v1dir, []string{"push", "--registry", "http://127.0.0.1:1"}, exitError, []string{"unavailable", "is registryd running at http://127.0.0.1:1?"}},
		{"not a module", t.TempDir(), []string{"push"}, exitError, []string{"no .proto files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pbcheck(t, tt.dir, nil, tt.args...)
			out := stdout + stderr
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestAgainstRegistryDirectory: with a directory named registry in the
// working directory, --against registry means it, and the error says how
// to mean the registry.
func TestAgainstRegistryDirectory(t *testing.T) {
	dir := registryModule(t, "int64")
	if err := os.MkdirAll(filepath.Join(dir, "registry"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := pbcheck(t, dir, nil, "breaking", "--against", "registry")
	if code != exitError || !strings.Contains(stdout+stderr, "use --against-registry") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestCIDefaults(t *testing.T) {
	env := map[string]string{"CI_COMMIT_SHA": "c1", "CI_COMMIT_REF_NAME": "dev", "CI_JOB_URL": "https://gitlab.example/j/1"}
	commit, branch, url := ciDefaults(func(k string) string { return env[k] })
	if commit != "c1" || branch != "dev" || url != "https://gitlab.example/j/1" {
		t.Errorf("GitLab defaults = %q %q %q", commit, branch, url)
	}
}
