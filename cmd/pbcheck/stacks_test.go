package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/server"
	"github.com/pbregistry/pbregistry/submodule"
)

// TestStacksAndSubmoduleCommands: pbcheck stacks ls lists the stacks
// with their clone URLs and latest publication; pbcheck submodule add
// prints, or runs, the git submodule add that vendors a stack in a
// product repository, which the real git CLI then moves forward with
// git submodule update --remote.
func TestStacksAndSubmoduleCommands(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("this test drives the git CLI: install git (%v)", err)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_TERMINAL_PROMPT", "0")
	ctx := context.Background()
	cfg := &server.Config{Stacks: submodule.Config{Dir: t.TempDir(), Repos: []submodule.Stack{
		{Name: "go", Modules: []string{"acme/**"}},
		{Name: "warehouse", Kind: submodule.KindDbt, Dialect: "duckdb"},
	}}}
	if err := cfg.Stacks.Validate(); err != nil {
		t.Fatal(err)
	}
	url, _, ci, store := startConfiguredRegistry(t, cfg)
	t.Setenv(envRegistryURL, url)
	pub, err := submodule.NewPublisher(ctx, store, cfg.Stacks, submodule.PublisherOptions{Worker: "test"})
	if err != nil {
		t.Fatal(err)
	}
	push := func(amountType string) {
		t.Helper()
		if code, stdout, stderr := pbcheck(t, registryModule(t, amountType), nil, "push", "--token", ci); code != exitOK {
			t.Fatalf("push: exit %d\n%s%s", code, stdout, stderr)
		}
		if _, err := pub.PublishPending(ctx, "go"); err != nil {
			t.Fatal(err)
		}
	}
	push("int64")
	product := t.TempDir()
	gitIn(t, product, "init", "-q", "-b", "main")
	clone := url + "/git/go.git"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"ls", []string{"stacks", "ls"}, exitOK, []string{
			"STACK      KIND    CLONE URL",
			"go         protos  " + clone + "         acme/**  r1 acme/commerce v1 ",
			"warehouse  dbt     " + url + "/git/warehouse.git  all      none yet"}, nil},
		{"ls, bad subcommand", []string{"stacks", "rm"}, exitError, []string{"stacks takes one subcommand: ls"}, nil},
		{"print", []string{"submodule", "add", "go", "--print"}, exitOK, []string{"git submodule add -b main " + clone + " protos\n"}, nil},
		{"print, path quoted", []string{"submodule", "add", "go", "third party/protos", "--print"}, exitOK, []string{"git submodule add -b main " + clone + " 'third party/protos'\n"}, nil},
		{"unknown stack", []string{"submodule", "add", "java"}, exitError, []string{`no stack "java"`, "its stacks are go, warehouse"}, nil},
		{"dbt stack", []string{"submodule", "add", "warehouse"}, exitError, []string{"is a dbt stack: list it in your dbt project's packages.yml"}, nil},
		{"path outside", []string{"submodule", "add", "go", "../protos"}, exitError, []string{"must be a relative path inside the repository"}, nil},
		{"add", []string{"submodule", "add", "go", "vendor/protos"}, exitOK, []string{"added stack go at vendor/protos, following main"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, product, tt.args, tt.wantCode, tt.want, tt.notWant)
		})
	}
	gitmodules, err := os.ReadFile(filepath.Join(product, ".gitmodules"))
	if err != nil || !strings.Contains(string(gitmodules), "url = "+clone+"\n") || !strings.Contains(string(gitmodules), "branch = main\n") {
		t.Fatalf(".gitmodules = %q, %v; want the clone URL following main", gitmodules, err)
	}
	proto := filepath.Join(product, "vendor/protos/acme/billing/v1/invoice.proto")
	if b, err := os.ReadFile(proto); err != nil || !strings.Contains(string(b), "int64 amount = 7;") {
		t.Fatalf("the submodule's invoice.proto = %q, %v", b, err)
	}
	gitIn(t, product, "commit", "-q", "-m", "vendor protos")

	// v2 adds a field after amount (registryModule writes "<type> amount = 7;").
	push("int64 amount = 7;\n  string note = 8; //")
	gitIn(t, product, "submodule", "update", "--remote", "vendor/protos")
	if b, err := os.ReadFile(proto); err != nil || !strings.Contains(string(b), "string note = 8;") {
		t.Errorf("after git submodule update --remote, invoice.proto = %q, %v; want v2", b, err)
	}
	checkRun(t, product, []string{"stacks", "ls"}, exitOK, []string{"r2 acme/commerce v2 "}, nil)
}
