package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"connectrpc.com/connect"
	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/config"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/report"
)

const lintSynopsis = `lint [<input>] [flags]

Evaluates the policies in force on <input> (default "."): the built-in
policies of each subject kind, and the policies: of pbregistry.yaml. With
--registry URL, the registry's server-wide policies too, with the same
precedence and severity as at push: exactly the policies a push of <input>
faces. Inputs are the same as for pbcheck breaking. Exit 0 when clean or
with warnings only, 100 when an error-severity policy fails, 1 on usage,
configuration or compile errors.`

func runLint(ctx context.Context, e *env, args []string) (int, error) {
	fs := newFlagSet("lint", lintSynopsis, e.stderr)
	configFlag := fs.String("config", "", "configuration file or inline YAML/JSON (pbregistry.yaml or buf.yaml)")
	var paths, excludes stringList
	fs.Var(&paths, "path", "limit the check to this file or directory (repeatable)")
	fs.Var(&excludes, "exclude-path", "exclude this file or directory (repeatable)")
	noBuiltins := fs.Bool("disable-builtins", false, "evaluate only the policies of pbregistry.yaml, not the built-in ones")
	errorFormat := fs.String("error-format", "text", "output format: text, json, github-actions, junit or msvs")
	// --registry is not read from PBREGISTRY_URL: a plain pbcheck lint
	// stays offline wherever the variable is set.
	var client clientFlags
	fs.StringVar(&client.registry, "registry", "", "also apply this registry's server-wide policies, as a push faces them (e.g. http://localhost:8080)")
	fs.StringVar(&client.token, "token", os.Getenv(envToken), "bearer token for --registry (env "+envToken+")")
	fs.DurationVar(&client.timeout, "timeout", 2*time.Minute, "give up on the registry after this long")
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
	if client.registry != "" && *noBuiltins {
		return exitError, usagef("--registry applies the policies a push faces, built-in ones included: drop --disable-builtins")
	}
	var server []policies.Spec
	if client.registry != "" {
		if server, err = serverPolicies(ctx, &client); err != nil {
			return exitError, err
		}
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
	subjects := declaredSubjects(in.Config)
	if client.registry != "" && in.Config != nil {
		// The subjects in force at push, each at the level in force: the
		// registry's (overrides included, and those no longer declared)
		// merged with these.
		var stored []registry.Subject
		if in.Config.Name != "" {
			if stored, err = registrySubjects(ctx, &client, in.Config.Name); err != nil {
				return exitError, err
			}
		}
		subjects = nil
		for _, s := range registry.ResolveSubjects(registry.SubjectSpecsOf(in.Config), stored) {
			subjects = append(subjects, policies.Subject{Name: s.Name, Kind: string(s.Kind), PrimaryKey: s.PrimaryKey, Compatibility: string(s.Compatibility.Level)})
		}
	}
	set, pctx, err := compilePolicies(in.Config, subjects, *noBuiltins, server)
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
	return compilePolicies(cfg, declaredSubjects(cfg), noBuiltins, nil)
}

// declaredSubjects are the subjects cfg declares as policies see them
// outside the registry: a level only where cfg sets one.
func declaredSubjects(cfg *config.Config) []policies.Subject {
	if cfg == nil {
		return nil
	}
	var out []policies.Subject
	for _, s := range cfg.Subjects {
		out = append(out, policies.Subject{Name: s.Message, Kind: string(s.Kind), PrimaryKey: s.PrimaryKey, Compatibility: string(s.Compatibility)})
	}
	return out
}

// compilePolicies compiles the built-in policies (unless noBuiltins), the
// server-wide ones and cfg's policies: with the precedence of a push, and
// returns the context they are evaluated in: cfg's module and subjects.
func compilePolicies(cfg *config.Config, subjects []policies.Subject, noBuiltins bool, server []policies.Spec) (*policies.Set, policies.Context, error) {
	pctx := policies.Context{Subjects: subjects}
	var module []policies.Spec
	if cfg != nil {
		pctx.Module = cfg.Name
		specs, err := policies.Parse(cfg.PoliciesFile, cfg.Policies)
		if err != nil {
			return nil, pctx, err
		}
		module = specs
	}
	set, err := policies.Compile(policies.Sources{NoBuiltins: noBuiltins, Server: server, Module: module})
	return set, pctx, err
}

// serverPolicies fetches the registry's server-wide policies (GetPolicies)
// and parses them as registryd parsed its configuration.
func serverPolicies(ctx context.Context, c *clientFlags) ([]policies.Spec, error) {
	client, err := c.client()
	if err != nil {
		return nil, err
	}
	resp, err := client.GetPolicies(ctx, connect.NewRequest(&v1.GetPoliciesRequest{}))
	if err != nil {
		return nil, rpcError(c.registry, "read the server-wide policies of "+c.registry, err)
	}
	text := resp.Msg.GetPoliciesYaml()
	if text == "" {
		return nil, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(text), &node); err != nil {
		return nil, fmt.Errorf("the server-wide policies of %s: %w", c.registry, err)
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = *node.Content[0]
	}
	specs, err := policies.Parse(c.registry+" policies", &node)
	if err != nil {
		return nil, fmt.Errorf("the server-wide policies of %s: %w", c.registry, err)
	}
	return specs, nil
}

// registrySubjects reads the subjects the registry holds for module, none
// when it does not hold the module.
func registrySubjects(ctx context.Context, c *clientFlags, module string) ([]registry.Subject, error) {
	client, err := c.client()
	if err != nil {
		return nil, err
	}
	resp, err := client.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: module}))
	if connect.CodeOf(err) == connect.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, rpcError(c.registry, "read the subjects of "+module+" from "+c.registry, err)
	}
	var out []registry.Subject
	for _, s := range resp.Msg.GetSubjects() {
		sub := registry.Subject{Module: module, Name: s.GetMessage(), Kind: registry.SubjectKind(kindName(s.GetKind())),
			PrimaryKey: s.GetPrimaryKey(), Pushed: compatibilityOf(s.GetDeclared())}
		if o := s.GetOverride(); o != nil {
			sub.Override = &registry.SubjectOverride{Compatibility: compatibilityOf(o), Principal: s.GetOverrideBy()}
		}
		out = append(out, sub)
	}
	return out, nil
}

// compatibilityOf converts a subject's configuration from the API: an
// unspecified level is the kind's default.
func compatibilityOf(c *v1.Compatibility) registry.Compatibility {
	out := registry.Compatibility{Use: c.GetUse(), Except: c.GetExcept()}
	if l := c.GetLevel(); l != v1.CompatibilityLevel_COMPATIBILITY_LEVEL_UNSPECIFIED {
		out.Level = registry.Level(levelName(l))
	}
	return out
}
