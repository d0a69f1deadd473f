package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

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
	// RegisterConsumer registers an outbox consumer.
	RegisterConsumer(ctx context.Context, name string, backfill bool) (registry.OutboxConsumer, error)
	// ClaimOutbox claims a consumer's oldest unacknowledged events.
	ClaimOutbox(ctx context.Context, c registry.OutboxClaim) ([]registry.OutboxDelivery, error)
	// AckOutbox acknowledges a delivery.
	AckOutbox(ctx context.Context, consumer string, eventID int64) error
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
	dead    DeadLetters
	client  *http.Client
	metrics *Metrics
	logger  *slog.Logger
	worker  string
	lease   time.Duration

	mu       sync.Mutex
	attempts map[attemptKey]int
}

type attemptKey struct {
	endpoint string
	event    int64
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
		store: store, cfg: cfg, secrets: map[string]Secret{}, brk: map[string]*Breaker{},
		dead: DeadLetters{Dir: cfg.Dir}, client: opts.Client, metrics: opts.Metrics, logger: opts.Logger,
		worker: opts.Worker, lease: opts.Lease, attempts: map[attemptKey]int{},
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
	if d.worker == "" {
		host, _ := os.Hostname()
		d.worker = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if d.lease <= 0 {
		d.lease = cfg.Lease.D()
	}
	if d.lease <= 0 {
		d.lease = DefaultLease
	}
	for i := range cfg.Endpoints {
		e := &cfg.Endpoints[i]
		s, err := e.LoadSecret(getenv)
		if err != nil {
			return nil, err
		}
		d.secrets[e.Name] = s
		d.brk[e.Name] = &Breaker{Failures: e.BreakerFailures, Cooldown: e.BreakerCooldown.D()}
		d.lease = max(d.lease, 4*e.Timeout.D())
	}
	for _, e := range cfg.Endpoints {
		if _, err := store.RegisterConsumer(ctx, ConsumerPrefix+e.Name, false); err != nil {
			return nil, fmt.Errorf("register outbox consumer %s: %w", ConsumerPrefix+e.Name, err)
		}
	}
	return d, nil
}

// Metrics returns the delivery counters.
func (d *Deliverer) Metrics() *Metrics { return d.metrics }

// DeadLetters returns the dead letters' store.
func (d *Deliverer) DeadLetters() DeadLetters { return d.dead }

// Run delivers until ctx is done: one loop per endpoint, each claiming
// the oldest undelivered event, sending it (retrying with exponential
// backoff and full jitter while its lease lasts) and acknowledging it.
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range d.cfg.Endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run(ctx, &d.cfg.Endpoints[i])
		}()
	}
	wg.Wait()
}

func (d *Deliverer) run(ctx context.Context, e *Endpoint) {
	poll := d.cfg.PollInterval.D()
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	failures := 0
	for ctx.Err() == nil {
		if until := d.brk[e.Name].OpenUntil(); time.Now().Before(until) {
			if retry.Sleep(ctx, time.Until(until)) != nil {
				return
			}
		}
		did, err := d.step(ctx, e)
		var wait time.Duration
		switch {
		case err != nil:
			failures++
			wait = backoff(e, failures)
		case did:
			failures = 0
			continue
		default:
			failures, wait = 0, poll
		}
		if retry.Sleep(ctx, wait) != nil {
			return
		}
	}
}

// DeliverPending delivers every pending event of endpoint, oldest first,
// retrying each as Run does, and returns how many events it handled
// (delivered, dead-lettered or skipped). It stops at the first event
// that is still failing when its lease would run out.
func (d *Deliverer) DeliverPending(ctx context.Context, endpoint string) (int, error) {
	e, ok := d.cfg.Endpoint(endpoint)
	if !ok {
		return 0, fmt.Errorf("no endpoint %q in webhooks.endpoints", endpoint)
	}
	n := 0
	for {
		did, err := d.step(ctx, e)
		if err != nil || !did {
			return n, err
		}
		n++
	}
}

// step claims one event of e and handles it; did is false when none was
// pending.
func (d *Deliverer) step(ctx context.Context, e *Endpoint) (did bool, err error) {
	consumer := ConsumerPrefix + e.Name
	ds, err := d.store.ClaimOutbox(ctx, registry.OutboxClaim{Consumer: consumer, Worker: d.worker, Limit: 1, Lease: d.lease})
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", consumer, err)
	}
	if len(ds) == 0 {
		return false, nil
	}
	dl := ds[0]
	ev := dl.Event
	ack := func() error {
		if err := d.store.AckOutbox(ctx, consumer, ev.ID); err != nil {
			return fmt.Errorf("acknowledge event %d of %s: %w", ev.ID, consumer, err)
		}
		d.mu.Lock()
		delete(d.attempts, attemptKey{e.Name, ev.ID})
		d.mu.Unlock()
		return nil
	}
	if !e.Wants(ev.Type, ev.Module) {
		d.metrics.Add(e.Name, OutcomeSkipped)
		return true, ack()
	}
	body, err := BuildPayload(ctx, d.store, d.cfg.PublicURL, ev)
	if err != nil {
		return false, fmt.Errorf("webhook %s, event %d: %w", e.Name, ev.ID, err)
	}
	id := WebhookID(ev)
	brk := d.brk[e.Name]
	for {
		n := d.attempt(e.Name, ev.ID, dl.Attempts)
		now := time.Now()
		err := Send(ctx, d.client, e.URL, d.secrets[e.Name], id, body, now, e.Timeout.D())
		if err == nil {
			brk.Success()
			d.metrics.Add(e.Name, OutcomeDelivered)
			d.logger.Info("webhook delivered", "endpoint", e.Name, "event", ev.ID, "module", ev.Module, "version", ev.Version, "attempts", n)
			return true, ack()
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
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
				return false, fmt.Errorf("webhook %s, event %d: %w", e.Name, ev.ID, perr)
			}
			d.metrics.Add(e.Name, OutcomeDeadLetter)
			d.logger.Error("webhook dead-lettered: re-drive it with `registryd webhooks redrive "+letter.ID()+"`",
				"endpoint", e.Name, "event", ev.ID, "module", ev.Module, "version", ev.Version, "attempts", n, "age", age.Round(time.Second), "error", err)
			return true, ack()
		}
		wait := backoff(e, n)
		if opened {
			wait = max(wait, e.BreakerCooldown.D())
		}
		if time.Now().Add(wait).After(dl.LeaseUntil.Add(-d.lease / 4)) {
			// Let the lease run out: the event is claimed again then,
			// by this worker or another.
			d.logger.Warn("webhook failed; the event will be claimed again when its lease ends",
				"endpoint", e.Name, "event", ev.ID, "attempts", n, "lease_until", dl.LeaseUntil, "error", err)
			return false, fmt.Errorf("webhook %s, event %d: %w", e.Name, ev.ID, err)
		}
		d.logger.Warn("webhook failed; retrying", "endpoint", e.Name, "event", ev.ID, "attempts", n, "retry_in", wait, "error", err)
		if serr := retry.Sleep(ctx, wait); serr != nil {
			return false, serr
		}
	}
}

// attempt counts an attempt at an event and returns its number: claims
// of the event before this process saw it count as attempts.
func (d *Deliverer) attempt(endpoint string, event int64, claims int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := attemptKey{endpoint, event}
	n, ok := d.attempts[k]
	if !ok {
		n = max(claims-1, 0)
	}
	n++
	d.attempts[k] = n
	return n
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
