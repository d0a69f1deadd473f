package compat_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/report"
)

// The fixtures under testdata/breaking pin compat's findings, rule by rule:
//
//	testdata/breaking/<RULE_ID>/          one rule (buf.yaml uses just it)
//	testdata/breaking/_config/<case>/     several rules, categories and
//	                                      configuration keys at once
//
// Each fixture holds two module directories, previous/ and current/, each
// with a buf.yaml, and want.txt: the findings of checking current against
// previous with current/buf.yaml's breaking section, printed in the text
// format. README.md says what the fixture covers; a line "parity: skip
// (reason)" keeps it out of the parity test against buf (parity_test.go).

var update = flag.Bool("update", false, "rewrite the want.txt files of testdata/breaking")

// fixturesRoot is the directory of the breaking fixtures, relative to this
// package.
const fixturesRoot = "../testdata/breaking"

// fixture is one directory of testdata/breaking.
type fixture struct {
	// name is the directory relative to fixturesRoot, e.g. "FIELD_SAME_TYPE"
	// or "_config/ignore".
	name string
	dir  string
}

func (f fixture) previous() string { return filepath.Join(f.dir, "previous") }
func (f fixture) current() string  { return filepath.Join(f.dir, "current") }
func (f fixture) want() string     { return filepath.Join(f.dir, "want.txt") }

// skipsParity returns the reason the fixture's README gives for staying out
// of the parity test, or "".
func (f fixture) skipsParity() string {
	data, err := os.ReadFile(filepath.Join(f.dir, "README.md"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if reason, ok := strings.CutPrefix(strings.TrimSpace(line), "parity: skip"); ok {
			return strings.TrimSpace(reason)
		}
	}
	return ""
}

// excludeImports reports whether the fixture's README asks for buf's
// --exclude-imports, with a line "flags: --exclude-imports".
func (f fixture) excludeImports() bool {
	data, err := os.ReadFile(filepath.Join(f.dir, "README.md"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "flags: --exclude-imports" {
			return true
		}
	}
	return false
}

// fixtures lists every fixture directory: those holding previous/ and
// current/.
func fixtures(t testing.TB) []fixture {
	t.Helper()
	var out []fixture
	err := filepath.WalkDir(fixturesRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || d.Name() != "previous" {
			return nil
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "current")); err != nil {
			return fmt.Errorf("%s has previous/ but no current/", dir)
		}
		name, _ := filepath.Rel(fixturesRoot, dir)
		out = append(out, fixture{name: filepath.ToSlash(name), dir: dir})
		return filepath.SkipDir
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures under %s", fixturesRoot)
	}
	return out
}

// loadModule loads a fixture's module directory with the input package,
// as pbcheck does, and returns its image and the breaking configuration
// of its (only) module.
func loadModule(t testing.TB, dir string) (*image.Image, compat.Config) {
	t.Helper()
	in, err := input.Load(context.Background(), dir, input.Options{})
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	if len(in.Modules) != 1 {
		t.Fatalf("load %s: %d modules, want 1", dir, len(in.Modules))
	}
	return in.Image, in.Modules[0].Breaking
}

// bufYAML is the part of a buf.yaml (v1 or v2) the fixtures use.
type bufYAML struct {
	Version  string `yaml:"version"`
	Breaking struct {
		Use                    []string            `yaml:"use"`
		Except                 []string            `yaml:"except"`
		Ignore                 []string            `yaml:"ignore"`
		IgnoreOnly             map[string][]string `yaml:"ignore_only"`
		IgnoreUnstablePackages bool                `yaml:"ignore_unstable_packages"`
	} `yaml:"breaking"`
}

// readConfig reads dir/buf.yaml into a compat.Config, as buf reads the
// breaking section of the input's buf.yaml.
func readConfig(t testing.TB, dir string) (compat.Config, bufYAML) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "buf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var y bufYAML
	if err := yaml.Unmarshal(data, &y); err != nil {
		t.Fatalf("%s/buf.yaml: %v", dir, err)
	}
	return compat.Config{
		Version:                y.Version,
		Use:                    y.Breaking.Use,
		Except:                 y.Breaking.Except,
		Ignore:                 y.Breaking.Ignore,
		IgnoreOnly:             y.Breaking.IgnoreOnly,
		IgnoreUnstablePackages: y.Breaking.IgnoreUnstablePackages,
	}, y
}

// check runs compat on a fixture: current against previous, with
// current's breaking configuration, as buf breaking does.
func (f fixture) check(t testing.TB) []compat.Finding {
	t.Helper()
	previous, _ := loadModule(t, f.previous())
	current, cfg := loadModule(t, f.current())
	cfg.ExcludeImports = f.excludeImports()
	if _, y := readConfig(t, f.current()); y.Version == "v1beta1" {
		// The config package reads v1beta1 rule IDs as v1's, but buf's
		// v1beta1 catalog differs (see normalizeVersion in rule.go).
		cfg.Version = "v1beta1"
	}
	findings, err := compat.Check(previous, current, cfg)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return findings
}

func TestFixtures(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			var got bytes.Buffer
			if err := report.Write(&got, report.FormatText, f.check(t), nil); err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(f.want(), got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(f.want())
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("findings differ from %s (run with -update to accept)\n--- got\n%s--- want\n%s", f.want(), got.String(), want)
			}
		})
	}
}

// TestFixturesCoverCatalog checks that every rule of the catalog, in both
// configuration versions, has a fixture that selects just that rule, with
// the buf.yaml version the rule exists in.
func TestFixturesCoverCatalog(t *testing.T) {
	byName := make(map[string]fixture)
	for _, f := range fixtures(t) {
		byName[f.name] = f
	}
	seen := make(map[string]bool)
	for _, version := range []string{"v2", "v1"} {
		for _, r := range compat.Rules(version) {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			f, ok := byName[r.ID]
			if !ok {
				t.Errorf("rule %s has no fixture %s/%s", r.ID, fixturesRoot, r.ID)
				continue
			}
			for _, side := range []string{f.previous(), f.current()} {
				cfg, y := readConfig(t, side)
				if y.Version != version {
					t.Errorf("%s/buf.yaml: version %q, want %q", side, y.Version, version)
				}
				if !slices.Equal(cfg.Use, []string{r.ID}) || len(cfg.Except) > 0 {
					t.Errorf("%s/buf.yaml: breaking use %v except %v, want use [%s] only", side, cfg.Use, cfg.Except, r.ID)
				}
			}
		}
	}
}
