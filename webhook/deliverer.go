package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pbregistry/pbregistry/outbox"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/retry"
)

// DefaultLease is how long a claimed event is held by default: if this
// registryd dies, another (or this one, restarted) claims the event once
// the lease ends, so it bounds how long a crash delays an event. Retries
// that would outlast the lease end the claim instead: the event is
// claimed again when the lease ends.
const DefaultLease = time.Minute

// Store is what the Deliverer needs of the registry's store: the outbox
// and the reads the payload is built from. registry.Store satisfies it.
type Store interface {
	Source
	outbox.Store
}

// Options configure a Deliverer.
type Options struct {
	// Logger logs deliveries; nil means slog.Default().
	Logger *slog.Logger
	// Worker identifies this process on its outbox claims; "" means
	// host:pid.
	Worker string
	// Lease is how long a claimed event is held; 0 means the
	// configuration's lease, else DefaultLease. It is raised to four
	// times the longest endpoint timeout.
	Lease time.Duration
	// Getenv looks up secret_env variables; nil means os.Getenv.
	Getenv func(string) string
	// Client sends the webhooks; nil means NewHTTPClient().
	Client *http.Client
	// Metrics counts deliveries; nil means a new one (see
	// Deliverer.Metrics).
	Metrics *Metrics
}

// Deliverer delivers the outbox's events to the configured endpoints,
// one outbox consumer per endpoint.
type Deliverer struct {
	store   Store
	cfg     Config
	secrets map[string]Secret
	brk     map[string]*Breaker
	runners map[string]*outbox.Runner
	dead    DeadLetters
	client  *http.Client
	metrics *Metrics
	logger  *slog.Logger
}

// New returns a Deliverer of cfg's endpoints (cfg.Dir must be set, for
// the dead letters): it reads every endpoint's secret and registers its
// outbox consumer, without backfill — an endpoint receives the events
// written after it was first configured.
func New(ctx context.Context, store Store, cfg Config, opts Options) (*Deliverer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("webhooks.dir is empty: name the directory of the dead letters")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("webhooks.dir: %w", err)
	}
	d := &Deliverer{
		store: store, cfg: cfg, secrets: map[string]Secret{}, brk: map[string]*Breaker{}, runners: map[string]*outbox.Runner{},
		dead: DeadLetters{Dir: cfg.Dir}, client: opts.Client, metrics: opts.Metrics, logger: opts.Logger,
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if d.client == nil {
		d.client = NewHTTPClient()
	}
	if d.metrics == nil {
		d.metrics = &Metrics{}
	}
	if d.logger == nil {
		d.logger = slog.Default()
	}
	worker := opts.Worker
	if worker == "" {
		worker = outbox.DefaultWorker()
	}
	lease := opts.Lease
	if lease <= 0 {
		lease = cfg.Lease.D()
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	poll := cfg.PollInterval.D()
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	for i := range d.cfg.Endpoints {
		e := &d.cfg.Endpoints[i]
		s, err := e.LoadSecret(getenv)
		if err != nil {
			return nil, err
		}
		d.secrets[e.Name] = s
		d.brk[e.Name] = &Breaker{Failures: e.BreakerFailures, Cooldown: e.BreakerCooldown.D()}
		lease = max(lease, 4*e.Timeout.D())
	}
	for i := range d.cfg.Endpoints {
		e := &d.cfg.Endpoints[i]
		if err := outbox.Register(ctx, store, false, ConsumerPrefix+e.Name); err != nil {
			return nil, err
		}
		d.runners[e.Name] = &outbox.Runner{
			Store: store, Consumer: ConsumerPrefix + e.Name, Worker: worker, Lease: lease, PollInterval: poll,
			Backoff: func(attempt int) time.Duration { return backoff(e, attempt) },
			Pause:   d.brk[e.Name].OpenUntil, Logger: d.logger.With("endpoint", e.Name),
			Handle: func(ctx context.Context, dl registry.OutboxDelivery, attempt int) error {
				return d.handle(ctx, e, dl.Event, attempt)
			},
		}
	}
	return d, nil
}

// Metrics returns the delivery counters.
func (d *Deliverer) Metrics() *Metrics { return d.metrics }

// DeadLetters returns the dead letters' store.
func (d *Deliverer) DeadLetters() DeadLetters { return d.dead }

// Run delivers until ctx is done: one outbox.Runner per endpoint, each
// claiming the oldest undelivered event, sending it (retrying with
// exponential backoff and full jitter while its lease lasts, pausing
// while the endpoint's circuit breaker is open) and acknowledging it.
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range d.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Run(ctx)
		}()
	}
	wg.Wait()
}

