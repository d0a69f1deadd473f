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

// checkRun runs pbcheck in dir with args and checks its exit code, and that
// its output (stdout, then stderr) says every string of want and none of
// notWant.
func checkRun(t *testing.T, dir string, args []string, wantCode int, want, notWant []string) {
	t.Helper()
	code, stdout, stderr := pbcheck(t, dir, nil, args...)
	out := stdout + stderr
	if code != wantCode {
		t.Errorf("exit %d, want %d\n%s", code, wantCode, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output does not say %q:\n%s", w, out)
		}
	}
	for _, w := range notWant {
		if strings.Contains(out, w) {
			t.Errorf("output says %q:\n%s", w, out)
		}
	}
}

// refusedPush pushes v1dir (accepted) then v2dir, which the registry must
// refuse, and returns the arguments of the approve command the refusal
// prints for its one finding: module, digest, rule and element.
func refusedPush(t *testing.T, v1dir, v2dir string) []string {
	t.Helper()
	if code, stdout, stderr := pbcheck(t, v1dir, nil, "push"); code != exitOK {
		t.Fatalf("first push: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pbcheck(t, v2dir, nil, "push")
	if code != exitFindings {
		t.Fatalf("incompatible push: exit %d, want %d\n%s%s", code, exitFindings, stdout, stderr)
	}
	var approve []string
	for _, line := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, "  pbcheck registry approve "); ok {
			if approve != nil {
				t.Fatalf("the refused push printed more than one approve command:\n%s", stdout)
			}
			approve = strings.Fields(strings.TrimSuffix(rest, " --reason '…'"))
		}
	}
	if len(approve) != 4 || approve[0] != "acme/commerce" || !strings.HasPrefix(approve[1], "sha256:") ||
		approve[2] != "FIELD_WIRE_JSON_COMPATIBLE_TYPE" || approve[3] != "acme.billing.v1.Invoice.amount" {
		t.Fatalf("approve command %q: want acme/commerce sha256:… FIELD_WIRE_JSON_COMPATIBLE_TYPE acme.billing.v1.Invoice.amount, in:\n%s", approve, stdout)
	}
	return approve
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
			`proto/acme/billing/v1/invoice.proto:5:3: Field 7 "amount" on message "Invoice" changed type from int64 to string; readers at v1 cannot read what this version writes, and this version cannot read what v1 wrote (FIELD_WIRE_JSON_COMPATIBLE_TYPE, FULL_TRANSITIVE)`,
			"approves an exception for digest sha256:"}},
		{"incompatible push, json", v2dir, []string{"push", "--error-format", "json"}, exitFindings, []string{`"path":"proto/acme/billing/v1/invoice.proto"`, `"type":"FIELD_WIRE_JSON_COMPATIBLE_TYPE"`}},
		{"breaking --against registry", v2dir, []string{"breaking", ".", "--against", "registry"}, exitFindings, []string{
			`proto/acme/billing/v1/invoice.proto:5:3:Field 7 "amount" on message "Invoice" changed type from int64 to string; readers at v1 cannot read what this version writes, and this version cannot read what v1 wrote [subject acme.billing.v1.Invoice, FULL_TRANSITIVE] (FIELD_WIRE_JSON_COMPATIBLE_TYPE)`}},
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
		t.Run(tt.name, func(t *testing.T) { checkRun(t, tt.dir, tt.args, tt.wantCode, tt.want, nil) })
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
