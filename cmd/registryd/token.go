package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pbregistry/pbregistry/auth"
)

// scopeList is a repeatable --scope flag; values may be comma-separated.
type scopeList []string

func (s *scopeList) String() string { return strings.Join(*s, ",") }

func (s *scopeList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// runToken runs `registryd token create`: it prints a new token once, on
// stdout, and the tokens file entry that accepts it.
func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "Usage: registryd token create --name NAME --scope SCOPE [--scope SCOPE…]\n\nScopes: read, push:<module glob> (e.g. push:acme/*), admin.")
		return 2
	}
	fs := flag.NewFlagSet("registryd token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the principal: who uses the token, recorded as the pusher (e.g. ci)")
	var scopes scopeList
	fs.Var(&scopes, "scope", "a scope: read, push:<module glob> or admin (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	tok, entry, err := auth.CreateToken(*name, scopes)
	if err != nil {
		fmt.Fprintf(stderr, "registryd: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "Token for %q (shown once; registryd stores only its hash):\n\n  %s\n\nAdd this entry under tokens: in the tokens file (--tokens), then restart registryd:\n\n%s", *name, tok, auth.EntryYAML(entry))
	return 0
}
