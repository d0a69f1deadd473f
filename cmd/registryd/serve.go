package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// pauseEnv names a stage of the push transaction at which every push
// pauses forever, for crash tests that SIGKILL registryd there. Never set
// it in production.
const pauseEnv = "PBREGISTRY_TEST_PAUSE_AT"

// serve runs the server until ctx is done.
func serve(ctx context.Context, f *flags, stderr io.Writer) error {
	logger, err := newLogger(f, stderr)
	if err != nil {
		return err
	}
	// Every log line is bounded, whatever clients send.
	logger = server.BoundedLogger(logger)
	slog.SetDefault(logger)

	cfg := &server.Config{}
	if f.config != "" {
		if cfg, err = server.LoadConfig(f.config); err != nil {
			return err
		}
	}
	authn, err := newAuthenticator(f, cfg, logger)
	if err != nil {
		return err
	}
	store, where, err := openStore(ctx, f, cfg.Database, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	opts := server.Options{Store: store, Auth: authn, Config: cfg, ReadOnly: f.readOnly, Logger: logger}
	git, stopStacks, err := startStacks(ctx, f, cfg, store, authn, logger)
	if err != nil {
		return err
	}
	defer stopStacks()
	opts.Git = git
	if stage := os.Getenv(pauseEnv); stage != "" {
		if opts.PushContext, err = pauseAt(stage, stderr, logger); err != nil {
			return err
		}
	}
	srv := server.New(opts)
	stopWebhooks, err := startWebhooks(ctx, f, cfg, store, srv.Metrics(), logger)
	if err != nil {
		return err
	}
	defer stopWebhooks()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another address with --listen or PBREGISTRY_LISTEN)", f.listen, err)
	}
	mode := "read-write"
	if f.readOnly {
		mode = "read-only"
	}
	logger.Info("registryd listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String(), "store", where, "mode", mode)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	logger.Info("registryd stopped")
	return nil
}

// newLogger returns the slog logger --log-format and --log-level ask for.
func newLogger(f *flags, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", f.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if f.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// newAuthenticator reads the tokens file, or warns that the registry is
// open without one.
func newAuthenticator(f *flags, cfg *server.Config, logger *slog.Logger) (*auth.Authenticator, error) {
	if f.tokens == "" {
		logger.Warn("NO TOKENS FILE (--tokens): this registry is OPEN — anyone who can reach it may push to any module, override subjects and approve exceptions; every push is recorded as \"anonymous\". Create tokens with `registryd token create` for anything but a laptop.")
		return auth.Open(), nil
	}
	tf, err := auth.LoadTokensFile(f.tokens)
	if err != nil {
		return nil, err
	}
	anon := f.anonymousRead
	if !f.anonymousReadSet && cfg.AnonymousRead != nil {
		anon = *cfg.AnonymousRead
	}
	logger.Info("tokens loaded", "file", f.tokens, "tokens", len(tf.Entries), "anonymous_read", anon)
	return auth.New(tf, auth.Options{AnonymousRead: anon}), nil
}

// openStore opens PostgreSQL with --database-url and the configuration's
// database: settings, else SQLite in --data-dir, read-only with
// --read-only. It returns where the store is, for the log, without the
// URL's password.
func openStore(ctx context.Context, f *flags, db server.DatabaseConfig, logger *slog.Logger) (registry.Store, string, error) {
	if f.databaseURL != "" {
		s, err := postgres.Open(ctx, f.databaseURL, postgres.Options{
			ReadOnly:         f.readOnly,
			MaxConns:         db.MaxConns,
			LockTimeout:      db.LockTimeout.D(),
			StatementTimeout: db.StatementTimeout.D(),
		})
		if err != nil {
			return nil, "", fmt.Errorf("%w (check --database-url / PBREGISTRY_DATABASE_URL)", err)
		}
		return s, "postgres " + redactURL(f.databaseURL), nil
	}
	if db != (server.DatabaseConfig{}) {
		logger.Warn("ignoring the configuration's database: settings, which tune PostgreSQL (--database-url) only; this registryd uses SQLite")
	}
	s, err := sqlite.Dir(ctx, f.dataDir, sqlite.Options{ReadOnly: f.readOnly})
	if err != nil {
		return nil, "", fmt.Errorf("%w (check --data-dir / PBREGISTRY_DATA_DIR)", err)
	}
	return s, "sqlite " + s.Path(), nil
}

// redactURL hides the password of a database URL.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "(connection string)"
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	user, _, _ := strings.Cut(userinfo, ":")
	return scheme + "://" + user + ":***@" + host
}

// pauseAt returns a push context decorator that pauses every push forever
// at stage of its transaction, after saying "PAUSED <stage>" on stderr.
func pauseAt(stage string, stderr io.Writer, logger *slog.Logger) (func(context.Context) context.Context, error) {
	if !slices.Contains(registry.CommitStages, stage) {
		return nil, fmt.Errorf("%s=%q: use one of %s", pauseEnv, stage, strings.Join(registry.CommitStages, ", "))
	}
	logger.Warn("TEST HOOK ON: every push pauses forever inside its transaction", "env", pauseEnv, "stage", stage)
	return func(ctx context.Context) context.Context {
		return registry.WithCommitHook(ctx, func(s string) {
			if s == stage {
				fmt.Fprintf(stderr, "PAUSED %s\n", s)
				select {}
			}
		})
	}, nil
}
