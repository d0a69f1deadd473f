package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/report"
)

const breakingSynopsis = `breaking [<input>] --against <input> [flags]

Checks that <input> (default ".") is compatible with the schema it evolves
from. Inputs are directories (module roots, honouring pbregistry.yaml,
buf.yaml and buf.work.yaml), single .proto files, images (.binpb, .pb, .json,
"-" for stdin) or git refs of a local repository (.git#branch=main,subdir=proto).

--against registry (or --against-registry) checks the module directory
<input> against what a registry holds (--registry URL or PBREGISTRY_URL):
each subject with its own compatibility level and transitivity, the verdict
a push would get.`

// breakingFlags are pbcheck breaking's flags; they mirror buf breaking's.
type breakingFlags struct {
	against           string
	config            string
	againstConfig     string
	use, except       stringList
	compatibility     string
	paths, excludes   stringList
	limitToInputFiles bool
	excludeImports    bool
	errorFormat       string
	againstRegistry   bool
	client            clientFlags
}

func runBreaking(ctx context.Context, e *env, args []string) (int, error) {
	var f breakingFlags
	fs := newFlagSet("breaking", breakingSynopsis, e.stderr)
	fs.StringVar(&f.against, "against", "", "the input to check against (required)")
	fs.StringVar(&f.config, "config", "", "configuration file or inline YAML/JSON for the input (pbregistry.yaml or buf.yaml)")
	fs.StringVar(&f.againstConfig, "against-config", "", "configuration file or inline YAML/JSON for the against input")
	fs.Var(&f.use, "use", "rule ID or category to run (repeatable; replaces the configured use)")
	fs.Var(&f.except, "except", "rule ID or category not to run (repeatable; replaces the configured except)")
	fs.StringVar(&f.compatibility, "compatibility", "", "keep findings that break BACKWARD, FORWARD, FULL (default: every finding) or NONE")
	fs.Var(&f.paths, "path", "limit the check to this file or directory (repeatable)")
	fs.Var(&f.excludes, "exclude-path", "exclude this file or directory (repeatable)")
	fs.BoolVar(&f.limitToInputFiles, "limit-to-input-files", false, "only check files of <input> against the same files of the against input")
	fs.BoolVar(&f.excludeImports, "exclude-imports", false, "do not report findings located in imports")
	fs.StringVar(&f.errorFormat, "error-format", "text", "output format: text, json, github-actions, junit or msvs")
	fs.BoolVar(&f.againstRegistry, "against-registry", false, "check against the registry (same as --against registry)")
	f.client.register(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	ref, err := optionalArg(positional, "input")
	if err != nil {
		return exitError, err
	}
	if f.againstRegistry || f.against == "registry" && !exists(f.against) {
		if f.againstRegistry && f.against != "" && f.against != "registry" {
			return exitError, usagef("--against-registry and --against %s: choose one", f.against)
		}
		format, err := report.ParseFormat(f.errorFormat)
		if err != nil {
			return exitError, &usageError{msg: err.Error()}
		}
		return breakingAgainstRegistry(ctx, e, ref, f, format)
	}
	if f.against == "" {
		return exitError, usagef("--against is required: the schema to check against, e.g. --against '.git#branch=main'")
	}
	format, err := report.ParseFormat(f.errorFormat)
	if err != nil {
		return exitError, &usageError{msg: err.Error()}
	}
	var level *compat.Level
	if f.compatibility != "" {
		l, err := compat.ParseLevel(strings.TrimSuffix(strings.ToUpper(f.compatibility), "_TRANSITIVE"))
		if err != nil {
			return exitError, &usageError{msg: err.Error()}
		}
		level = &l
	}

	current, against, err := loadPair(ctx, e, ref, f)
	if err != nil {
		var compileErr *input.CompileError
		if errors.As(err, &compileErr) {
			printDiagnostics(e, format, compileErr)
			return exitError, nil
		}
		if f.against == "registry" {
			err = fmt.Errorf("%w\n(a file or directory named registry exists here, so --against registry means it: use --against-registry to check against a registry)", err)
		}
		return exitError, err
	}

	findings, err := checkModules(current, against, f, level)
	if err != nil {
		return exitError, err
	}
	// Change policies (pbregistry.yaml's and the built-in ones) join the
	// compatibility findings.
	set, pctx, err := policiesOf(current.Config, false)
	if err != nil {
		return exitError, err
	}
	changes, err := set.Changes(ctx, against.Image, current.Image, pctx)
	if err != nil {
		return exitError, err
	}
	return writeFindings(e, format, compat.Sort(append(findings, changes...)), current.Image)
}

// loadPair loads the input and the against input concurrently, then applies
// --path / --limit-to-input-files to the against image.
func loadPair(ctx context.Context, e *env, ref string, f breakingFlags) (current, against *input.Input, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		current, err = input.Load(gctx, ref, input.Options{
			Config: f.config, Paths: f.paths, ExcludePaths: f.excludes, Stdin: e.stdin,
		})
		return err
	})
	g.Go(func() error {
		var err error
		against, err = input.Load(gctx, f.against, input.Options{Config: f.againstConfig, Stdin: e.stdin})
		if err != nil {
			return fmt.Errorf("against %s: %w", f.against, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	switch {
	case f.limitToInputFiles:
		paths := make(map[string]bool)
		for _, file := range current.Image.Files() {
			paths[file.Path()] = true
		}
		against.Image = against.Image.Restrict(func(p string) bool { return paths[p] })
	case len(f.paths) > 0 || len(f.excludes) > 0:
		targets, excludes := modulePaths(current, f.paths), modulePaths(current, f.excludes)
		against.Image = against.Image.Restrict(func(p string) bool {
			return (len(targets) == 0 || under(p, targets)) && !under(p, excludes)
		})
	}
	return current, against, nil
}

// modulePaths converts --path values, given relative to the working
// directory, to paths relative to the module roots of in, which is how the
// against image names its files.
func modulePaths(in *input.Input, paths []string) []string {
	var out []string
	for _, p := range paths {
		p = path.Clean(filepath.ToSlash(p))
		rel := p
		for _, m := range in.Modules {
			root := path.Clean(filepath.ToSlash(m.Root))
			if m.Root == "" || root == "." {
				continue
			}
			if p == root {
				rel = "."
				break
			}
			if r, ok := strings.CutPrefix(p, root+"/"); ok {
				rel = r
				break
			}
		}
		out = append(out, rel)
	}
	return out
}

// under reports whether p is one of roots or lies beneath one.
func under(p string, roots []string) bool {
	for _, r := range roots {
		if r == "." || p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// checkModules runs compat once per distinct breaking configuration among
// the input's modules, keeping for each the findings located in its
// modules' files.
func checkModules(current, against *input.Input, f breakingFlags, level *compat.Level) ([]compat.Finding, error) {
	type group struct {
		cfg   compat.Config
		files map[string]bool
	}
	var groups []*group
	for _, m := range current.Modules {
		cfg := m.Breaking
		if len(f.use) > 0 {
			cfg.Use = f.use
		}
		if len(f.except) > 0 {
			cfg.Except = f.except
		}
		if level != nil {
			cfg.Level = *level
		}
		cfg.ExcludeImports = f.excludeImports
		var g *group
		for _, existing := range groups {
			if configsEqual(existing.cfg, cfg) {
				g = existing
			}
		}
		if g == nil {
			g = &group{cfg: cfg, files: make(map[string]bool)}
			groups = append(groups, g)
		}
		for _, file := range m.Files {
			g.files[file.Path()] = true
		}
	}
	var all []compat.Finding
	for _, g := range groups {
		findings, err := compat.Check(against.Image, current.Image, g.cfg)
		if err != nil {
			return nil, fmt.Errorf("breaking configuration: %w", err)
		}
		if len(groups) > 1 {
			findings = slices.DeleteFunc(findings, func(fd compat.Finding) bool {
				p := fd.Location.Path
				if p == "" {
					p = fd.Previous.Path
				}
				return !g.files[p]
			})
		}
		all = append(all, findings...)
	}
	return compat.Sort(all), nil
}

func configsEqual(a, b compat.Config) bool {
	if a.Version != b.Version || a.IgnoreUnstablePackages != b.IgnoreUnstablePackages ||
		a.Level != b.Level || a.ExcludeImports != b.ExcludeImports ||
		!slices.Equal(a.Use, b.Use) || !slices.Equal(a.Except, b.Except) || !slices.Equal(a.Ignore, b.Ignore) ||
		len(a.IgnoreOnly) != len(b.IgnoreOnly) {
		return false
	}
	for k, v := range a.IgnoreOnly {
		if !slices.Equal(v, b.IgnoreOnly[k]) {
			return false
		}
	}
	return true
}

// printDiagnostics prints compile errors: `path:line:col: message` in text,
// buf's COMPILE annotations in the other formats.
func printDiagnostics(e *env, format report.Format, err *input.CompileError) {
	if format == report.FormatText {
		for _, d := range err.Diagnostics {
			fmt.Fprintln(e.stdout, d.String())
		}
		return
	}
	findings := make([]compat.Finding, len(err.Diagnostics))
	for i, d := range err.Diagnostics {
		findings[i] = compat.Finding{
			Rule:    "COMPILE",
			Message: d.Message,
			Location: compat.Location{
				Path: d.Path, StartLine: d.Line, StartColumn: d.Col, EndLine: d.Line, EndColumn: d.Col,
			},
		}
	}
	_ = report.Write(e.stdout, format, findings, nil)
}
