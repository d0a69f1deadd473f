package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

const stacksSynopsis = `stacks ls --registry URL [flags]

Lists the stacks: the git repositories registryd publishes every accepted
version to, one per language stack, for product repositories to vendor as
a git submodule (pbcheck submodule add) or, for a dbt stack, to list in
packages.yml. For each: its kind, clone URL, the modules it holds and its
latest publication (r<N>, the module version, the commit).`

func runStacks(ctx context.Context, e *env, args []string) (int, error) {
	var f clientFlags
	fs := newFlagSet("stacks", stacksSynopsis, e.stderr)
	f.register(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	if len(positional) != 1 || positional[0] != "ls" {
		return exitError, usagef("stacks takes one subcommand: ls")
	}
	stacks, err := listStacks(ctx, &f)
	if err != nil {
		return exitError, err
	}
	if len(stacks) == 0 {
		fmt.Fprintln(e.stdout, "No stacks: registryd's configuration has no stacks: section.")
		return exitOK, nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tKIND\tCLONE URL\tMODULES\tLATEST")
	for _, s := range stacks {
		latest := "none yet"
		if l := s.GetLatest(); l != nil {
			commit := l.GetCommit()
			if len(commit) > 12 {
				commit = commit[:12]
			}
			latest = fmt.Sprintf("r%d %s v%d %s %s", l.GetRelease(), l.GetModule(), l.GetVersion(), commit, timeString(l.GetTime()))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.GetName(), s.GetKind(), s.GetCloneUrl(), orAll(s.GetModules()), latest)
	}
	return exitOK, tw.Flush()
}

// listStacks returns the registry's stacks, their clone URLs absolute:
// a registry without stacks.public_url gives paths, relative to the URL
// pbcheck reached it at.
func listStacks(ctx context.Context, f *clientFlags) ([]*v1.Stack, error) {
	c, err := f.client()
	if err != nil {
		return nil, err
	}
	resp, err := c.ListStacks(ctx, connect.NewRequest(&v1.ListStacksRequest{}))
	if err != nil {
		return nil, rpcError(f.registry, "list the stacks", err)
	}
	for _, s := range resp.Msg.GetStacks() {
		if strings.HasPrefix(s.GetCloneUrl(), "/") {
			s.CloneUrl = strings.TrimRight(f.registry, "/") + s.GetCloneUrl()
		}
	}
	return resp.Msg.GetStacks(), nil
}
