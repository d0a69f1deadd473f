package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
	"github.com/pbregistry/pbregistry/report"
)

const dbtSynopsis = `dbt <input> --dialect postgres|duckdb|bigquery|snowflake --out DIR [--history <input>]... [flags]

Writes a dbt project reading the subjects of <input> (pbtables, events and
logs of pbregistry.yaml) from the tables an extract-load tool lands their
proto-JSON rows in: dbt_project.yml, a sources file with one table per
subject, and one staging view per subject with an enforced contract, column
descriptions from the proto comments and tests. --history lists earlier
versions of the module, oldest first (directories, images or git refs as
for pbcheck breaking): their deleted fields stay as deprecated columns and
every JSON key a field ever had is read, so rows written at any of them
read through the models. Landing tables come from the lakehouse: section of
pbregistry.yaml. The same inputs always give the same bytes. DIR is
replaced as a whole; it must be absent, empty, or a project pbcheck dbt
wrote before.`

// dbtFlags are the flags of pbcheck dbt.
type dbtFlags struct {
	dialect, out, config, source, version, depth string
	history                                      stringList
}

func runDbt(ctx context.Context, e *env, args []string) (int, error) {
	fs := newFlagSet("dbt", dbtSynopsis, e.stderr)
	var f dbtFlags
	fs.StringVar(&f.dialect, "dialect", "", "the warehouse's SQL dialect: postgres, duckdb, bigquery or snowflake (required)")
	fs.StringVar(&f.out, "out", "", "the directory to write the project to (required; replaced as a whole)")
	fs.Var(&f.history, "history", "an earlier version of the module, oldest first (repeatable)")
	fs.StringVar(&f.config, "config", "", "configuration file or inline YAML/JSON (pbregistry.yaml)")
	fs.StringVar(&f.source, "source", "", "the dbt source's name (default: the lakehouse section's, else the module name in snake_case)")
	fs.StringVar(&f.version, "module-version", "", "the module version to name in descriptions and meta (default: none)")
	fs.StringVar(&f.depth, "nested-depth", "", "levels of nested messages flattened into parent__child columns (default: the lakehouse section's, else 1)")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	ref, err := optionalArg(positional, "input")
	if err != nil {
		return exitError, err
	}
	dialect, err := dbt.ParseDialect(f.dialect)
	if f.dialect == "" {
		return exitError, usagef("--dialect is required: postgres, duckdb, bigquery or snowflake")
	}
	if err != nil {
		return exitError, usagef("%v", err)
	}
	if f.out == "" {
		return exitError, usagef("--out is required: the directory to write the dbt project to")
	}
	latest, err := loadDbtInput(ctx, e, ref, f.config)
	if err != nil {
		return exitError, err
	}
	var history []*input.Input
	for _, h := range f.history {
		in, err := loadDbtInput(ctx, e, h, f.config)
		if err != nil {
			return exitError, err
		}
		history = append(history, in)
	}
	p, err := dbtProject(latest, history, dialect, &f)
	if err != nil {
		return exitError, err
	}
	files, err := dbt.Generate(*p)
	if err != nil {
		return exitError, err
	}
	if err := writeProject(f.out, files); err != nil {
		return exitError, err
	}
	fmt.Fprintf(e.stdout, "wrote %d files of the %s dbt project to %s\n", len(files), dialect, f.out)
	return exitOK, nil
}

// loadDbtInput loads one version of the module.
func loadDbtInput(ctx context.Context, e *env, ref, cfg string) (*input.Input, error) {
	in, err := input.Load(ctx, ref, input.Options{Config: cfg, Stdin: e.stdin})
	if err != nil {
		var compileErr *input.CompileError
		if errors.As(err, &compileErr) {
			printDiagnostics(e, report.FormatText, compileErr)
			return nil, fmt.Errorf("dbt: %s does not compile", ref)
		}
		return nil, err
	}
	return in, nil
}

// dbtProject builds the project of latest's subjects over history.
func dbtProject(latest *input.Input, history []*input.Input, dialect dbt.Dialect, f *dbtFlags) (*dbt.Project, error) {
	if latest.Config == nil {
		return nil, fmt.Errorf("dbt: %s has no pbregistry.yaml: list the messages whose rows land in the warehouse under subjects:", latest.Ref.Raw)
	}
	var hidx []*image.Index
	for _, h := range history {
		hidx = append(hidx, image.NewIndex(h.Image))
	}
	opts := dbt.ModuleOptions{Source: f.source, Version: f.version}
	if f.depth != "" {
		d, err := strconv.Atoi(f.depth)
		if err != nil || d < 0 || d > config.MaxNestedDepth {
			return nil, usagef("--nested-depth must be a whole number from 0 to %d, not %q", config.MaxNestedDepth, f.depth)
		}
		opts.NestedDepth = &d
	}
	p, err := dbt.NewProject(latest.Config, image.NewIndex(latest.Image), hidx, dialect, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", latest.Ref.Raw, err)
	}
	return p, nil
}

// generatedHeader starts every file dbt.Generate writes.
const generatedHeader = "# Generated by pbregistry."

// writeProject writes files to a new directory beside dir and then puts it
// in dir's place, so dir is never half-written: dir must be absent, empty,
// or a project written before (its dbt_project.yml starts with the
// generated header).
func writeProject(dir string, files []dbt.File) error {
	dir = filepath.Clean(dir)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		data, err := os.ReadFile(filepath.Join(dir, "dbt_project.yml"))
		if err != nil || !bytes.HasPrefix(data, []byte(generatedHeader)) {
			return fmt.Errorf("dbt: %s is not empty and holds no project pbcheck dbt generated: give an empty or new directory to --out", dir)
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dbt: reading --out: %w", err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("dbt: creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("dbt: creating a directory beside %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("dbt: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("dbt: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("dbt: %w", err)
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dbt: replacing %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir)
		return fmt.Errorf("dbt: replacing %s: %w", dir, err)
	}
	return os.RemoveAll(old)
}
