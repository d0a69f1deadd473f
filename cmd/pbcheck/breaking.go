package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/history"
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
a push would get.

Against a git ref or a directory, the subjects of the input's
pbregistry.yaml (and those of the against input's) are checked as a push
checks them: each with its kind's level and rules (or its own), the rest
with the module's breaking: section. With --history N (or all) and a git
--against, pbcheck replays the last N commits of the against ref that touch
the module, as a registry would have received them, and checks the
transitive subjects against the ledger they build: a field number, name,
JSON name or enum value deleted earlier may not come back with another
meaning.`

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
	history           string
	historyBudget     time.Duration
	eagerSourceInfo   bool
	compileSeparately bool
	client            clientFlags
	explain           bool
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
	fs.StringVar(&f.history, "history", "", "with a git --against: replay the last N commits of its history (or all) into the subjects' ledger")
	fs.DurationVar(&f.historyBudget, "history-budget", history.DefaultBudget, "the time --history may take")
	f.registerPerformance(fs)
	fs.BoolVar(&f.explain, "explain", false, "under each finding, a message that proves it: written with one schema, read with the other (text and json formats)")
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

	commits, err := historyCommits(f.history)
	if err != nil {
		return exitError, err
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

	aware := subjectAware(current, against) || f.history != ""
	if aware {
		// A side without subjects was compiled without source info; the
		// subject-aware check reads the whole schema as a push does.
		for _, in := range []*input.Input{current, against} {
			if err := in.LoadSourceInfo(ctx, nil); err != nil {
				return exitError, err
			}
		}
	}
	check := func() ([]compat.Finding, error) {
		// Change policies (pbregistry.yaml's and the built-in ones) join
		// the compatibility findings.
		set, pctx, err := policiesOf(current.Config, false)
		if err != nil {
			return nil, err
		}
		changes, err := set.Changes(ctx, against.Image, current.Image, pctx)
		if err != nil {
			return nil, err
		}
		if aware {
			subjectFindings, baseline, err := checkSubjectAware(ctx, e, current, against, f, level, commits)
			if err != nil {
				return nil, err
			}
			return compat.Sort(foldedForReport(subjectFindings, changes, baseline)), nil
		}
		findings, err := checkModules(current, against, f, level)
		if err != nil {
			return nil, err
		}
		return compat.Sort(append(findings, changes...)), nil
	}
	findings, err := check()
	if err != nil {
		return exitError, err
	}
	if loaded, err := loadFindingsSourceInfo(ctx, current, against, findings); err != nil {
		return exitError, err
	} else if loaded {
		// The same findings, now located.
		if findings, err = check(); err != nil {
			return exitError, err
		}
	}
	if f.explain {
		return writeWitnessed(e, format, findings, against.Image, current.Image)
	}
	return writeFindings(e, format, findings, current.Image)
}

// loadPair loads the input and the against input concurrently, then applies
// --path / --limit-to-input-files to the against image.
func loadPair(ctx context.Context, e *env, ref string, f breakingFlags) (current, against *input.Input, err error) {
	curOpts := input.Options{
		Config: f.config, Paths: f.paths, ExcludePaths: f.excludes, Stdin: e.stdin,
		DeferSourceInfo: f.deferSourceInfo, Reusable: !f.compileSeparately,
	}
	agOpts := input.Options{Config: f.againstConfig, Stdin: e.stdin, DeferSourceInfo: f.deferSourceInfo}
	// Unless --compile-separately, the against input reuses what the input
	// compiled for the files identical on both sides, with their imports:
	// it reads its files while the input compiles, then waits for it
	// (input.Options.Reuse).
	loaded := make(chan struct{})
	var reusable *input.Input
	if !f.compileSeparately {
		agOpts.Reuse = func() *input.Input {
			<-loaded
			return reusable
		}
	}
	// Both load at once. The error reported does not depend on which
	// finishes first: the input's, else the against input's. An input
	// that fails cancels the against load; the other way round, the input
	// load runs to its end, so that its own error is the one reported.
	agCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var curErr, agErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(loaded)
		in, err := input.Load(ctx, ref, curOpts)
		current, reusable, curErr = in, in, err
		if err != nil {
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		var err error
		if against, err = input.Load(agCtx, f.against, agOpts); err != nil {
			agErr = fmt.Errorf("against %s: %w", f.against, err)
		}
	}()
	wg.Wait()
	if curErr != nil {
		return nil, nil, curErr
	}
	if agErr != nil {
		return nil, nil, agErr
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

// historyCommits parses --history: "" (no history), "all" (0) or a
// positive number of commits.
func historyCommits(v string) (int, error) {
	switch v {
	case "":
		return -1, nil
	case "all":
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, usagef("--history %s: give a number of commits (e.g. --history 50) or all", v)
	}
	return n, nil
}

// subjectAware reports whether either input's configuration declares
// subjects: then they are checked as a push checks them.
func subjectAware(current, against *input.Input) bool {
	return len(registry.SubjectSpecsOf(current.Config)) > 0 || len(registry.SubjectSpecsOf(against.Config)) > 0
}

// checkSubjectAware checks current against against as a push of current
// would be checked by a registry holding against (registry.CheckImages):
// the subjects current declares, merged with those against (or, with
// --history, every replayed version) declared, each with its level and
// rules; the module's breaking: section (with --use, --except and
// --compatibility applied) for the rest; and, with --history, the
// transitive subjects against the ledger the history builds. It returns
// the findings and, with --history, the number of versions replayed: the
// version a registry would have checked the push against.
func checkSubjectAware(ctx context.Context, e *env, current, against *input.Input, f breakingFlags, level *compat.Level, commits int) ([]registry.Finding, int64, error) {
	if len(current.Modules) != 1 {
		return nil, 0, usagef("the input has %d modules: a check with subjects (pbregistry.yaml subjects:, --history) takes one module; check each module directory on its own", len(current.Modules))
	}
	moduleCfg := current.Modules[0].Breaking
	if len(f.use) > 0 {
		moduleCfg.Use = f.use
	}
	if len(f.except) > 0 {
		moduleCfg.Except = f.except
	}
	if level != nil {
		moduleCfg.Level = *level
	}
	moduleCfg.ExcludeImports = f.excludeImports
	var stored []registry.Subject
	var ledger registry.Ledger
	var baseline int64
	if f.history != "" {
		if against.Ref.Format != input.FormatGit {
			return nil, 0, usagef("--history replays the git history of --against: --against %s is not a git input (e.g. .git#branch=main)", f.against)
		}
		replay, err := history.Replay(ctx, f.against, history.Options{Commits: commits, Budget: f.historyBudget, Config: f.againstConfig})
		if err != nil {
			return nil, 0, err
		}
		if len(replay.Skipped) > 0 {
			fmt.Fprintf(e.stderr, "history: %d commits of %s do not compile and were skipped, as a registry would have refused them\n", len(replay.Skipped), f.against)
		}
		stored, ledger, baseline = replay.Subjects, replay.Ledger, int64(len(replay.Versions))
	} else {
		for _, s := range registry.SubjectSpecsOf(against.Config) {
			stored = append(stored, registry.Subject{Name: s.Name, Kind: s.Kind, PrimaryKey: s.PrimaryKey, Pushed: s.Compatibility})
		}
	}
	subjects := registry.ResolveSubjects(registry.SubjectSpecsOf(current.Config), stored)
	// The configuration is governed as at push: weakening the against
	// input's is a finding.
	currentPolicies, err := cel.Settings(current.Config)
	if err != nil {
		return nil, 0, err
	}
	previous := &registry.GovernedConfig{Module: moduleCfg, Subjects: registry.ResolveSubjects(nil, stored)}
	if previous.Policies, err = cel.Settings(against.Config); err != nil {
		return nil, 0, fmt.Errorf("against %s: %w", f.against, err)
	}
	if len(f.use) == 0 && len(f.except) == 0 && level == nil && len(against.Modules) == 1 {
		previous.Module = against.Modules[0].Breaking
		previous.Module.ExcludeImports = f.excludeImports
	}
	res, err := registry.CheckImages(ctx, against.Image, current.Image, registry.CheckSpec{
		Module: moduleCfg, Subjects: subjects, Policies: currentPolicies, Previous: previous,
	}, ledger)
	if err != nil {
		return nil, 0, fmt.Errorf("breaking: %w", err)
	}
	return res.Findings, baseline, nil
}
