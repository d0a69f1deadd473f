package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// flags are registryd's settings.
type flags struct {
	listen        string
	dataDir       string
	databaseURL   string
	readOnly      bool
	config        string
	tokens        string
	anonymousRead bool
	// anonymousReadSet reports that the flag or its variable was given,
	// so that it wins over --config.
	anonymousReadSet bool
	logFormat        string
	logLevel         string
}

// errHelp is returned when --help was asked for; the usage was printed.
var errHelp = errors.New("help requested")

// envName returns the environment variable of a flag.
func envName(flagName string) string {
	return "PBREGISTRY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, defaulting each flag from its environment
// variable (getenv).
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*flags, error) {
	var f flags
	fs := flag.NewFlagSet("registryd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, def, usage string) {
		if v := getenv(envName(name)); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" (env "+envName(name)+")")
	}
	var boolErr error
	boolean := func(p *bool, name string, def bool, usage string) bool {
		set := false
		if v := getenv(envName(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil && boolErr == nil {
				boolErr = fmt.Errorf("%s=%q: want true or false", envName(name), v)
			}
			def, set = b, true
		}
		fs.BoolVar(p, name, def, usage+" (env "+envName(name)+")")
		return set
	}
	str(&f.listen, "listen", "127.0.0.1:8080", "address to serve on; port 0 picks a free port (the log says which)")
	str(&f.dataDir, "data-dir", "./.pbregistry", "directory of the embedded SQLite store, used without --database-url")
	str(&f.databaseURL, "database-url", "", "PostgreSQL URL (postgres://user:pass@host/db); several registryd may share one database")
	boolean(&f.readOnly, "read-only", false, "serve reads only and refuse writes, e.g. on a read replica")
	str(&f.config, "config", "", "registryd's YAML configuration: anonymous_read, limits, policies (server-wide, locked), http, rate_limits, database")
	str(&f.tokens, "tokens", "", "tokens file (YAML, hashed tokens with scopes); without it the registry is open to everyone")
	f.anonymousReadSet = boolean(&f.anonymousRead, "anonymous-read", true, "with --tokens, let requests without a token read")
	str(&f.logFormat, "log-format", "text", "log format: text or json")
	str(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: registryd [flags]\n       registryd token create --name NAME --scope SCOPE [--scope SCOPE…]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if boolErr != nil {
		return nil, boolErr
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "anonymous-read" {
			f.anonymousReadSet = true
		}
	})
	switch f.logFormat {
	case "text", "json":
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", f.logFormat)
	}
	return &f, nil
}
