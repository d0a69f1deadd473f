package webhook

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/registry"
)

// ConsumerPrefix starts the outbox consumer name of every endpoint:
// "webhook.<name>".
const ConsumerPrefix = "webhook."

// Defaults of an Endpoint's settings.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxAttempts     = 10
	DefaultMaxAge          = 24 * time.Hour
	DefaultRetryInitial    = time.Second
	DefaultRetryMax        = 5 * time.Minute
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = time.Minute
	DefaultPollInterval    = 2 * time.Second
	// MaxTimeout bounds an attempt's timeout.
	MaxTimeout = 5 * time.Minute
)

// EventTypes are the event types an endpoint can subscribe to.
var EventTypes = []string{registry.EventVersionAccepted}

// Config is the webhooks: section of registryd's configuration:
//
//	webhooks:
//	  dir: /var/lib/pbregistry/webhooks  # dead letters; default: <data-dir>/webhooks
//	  public_url: https://registry.acme.com   # base of the payload's links
//	  poll_interval: 2s                  # how often an idle endpoint looks at the outbox
//	  lease: 1m                          # after a crash, an event is sent again this late
//	  endpoints:
//	    - name: ci                       # outbox consumer webhook.ci
//	      url: https://ci.acme.com/hooks/pbregistry
//	      modules: ["acme/**"]           # module globs; default: every module
//	      events: [module.version.accepted]   # default: every event type
//	      secret_env: PBREGISTRY_WEBHOOK_CI   # or secret_file: /run/secrets/ci
//	      timeout: 10s                   # per attempt, whole request
//	      max_attempts: 10               # then a dead letter
//	      max_age: 24h                   # or when the event is this old
//	      retry_initial: 1s              # backoff: first ceiling…
//	      retry_max: 5m                  # …doubling up to this, full jitter
//	      breaker_failures: 5            # consecutive failures that open the breaker
//	      breaker_cooldown: 1m           # how long it stays open
//
// Module globs are those of token scopes (auth.MatchModule). Secrets are
// never written in the file: secret_env names an environment variable,
// secret_file a file, holding "whsec_" and the base64 of 24 to 64 random
// bytes (Standard Webhooks).
type Config struct {
	// Dir holds the dead letters.
	Dir string `yaml:"dir"`
	// PublicURL is the registry's URL as receivers reach it; the
	// payload's links start with it. Empty means no links.
	PublicURL string `yaml:"public_url"`
	// PollInterval is how often an idle endpoint looks for new events;
	// 0 means 2s.
	PollInterval Duration `yaml:"poll_interval"`
	// Lease is how long a claimed event is held: after a crash, the event
	// is sent again once its lease ends. 0 means 1m; it is raised to four
	// times the longest endpoint timeout.
	Lease Duration `yaml:"lease"`
	// Endpoints are the receivers.
	Endpoints []Endpoint `yaml:"endpoints"`
}

// Endpoint is one receiver of webhooks.
type Endpoint struct {
	// Name names the endpoint and its outbox consumer: 1 to 64
	// lower-case letters, digits, '-' and '_', starting with a letter.
	Name string `yaml:"name"`
	// URL is where events are POSTed: http or https.
	URL string `yaml:"url"`
	// Modules are globs of the modules whose events are sent; empty
	// means all.
	Modules []string `yaml:"modules"`
	// Events are the event types sent; empty means all.
	Events []string `yaml:"events"`
	// SecretEnv names the environment variable holding the signing
	// secret.
	SecretEnv string `yaml:"secret_env"`
	// SecretFile is the file holding the signing secret.
	SecretFile string `yaml:"secret_file"`
	// Timeout bounds each attempt, from connecting to reading the
	// response; 0 means 10s.
	Timeout Duration `yaml:"timeout"`
	// MaxAttempts is how many attempts an event gets before it becomes a
	// dead letter; 0 means 10.
	MaxAttempts int `yaml:"max_attempts"`
	// MaxAge is how old an event may get (since it was written) before a
	// failed attempt makes it a dead letter; 0 means 24h.
	MaxAge Duration `yaml:"max_age"`
	// RetryInitial is the first retry's backoff ceiling; 0 means 1s.
	RetryInitial Duration `yaml:"retry_initial"`
	// RetryMax is the largest backoff ceiling; 0 means 5m.
	RetryMax Duration `yaml:"retry_max"`
	// BreakerFailures is how many consecutive failures open the
	// endpoint's circuit breaker; 0 means 5.
	BreakerFailures int `yaml:"breaker_failures"`
	// BreakerCooldown is how long an open breaker pauses the endpoint;
	// 0 means 1m.
	BreakerCooldown Duration `yaml:"breaker_cooldown"`
}

var (
	configKeys   = []string{"dir", "public_url", "poll_interval", "lease", "endpoints"}
	endpointKeys = []string{"name", "url", "modules", "events", "secret_env", "secret_file", "timeout", "max_attempts", "max_age",
		"retry_initial", "retry_max", "breaker_failures", "breaker_cooldown"}
)

