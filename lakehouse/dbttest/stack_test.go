package dbttest

import (
	"context"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/protocompile"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/submodule"
)

// pushShop pushes ../dbt/testdata/shop/<version> to svc.
func pushShop(t *testing.T, svc *registry.Service, version string) {
	t.Helper()
	root := filepath.Join("..", "dbt", "testdata", "shop", version)
	var files []registry.File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "pbregistry.yaml" {
			// The shop's event is a lakehouse fixture, not a governed
			// event; the policies do not change the dbt package.
			data = append(data, "policies:\n  - {name: EVENT_ID_FIELD, disabled: true}\n  - {name: EVENT_OCCURRED_AT, disabled: true}\n"...)
		}
		files = append(files, registry.File{Path: filepath.ToSlash(rel), Content: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, created, verdict, err := svc.Push(context.Background(), registry.PushRequest{Files: files, Principal: "ci@acme"})
	if err != nil || !created || !verdict.Accepted() {
		t.Fatalf("push shop %s: created %v, err %v, verdict %+v", version, created, err, verdict)
	}
}

// gitCLI runs the git CLI in dir.
func gitCLI(t *testing.T, dir string, args ...string) string {
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

// TestDbtStack publishes the shop module's two versions to one dbt stack
// per dialect, clones each with the git CLI as dbt deps does (the tag as
// revision:, the module's directory as subdirectory:), and checks the
// package: the lakehouse generator's project of v2 over v1, byte for
// byte, whose YAML validates under dbt-core's and dbt Fusion's schemas;
// the packages.yml the stack's README gives validates under dbt's
// packages schema.
func TestDbtStack(t *testing.T) {
	dir := schemaDir(t)
	project := [2]string{"dbt_project-latest.json", "dbt_project-latest-fusion.json"}
	properties := [2]string{"dbt_yml_files-latest.json", "dbt_yml_files-latest-fusion.json"}
	packages := compile(t, dir, "packages-latest.json")
	ctx := context.Background()
	store, err := sqlite.Dir(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := registry.NewService(store, registry.ServiceOptions{Compiler: protocompile.Compiler{}, Policies: cel.NewEngine(nil, policies.Limits{})})
	pushShop(t, svc, "v1")
	pushShop(t, svc, "v2")

	cfg := submodule.Config{Dir: t.TempDir()}
	var names []string
	for _, d := range dbt.Dialects {
		name := "dbt-" + string(d)
		names = append(names, name)
		cfg.Repos = append(cfg.Repos, submodule.Stack{Name: name, Kind: submodule.KindDbt, Dialect: string(d), Modules: []string{"acme/**"}})
	}
	h, err := submodule.NewHandler(submodule.HandlerOptions{Dir: cfg.Dir, Stacks: names, Auth: auth.New(&auth.TokensFile{}, auth.Options{AnonymousRead: true})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.PublicURL = srv.URL
	pub, err := submodule.NewPublisher(ctx, store, cfg, submodule.PublisherOptions{Worker: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dbt.Dialects {
		t.Run(string(d), func(t *testing.T) {
			if n, err := pub.PublishPending(ctx, names[i]); err != nil || n != 2 {
				t.Fatalf("PublishPending = %d, %v; want 2", n, err)
			}
			clone := filepath.Join(t.TempDir(), "pkg")
			gitCLI(t, t.TempDir(), "clone", "-q", "--depth", "1", "--branch", "acme/shop/v2", srv.URL+"/git/"+names[i]+".git", clone)
			pkg := filepath.Join(clone, "acme/shop")
			want := shopFiles(t, d)
			got := 0
			err := filepath.WalkDir(pkg, func(p string, e fs.DirEntry, err error) error {
				if err != nil || e.IsDir() {
					return err
				}
				got++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != len(want) {
				t.Errorf("the package has %d files, want the generator's %d", got, len(want))
			}
			yml := 0
			for _, f := range want {
				data, err := os.ReadFile(filepath.Join(pkg, f.Path))
				if err != nil || string(data) != string(f.Data) {
					t.Errorf("%s differs from the generator's (err %v)", f.Path, err)
					continue
				}
				if !strings.HasSuffix(f.Path, ".yml") {
					continue
				}
				names := properties
				if f.Path == "dbt_project.yml" {
					names = project
				}
				for _, n := range names {
					if err := compile(t, dir, n).Validate(instance(t, data)); err != nil {
						t.Errorf("%s is invalid under %s: %v", f.Path, n, err)
					}
					yml++
				}
			}
			if yml != 6 {
				t.Errorf("%d validations, want 6 (3 files × 2 schemas)", yml)
			}
			readme, err := os.ReadFile(filepath.Join(clone, submodule.ReadmeFile))
			if err != nil {
				t.Fatal(err)
			}
			_, rest, _ := strings.Cut(string(readme), "```yaml\n")
			snippet, _, _ := strings.Cut(rest, "```")
			wantEntry := "  - git: \"" + srv.URL + "/git/" + names[i] + ".git\"\n    revision: \"acme/shop/v2\"\n    subdirectory: \"acme/shop\"\n"
			if !strings.Contains(snippet, wantEntry) {
				t.Errorf("README's packages.yml lacks\n%s\nit is:\n%s", wantEntry, snippet)
			}
			if err := packages.Validate(instance(t, []byte(snippet))); err != nil {
				t.Errorf("README's packages.yml is invalid under dbt's packages schema: %v\n%s", err, snippet)
			}
		})
	}
}
