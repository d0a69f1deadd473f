package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

const submoduleSynopsis = `submodule add <stack> [<path>] --registry URL [--print] [flags]

Adds a stack's repository (pbcheck stacks ls lists them) to the git
repository in the current directory as a submodule following main:

  git submodule add -b main <clone URL> <path>

<path> defaults to protos. With --print, prints the command instead of
running it. Move forward later with git submodule update --remote <path>.
A registry that needs a token for reads takes it as the HTTP password: git
asks for it, or reads it from a credential helper; it is never written to
.gitmodules.`

func runSubmodule(ctx context.Context, e *env, args []string) (int, error) {
	var f clientFlags
	var printOnly bool
	fs := newFlagSet("submodule", submoduleSynopsis, e.stderr)
	f.register(fs)
	fs.BoolVar(&printOnly, "print", false, "print the git command instead of running it")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	if len(positional) == 0 || positional[0] != "add" {
		return exitError, usagef("submodule takes one subcommand: add <stack> [<path>]")
	}
	if len(positional) < 2 || len(positional) > 3 {
		return exitError, usagef("submodule add takes <stack> [<path>]")
	}
	name, dir := positional[1], "protos"
	if len(positional) == 3 {
		dir = positional[2]
	}
	if clean := path.Clean(strings.ReplaceAll(dir, "\\", "/")); clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) || strings.HasPrefix(dir, "-") {
		return exitError, usagef("submodule path %q must be a relative path inside the repository, e.g. protos or third_party/protos", dir)
	}
	stacks, err := listStacks(ctx, &f)
	if err != nil {
		return exitError, err
	}
	var stack *v1.Stack
	var names []string
	for _, s := range stacks {
		names = append(names, s.GetName())
		if s.GetName() == name {
			stack = s
		}
	}
	switch {
	case stack == nil && len(names) == 0:
		return exitError, fmt.Errorf("no stack %q: the registry at %s publishes no stacks (registryd's stacks: section)", name, f.registry)
	case stack == nil:
		return exitError, fmt.Errorf("no stack %q at %s: its stacks are %s", name, f.registry, strings.Join(names, ", "))
	case stack.GetKind() == "dbt":
		return exitError, fmt.Errorf("stack %s is a dbt stack: list it in your dbt project's packages.yml (git: %s, revision: <module>/v<N>, subdirectory: <module>) instead of adding a submodule; its README shows the entries", name, stack.GetCloneUrl())
	}
	argv := []string{"git", "submodule", "add", "-b", "main", stack.GetCloneUrl(), dir}
	if printOnly {
		fmt.Fprintln(e.stdout, shellJoin(argv))
		return exitOK, nil
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		return exitError, fmt.Errorf("%s: %w", shellJoin(argv), err)
	}
	fmt.Fprintf(e.stdout, "added stack %s at %s, following main: commit .gitmodules and %s; move forward with git submodule update --remote %s\n", name, dir, dir, dir)
	return exitOK, nil
}

// shellJoin quotes argv for a POSIX shell where needed.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
