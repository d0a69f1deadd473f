package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server"
	"github.com/pbregistry/pbregistry/submodule"
)

// resolveDirs fills in the default directories of the stacks'
// repositories (<data-dir>/git) and of the webhooks' dead letters
// (<data-dir>/webhooks), so that the server's stacks and deliveries RPCs
// read where publishing and delivery write.
func resolveDirs(f *flags, cfg *server.Config) {
	if len(cfg.Stacks.Repos) > 0 && cfg.Stacks.Dir == "" {
		cfg.Stacks.Dir = filepath.Join(f.dataDir, "git")
	}
	if len(cfg.Webhooks.Endpoints) > 0 {
		cfg.Webhooks.Dir = webhooksDir(cfg, f.dataDir)
	}
}

// startStacks starts publishing the configuration's stacks and returns
// the handler serving their repositories (nil when no stack is
// configured) and stop, which ends publishing and waits for it. A
// read-only registryd serves the repositories but does not publish.
func startStacks(ctx context.Context, f *flags, cfg *server.Config, store registry.Store, authn *auth.Authenticator, logger *slog.Logger) (h http.Handler, stop func(), err error) {
	stop = func() {}
	resolveDirs(f, cfg)
	sc := cfg.Stacks
	if len(sc.Repos) == 0 {
		return nil, stop, nil
	}
	names := make([]string, len(sc.Repos))
	for i, s := range sc.Repos {
		names[i] = s.Name
	}
	h, err = submodule.NewHandler(submodule.HandlerOptions{Dir: sc.Dir, Stacks: names, Auth: authn, Logger: logger})
	if err != nil {
		return nil, stop, err
	}
	if f.readOnly {
		logger.Info("stacks served, not published (read-only)", "dir", sc.Dir, "stacks", names)
		return h, stop, nil
	}
	p, err := submodule.NewPublisher(ctx, store, sc, submodule.PublisherOptions{Logger: logger})
	if err != nil {
		return nil, stop, err
	}
	logger.Info("publishing stacks", "dir", sc.Dir, "stacks", names)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(pctx)
	}()
	return h, func() { cancel(); <-done }, nil
}
