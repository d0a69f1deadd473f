// Command pbcheck checks protobuf schemas in CI and talks to a pbregistry
// server:
//
//	pbcheck breaking <input> --against <input>   compare two schemas (a drop-in for buf breaking)
//	pbcheck breaking <dir> --against registry     check a module as the registry would check its push
//	pbcheck push <dir> --registry URL             push a module to a registry
//	pbcheck registry ls|show|diff                 read a registry
//	pbcheck stacks ls                            list the stacks' git repositories
//	pbcheck submodule add <stack> [path]         vendor a stack as a git submodule
//	pbcheck rules                                list the breaking rules and categories
//	pbcheck import confluent --from URL          copy a Confluent schema registry, keeping schema ids
//
// Exit codes: 0 when clean, 100 when there are findings (or a push is
// rejected), 1 on usage, configuration or compile errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitFindings = 100
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is a pbcheck subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) (int, error)
}

// env is what a command reads from and writes to.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"breaking", "check that a schema is compatible with a previous one", runBreaking},
		{"lint", "evaluate the policies in force on a schema", runLint},
		{"push", "push a module to a registry (exit 100 when rejected)", runPush},
		{"registry", "read a registry: ls, show, diff", runRegistry},
		{"pbtable", "write the Postgres DDL of a pbtable, or its migration", runPbtable},
		{"dbt", "write the dbt project reading a module's subjects from a warehouse", runDbt},
		{"stacks", "list the stacks' git repositories: clone URLs, latest publication", runStacks},
		{"submodule", "add a stack's repository as a git submodule (or print the command)", runSubmodule},
		{"rules", "list breaking rules and categories", runRules},
		{"import", "import confluent: copy a Confluent schema registry, keeping ids", runImport},
	}
}

// run executes pbcheck with args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, version())
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		code, err := c.run(ctx, e, args[1:])
		var usage *usageError
		switch {
		case errors.Is(err, errHelp):
			return exitOK
		case errors.As(err, &usage):
			fmt.Fprintf(stderr, "pbcheck %s: %s\nRun 'pbcheck %s --help' for usage.\n", c.name, usage.msg, c.name)
			return exitError
		case err != nil:
			fmt.Fprintf(stderr, "%s\n", err)
			return exitError
		}
		return code
	}
	fmt.Fprintf(stderr, "pbcheck: unknown command %q\n", args[0])
	printUsage(stderr)
	return exitError
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: pbcheck <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  version    print the version")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 clean, 100 findings, 1 usage, configuration or compile errors.")
}
