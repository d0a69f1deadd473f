package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/pbregistry/pbregistry/config"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/report"
)

const dbtSynopsis = `dbt <input> --dialect postgres|duckdb|bigquery|snowflake --out DIR [--history <input>]... [flags]
       pbcheck dbt --registry URL <module>[@version] --dialect … --out DIR [flags]

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
wrote before.

With --registry, the project of a pushed version (default: the latest) is
fetched from registryd (GetDbtProject): its history is every earlier
version the registry holds (within the server's bounds), its configuration
the one pushed, and its version number is named in meta, so the files equal
those of pbcheck dbt <v> --history <v1> … --module-version <v> offline.`

// dbtFlags are the flags of pbcheck dbt.
type dbtFlags struct {
	dialect, out, config, source, version, depth string
	history                                      stringList
	client                                       clientFlags
}

// registerFetch adds --registry, --token and --timeout to fs for commands
// that fetch from a registry when asked and otherwise work offline: unlike
// the registry commands', --registry does not default from PBREGISTRY_URL,
// so that the variable never turns an offline run into a fetch.
func (c *clientFlags) registerFetch(fs *flag.FlagSet) {
	fs.StringVar(&c.registry, "registry", "", "fetch from this registry (e.g. http://localhost:8080) instead of reading inputs")
	fs.StringVar(&c.token, "token", os.Getenv(envToken), "with --registry: bearer token (env "+envToken+")")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "with --registry: give up on the registry after this long")
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
	f.client.registerFetch(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	if f.client.registry != "" {
		return runDbtRegistry(ctx, e, positional, &f)
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

// runDbtRegistry fetches the project of a pushed version from the registry
// and writes it as runDbt does.
func runDbtRegistry(ctx context.Context, e *env, positional []string, f *dbtFlags) (int, error) {
	if len(f.history) > 0 || f.config != "" || f.version != "" {
		return exitError, usagef("--history, --config and --module-version are for inputs read offline: with --registry the history, configuration and version number come from the registry")
	}
	if len(positional) != 1 {
		return exitError, usagef("with --registry, want one <module>[@version], got %d arguments", len(positional))
	}
	module, n, err := parseModuleVersion(positional[0])
	if err != nil {
		return exitError, err
	}
	if f.dialect == "" {
		return exitError, usagef("--dialect is required: postgres, duckdb, bigquery or snowflake")
	}
	if f.out == "" {
		return exitError, usagef("--out is required: the directory to write the dbt project to")
	}
	req := &v1.GetDbtProjectRequest{Module: module, Version: n, Dialect: f.dialect, Source: f.source}
	if f.depth != "" {
		d, err := strconv.Atoi(f.depth)
		if err != nil || d < 0 || d > config.MaxNestedDepth {
			return exitError, usagef("--nested-depth must be a whole number from 0 to %d, not %q", config.MaxNestedDepth, f.depth)
		}
		req.NestedDepth = proto.Int32(int32(d))
	}
	c, err := f.client.client()
	if err != nil {
		return exitError, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.client.timeout)
	defer cancel()
	resp, err := c.GetDbtProject(ctx, connect.NewRequest(req))
	if err != nil {
		return exitError, rpcError(f.client.registry, "dbt", err)
	}
	if err := checkProjectPaths(resp.Msg.Files); err != nil {
		return exitError, fmt.Errorf("dbt: %w", err)
	}
	files := make([]dbt.File, len(resp.Msg.Files))
	for i, file := range resp.Msg.Files {
		files[i] = dbt.File{Path: file.GetPath(), Data: file.GetContent()}
	}
	if err := writeProject(f.out, files); err != nil {
		return exitError, err
	}
	if resp.Msg.HistoryTruncated {
		fmt.Fprintf(e.stderr, "warning: the registry read only the last %d earlier versions as history (its bounds: %d versions, %d bytes): fields deleted before version %d are not kept as columns\n",
			len(resp.Msg.HistoryVersions), resp.Msg.MaxHistoryVersions, resp.Msg.MaxHistoryBytes, firstOr(resp.Msg.HistoryVersions, resp.Msg.GetVersion().GetNumber()))
	}
	fmt.Fprintf(e.stdout, "wrote %d files of the %s dbt project of %s version %d (%d earlier versions as history) to %s\n",
		len(files), f.dialect, module, resp.Msg.GetVersion().GetNumber(), len(resp.Msg.HistoryVersions), f.out)
	return exitOK, nil
}

// checkProjectPaths refuses a project from the registry with a file that
// is not safe to write under --out: not a clean, relative, slash-separated
// .yml or .sql path, or sent twice.
func checkProjectPaths(files []*v1.File) error {
	if len(files) == 0 {
		return errors.New("the registry sent no files")
	}
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		p := f.GetPath()
		switch {
		case !utf8.ValidString(p) || strings.ContainsAny(p, "\\\x00") || path.Clean(p) != p || !filepath.IsLocal(filepath.FromSlash(p)):
			return fmt.Errorf("the registry sent file %q: not a clean relative path", p)
		case !strings.HasSuffix(p, ".yml") && !strings.HasSuffix(p, ".sql"):
			return fmt.Errorf("the registry sent file %q: a dbt project holds .yml and .sql files only", p)
		case seen[p]:
			return fmt.Errorf("the registry sent file %q twice", p)
		}
		seen[p] = true
	}
	return nil
}

// firstOr returns list's first element, or def.
func firstOr(list []int64, def int64) int64 {
	if len(list) == 0 {
		return def
	}
	return list[0]
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
	// Fields the module's policies require get not_null tests, as the
	// registry's models have (without its server-wide policies).
	required, err := policies.RequiredBySubject(nil, latest.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", latest.Ref.Raw, err)
	}
	opts.Required = map[string][]dbt.Required{}
	for subject, fields := range required {
		for _, f := range fields {
			opts.Required[subject] = append(opts.Required[subject], dbt.Required{Field: f.Field, Why: "policy " + f.Policy})
		}
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
