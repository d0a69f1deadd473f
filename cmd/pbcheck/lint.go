package main

import (
	"context"
	"errors"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/report"
)

const lintSynopsis = `lint [<input>] [flags]

Evaluates the policies in force on <input> (default "."): the built-in
policies of each subject kind, and the policies: of pbregistry.yaml. Inputs
are the same as for pbcheck breaking. Exit 0 when clean or with warnings
only, 100 when an error-severity policy fails, 1 on usage, configuration or
compile errors.`

func runLint(ctx context.Context, e *env, args []string) (int, error) {
	fs := newFlagSet("lint", lintSynopsis, e.stderr)
	configFlag := fs.String("config", "", "configuration file or inline YAML/JSON (pbregistry.yaml or buf.yaml)")
	var paths, excludes stringList
	fs.Var(&paths, "path", "limit the check to this file or directory (repeatable)")
	fs.Var(&excludes, "exclude-path", "exclude this file or directory (repeatable)")
	noBuiltins := fs.Bool("disable-builtins", false, "evaluate only the policies of pbregistry.yaml, not the built-in ones")
	errorFormat := fs.String("error-format", "text", "output format: text, json, github-actions, junit or msvs")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	ref, err := optionalArg(positional, "input")
	if err != nil {
		return exitError, err
	}
	format, err := report.ParseFormat(*errorFormat)
	if err != nil {
		return exitError, &usageError{msg: err.Error()}
	}
	in, err := input.Load(ctx, ref, input.Options{Config: *configFlag, Paths: paths, ExcludePaths: excludes, Stdin: e.stdin})
	if err != nil {
		var compileErr *input.CompileError
		if errors.As(err, &compileErr) {
			printDiagnostics(e, format, compileErr)
			return exitError, nil
		}
		return exitError, err
	}
	set, pctx, err := policiesOf(in.Config, *noBuiltins)
	if err != nil {
		return exitError, err
	}
	findings, err := set.Lint(ctx, in.Image, pctx)
	if err != nil {
		return exitError, err
	}
	return writeFindings(e, format, findings, in.Image)
}

// policiesOf compiles the policies an input's configuration puts in force,
// and the context (module, subjects) they are evaluated in.
func policiesOf(cfg *config.Config, noBuiltins bool) (*policies.Set, policies.Context, error) {
	var pctx policies.Context
	var module []policies.Spec
	if cfg != nil {
		pctx.Module = cfg.Name
		for _, s := range cfg.Subjects {
			pctx.Subjects = append(pctx.Subjects, policies.Subject{
				Name: s.Message, Kind: string(s.Kind), PrimaryKey: s.PrimaryKey, Compatibility: string(s.Compatibility),
			})
		}
		specs, err := policies.Parse(cfg.PoliciesFile, cfg.Policies)
		if err != nil {
			return nil, pctx, err
		}
		module = specs
	}
	set, err := policies.Compile(policies.Sources{NoBuiltins: noBuiltins, Module: module})
	return set, pctx, err
}
