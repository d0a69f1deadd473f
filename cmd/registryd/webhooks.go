package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server"
	"github.com/pbregistry/pbregistry/webhook"
)

// webhooksUsage is the usage of `registryd webhooks`.
const webhooksUsage = `Usage: registryd webhooks deliveries [--config FILE] [--data-dir DIR] [--endpoint NAME]
       registryd webhooks redrive [--config FILE] [--data-dir DIR] ID [ID…]

deliveries lists the dead letters: events an endpoint did not accept within
its max_attempts or max_age. redrive sends each again to its endpoint as
configured now (same webhook-id, fresh timestamp and signature) and removes
it once the endpoint answered 2xx. IDs are <endpoint>/<event id>.`

// webhooksDir returns the dead letters' directory of cfg: webhooks.dir,
// else <data-dir>/webhooks.
func webhooksDir(cfg *server.Config, dataDir string) string {
	if cfg.Webhooks.Dir != "" {
		return cfg.Webhooks.Dir
	}
	return filepath.Join(dataDir, "webhooks")
}

// startWebhooks starts delivering the configuration's webhooks and
// returns stop, which ends delivering, waits for it and logs the
// delivery counters. A read-only registryd delivers nothing.
func startWebhooks(ctx context.Context, f *flags, cfg *server.Config, store registry.Store, metrics *server.Metrics, logger *slog.Logger) (stop func(), err error) {
	stop = func() {}
	wc := cfg.Webhooks
	if len(wc.Endpoints) == 0 {
		return stop, nil
	}
	if f.readOnly {
		logger.Info("webhooks not delivered (read-only)")
		return stop, nil
	}
	wc.Dir = webhooksDir(cfg, f.dataDir)
	if wc.PublicURL == "" {
		wc.PublicURL = strings.TrimRight(cfg.Stacks.PublicURL, "/")
	}
	counter := metrics.NewCounter("pbregistry_webhook_deliveries_total",
		"Webhook deliveries by endpoint and outcome (delivered, failed, dead_letter, skipped, breaker_open).", "endpoint", "outcome")
	m := &webhook.Metrics{OnAdd: func(endpoint, outcome string) { counter.Inc(endpoint, outcome) }}
	d, err := webhook.New(ctx, store, wc, webhook.Options{Logger: logger, Metrics: m})
	if err != nil {
		return stop, err
	}
	names := make([]string, len(wc.Endpoints))
	for i, e := range wc.Endpoints {
		names[i] = e.Name
	}
	logger.Info("delivering webhooks", "endpoints", names, "dead_letters", filepath.Join(wc.Dir, "dead"))
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(wctx)
	}()
	return func() {
		cancel()
		<-done
		for k, n := range d.Metrics().Snapshot() {
			logger.Info("webhook deliveries", "endpoint", k[0], "outcome", k[1], "count", n)
		}
	}, nil
}

// runWebhooks runs `registryd webhooks deliveries|redrive`.
func runWebhooks(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "deliveries" && args[0] != "redrive" {
		fmt.Fprintln(stderr, webhooksUsage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("registryd webhooks "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, webhooksUsage) }
	config := fs.String("config", getenv(envName("config")), "registryd's YAML configuration, with its webhooks: section (env PBREGISTRY_CONFIG)")
	dataDir := getenv(envName("data-dir"))
	if dataDir == "" {
		dataDir = "./.pbregistry"
	}
	fs.StringVar(&dataDir, "data-dir", dataDir, "registryd's data directory; dead letters are under <data-dir>/webhooks unless webhooks.dir says otherwise (env PBREGISTRY_DATA_DIR)")
	endpoint := fs.String("endpoint", "", "list only this endpoint's dead letters")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	cfg := &server.Config{}
	if *config != "" {
		var err error
		if cfg, err = server.LoadConfig(*config); err != nil {
			fmt.Fprintf(stderr, "registryd: %v\n", err)
			return 1
		}
	}
	dir := webhooksDir(cfg, dataDir)
	switch cmd {
	case "deliveries":
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "registryd: webhooks deliveries takes no argument, not %q\n", fs.Arg(0))
			return 2
		}
		letters, err := webhook.DeadLetters{Dir: dir}.List(*endpoint)
		if err != nil {
			fmt.Fprintf(stderr, "registryd: %v\n", err)
			return 1
		}
		if len(letters) == 0 {
			fmt.Fprintf(stdout, "No dead letters in %s.\n", filepath.Join(dir, "dead"))
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tWEBHOOK-ID\tTYPE\tMODULE\tVERSION\tATTEMPTS\tLAST ATTEMPT\tLAST ERROR")
		for _, l := range letters {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", l.ID(), l.WebhookID, l.Type, l.Module, l.Version, l.Attempts,
				l.LastAttempt.UTC().Format(time.RFC3339), registry.Truncate(strings.ReplaceAll(l.LastError, "\n", " "), 200))
		}
		tw.Flush()
		return 0
	default: // redrive
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "registryd: webhooks redrive needs the ids of the dead letters, as `registryd webhooks deliveries` lists them")
			return 2
		}
		if *config == "" {
			fmt.Fprintln(stderr, "registryd: webhooks redrive needs --config (or PBREGISTRY_CONFIG): the endpoints' URLs and secrets are there")
			return 2
		}
		wc := cfg.Webhooks
		wc.Dir = dir
		code := 0
		for _, id := range fs.Args() {
			l, err := webhook.Redrive(ctx, &wc, getenv, nil, id)
			if err != nil {
				fmt.Fprintf(stderr, "registryd: %v\n", err)
				code = 1
				continue
			}
			fmt.Fprintf(stdout, "re-driven %s (%s %s v%d) to %s\n", id, l.WebhookID, l.Module, l.Version, l.Endpoint)
		}
		return code
	}
}