// UnmarshalYAML decodes the webhooks: section, refusing unknown keys with
// their line, and validates it.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if err := config.KnownKeys(n, "webhooks", configKeys); err != nil {
		return err
	}
	if err := config.EachEntry(n, "endpoints", "webhooks.endpoints", "secret", endpointKeys, nil); err != nil {
		return err
	}
	type plain Config
	var p plain
	if err := n.Decode(&p); err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	*c = Config(p)
	return c.Validate()
}

// Validate returns an error naming the first mistake in c, and fills in
// the endpoints' defaults. It does not read the secrets: see
// Endpoint.LoadSecret.
func (c *Config) Validate() error {
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhooks.public_url %q: write the registry's URL, e.g. https://registry.acme.com", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	return config.ValidateNamedEntries("webhooks.endpoints", "endpoint", len(c.Endpoints),
		func(i int) string { return c.Endpoints[i].Name },
		func(i int) error { return c.Endpoints[i].validate() })
}

// Endpoint returns the endpoint named name.
func (c *Config) Endpoint(name string) (*Endpoint, bool) {
	for i := range c.Endpoints {
		if c.Endpoints[i].Name == name {
			return &c.Endpoints[i], true
		}
	}
	return nil, false
}

// ValidateName returns an error unless name is a valid endpoint name.
func ValidateName(name string) error {
	return config.ValidateName("endpoint", name)
}

// ValidateURL returns an error unless u is an absolute http or https URL
// with a host and no user information.
func ValidateURL(u string) error {
	pu, err := url.Parse(u)
	switch {
	case u == "":
		return fmt.Errorf("url is empty: write the receiver's http or https URL")
	case err != nil:
		return fmt.Errorf("url %q: %v", u, err)
	case pu.Scheme != "http" && pu.Scheme != "https":
		return fmt.Errorf("url %q: the scheme must be http or https, not %q", u, pu.Scheme)
	case pu.Host == "" || pu.Hostname() == "":
		return fmt.Errorf("url %q has no host", u)
	case pu.User != nil:
		return fmt.Errorf("url %q carries credentials: the signature authenticates the registry, leave user:password out", redactUser(pu))
	}
	return nil
}

func redactUser(u *url.URL) string {
	c := *u
	c.User = url.User("***")
	return c.String()
}

func (e *Endpoint) validate() error {
	if err := ValidateURL(e.URL); err != nil {
		return err
	}
	for i, g := range e.Modules {
		if err := validateGlob(g); err != nil {
			return fmt.Errorf("modules[%d]: %w: write a module glob such as \"acme/*\" or \"acme/**\"", i, err)
		}
	}
	for i, t := range e.Events {
		if !slices.Contains(EventTypes, t) {
			return fmt.Errorf("events[%d]: unknown event type %q: the types are %s", i, t, strings.Join(EventTypes, ", "))
		}
	}
	switch {
	case e.SecretEnv == "" && e.SecretFile == "":
		return fmt.Errorf("no signing secret: set secret_env (an environment variable) or secret_file (a file) holding whsec_ and base64")
	case e.SecretEnv != "" && e.SecretFile != "":
		return fmt.Errorf("both secret_env and secret_file are set: keep one")
	}
	if e.Timeout.D() > MaxTimeout {
		return fmt.Errorf("timeout %s is over %s: receivers should answer quickly and work afterwards", e.Timeout.D(), MaxTimeout)
	}
	for key, v := range map[string]int{"max_attempts": e.MaxAttempts, "breaker_failures": e.BreakerFailures} {
		if v < 0 {
			return fmt.Errorf("%s is %d: write a positive number, or leave it out for the default", key, v)
		}
	}
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&e.Timeout, DefaultTimeout)
	def(&e.MaxAge, DefaultMaxAge)
	def(&e.RetryInitial, DefaultRetryInitial)
	def(&e.RetryMax, DefaultRetryMax)
	def(&e.BreakerCooldown, DefaultBreakerCooldown)
	if e.MaxAttempts == 0 {
		e.MaxAttempts = DefaultMaxAttempts
	}
	if e.BreakerFailures == 0 {
		e.BreakerFailures = DefaultBreakerFailures
	}
	if e.RetryMax < e.RetryInitial {
		return fmt.Errorf("retry_max %s is less than retry_initial %s", e.RetryMax.D(), e.RetryInitial.D())
	}
	return nil
}

// Wants reports whether the endpoint is sent events of type typ about
// module.
func (e *Endpoint) Wants(typ, module string) bool {
	if len(e.Events) > 0 && !slices.Contains(e.Events, typ) {
		return false
	}
	if len(e.Modules) == 0 {
		return true
	}
	for _, g := range e.Modules {
		if auth.MatchModule(g, module) {
			return true
		}
	}
	return false
}

// validateGlob checks a module glob.
func validateGlob(g string) error {
	if g == "" {
		return fmt.Errorf("the glob is empty")
	}
	if strings.ContainsAny(g, " \t\n\\") {
		return fmt.Errorf("glob %q contains a space or backslash", g)
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("glob %q: %v", g, err)
	}
	return nil
}
