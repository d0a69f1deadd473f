// Command registryd is the pbregistry server: the Connect RegistryService
// (Connect, gRPC and gRPC-Web on one port), gRPC health and reflection,
// /healthz, /metrics and image downloads, over the embedded SQLite store
// (--data-dir) or PostgreSQL (--database-url).
//
//	registryd [flags]                                   serve
//	registryd token create --name ci --scope 'push:acme/*'   make a token
//	registryd webhooks deliveries | redrive ID              dead letters
//
// Every flag has an environment variable: PBREGISTRY_ and the flag's name
// in upper case with '-' as '_' (e.g. PBREGISTRY_LISTEN). Flags win over
// the environment, which wins over --config.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes registryd with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "token" {
		return runToken(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "webhooks" {
		return runWebhooks(ctx, args[1:], os.Getenv, stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "serve") {
		args = args[1:]
	}
	f, err := parseFlags(args, os.Getenv, stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintf(stderr, "registryd: %v\nRun 'registryd --help' for usage.\n", err)
		return 2
	}
	if err := serve(ctx, f, stderr); err != nil {
		fmt.Fprintf(stderr, "registryd: %v\n", err)
		return 1
	}
	return 0
}