// DeliverPending delivers every pending event of endpoint, oldest first,
// retrying each as Run does, and returns how many events it handled
// (delivered, dead-lettered or skipped). It stops at the first event
// that is still failing when its lease would run out.
func (d *Deliverer) DeliverPending(ctx context.Context, endpoint string) (int, error) {
	r, ok := d.runners[endpoint]
	if !ok {
		return 0, fmt.Errorf("no endpoint %q in webhooks.endpoints", endpoint)
	}
	return r.Drain(ctx)
}

// handle makes attempt n at sending event ev to endpoint e. It returns
// nil when the event is done with: delivered, not wanted by e, or
// dead-lettered.
func (d *Deliverer) handle(ctx context.Context, e *Endpoint, ev registry.OutboxEvent, n int) error {
	if !e.Wants(ev.Type, ev.Module) {
		d.metrics.Add(e.Name, OutcomeSkipped)
		return nil
	}
	body, err := BuildPayload(ctx, d.store, d.cfg.PublicURL, ev)
	if err != nil {
		return fmt.Errorf("webhook %s, event %d: %w", e.Name, ev.ID, err)
	}
	id := WebhookID(ev)
	brk := d.brk[e.Name]
	err = Send(ctx, d.client, e.URL, d.secrets[e.Name], id, body, time.Now(), e.Timeout.D())
	if err == nil {
		brk.Success()
		d.metrics.Add(e.Name, OutcomeDelivered)
		d.logger.Info("webhook delivered", "endpoint", e.Name, "event", ev.ID, "module", ev.Module, "version", ev.Version, "attempts", n)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	d.metrics.Add(e.Name, OutcomeFailed)
	opened := brk.Failure(time.Now())
	if opened {
		d.metrics.Add(e.Name, OutcomeBreakerOpen)
		d.logger.Warn("webhook circuit breaker open", "endpoint", e.Name, "cooldown", e.BreakerCooldown.D())
	}
	if age := time.Since(ev.CreatedAt); n >= e.MaxAttempts || age >= e.MaxAge.D() {
		letter := DeadLetter{
			Endpoint: e.Name, EventID: ev.ID, WebhookID: id, Type: ev.Type, Module: ev.Module, Version: ev.Version,
			URL: e.URL, Body: body, Attempts: n, EventTime: ev.CreatedAt, LastAttempt: time.Now(), LastError: err.Error(),
		}
		if perr := d.dead.Put(letter); perr != nil {
			return fmt.Errorf("webhook %s, event %d: %w", e.Name, ev.ID, perr)
		}
		d.metrics.Add(e.Name, OutcomeDeadLetter)
		d.logger.Error("webhook dead-lettered: re-drive it with `registryd webhooks redrive "+letter.ID()+"`",
			"endpoint", e.Name, "event", ev.ID, "module", ev.Module, "version", ev.Version, "attempts", n, "age", age.Round(time.Second), "error", err)
		return nil
	}
	err = fmt.Errorf("webhook %s, event %d: %w", e.Name, ev.ID, err)
	if opened {
		return outbox.RetryAfter(err, e.BreakerCooldown.D())
	}
	return err
}

// Redrive sends the dead letter id again to its endpoint as configured
// now (URL and secret), with its webhook-id and a fresh timestamp and
// signature, and removes it once the endpoint answered 2xx.
func Redrive(ctx context.Context, cfg *Config, getenv func(string) string, client *http.Client, id string) (DeadLetter, error) {
	dead := DeadLetters{Dir: cfg.Dir}
	l, err := dead.Get(id)
	if err != nil {
		return l, err
	}
	e, ok := cfg.Endpoint(l.Endpoint)
	if !ok {
		return l, fmt.Errorf("dead letter %s: no endpoint %q in webhooks.endpoints any more: configure it again to re-drive", id, l.Endpoint)
	}
	secret, err := e.LoadSecret(getenv)
	if err != nil {
		return l, err
	}
	if client == nil {
		client = NewHTTPClient()
	}
	if err := Send(ctx, client, e.URL, secret, l.WebhookID, l.Body, time.Now(), e.Timeout.D()); err != nil {
		return l, fmt.Errorf("re-drive %s to %s: %w (the dead letter is kept)", id, e.URL, err)
	}
	return l, dead.Remove(l.Endpoint, l.EventID)
}

// backoff returns the wait before retry attempt+1: a ceiling doubling
// from retry_initial to retry_max, with full jitter.
func backoff(e *Endpoint, attempt int) time.Duration {
	return retry.Backoff(attempt-1, e.RetryInitial.D(), e.RetryMax.D())
}
