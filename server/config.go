package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server/confluent"
)

// Config is registryd's own configuration file (--config), YAML:
//
//	anonymous_read: true        # requests without a token may read
//	limits:
//	  max_request_bytes: 70000000
//	  max_files: 5000
//	  max_file_bytes: 4194304
//	  max_total_bytes: 67108864
//	  max_path_bytes: 1024
//	policies:                   # server-wide policies, see docs/policies.md:
//	  - name: NO_FLOATS         # enforced on every module, which cannot
//	    target: field           # override them
//	    expr: field.type != "float"
//	http:                       # connections and requests (HTTPConfig)
//	  read_header_timeout: 10s  # to read a request's headers
//	  read_timeout: 30s         # a body's grace on top of what min_body_rate earns it
//	  write_timeout: 30s        # a response's grace on top of what min_body_rate earns it
//	  min_body_rate: 16384      # bytes/s a body must average after the grace, sent or read
//	  idle_timeout: 2m          # keep-alive connections idle longer are closed
//	  max_concurrent_requests: 128    # past it: 503 + Retry-After
//	  max_inflight_bytes: 268435456   # request bytes held at once; past it: 503 + Retry-After
//	  trusted_proxies: []       # proxies whose X-Forwarded-For is believed
//	rate_limits:                # per client; off (0) by default
//	  per_ip:    {requests_per_second: 0, burst: 0}   # anonymous or unknown token; past it: 429 + Retry-After
//	  per_token: {requests_per_second: 0, burst: 0}   # a valid token; burst 0: twice the rate
//	database:                   # PostgreSQL only; 0: the store's default
//	  max_conns: 0              # connections in the pool
//	  lock_timeout: 0s          # a statement's wait for a lock
//	  statement_timeout: 0s     # one statement
//
// Every key is optional; zero values take the defaults.
type Config struct {
	// AnonymousRead lets requests without a token read when a tokens
	// file is in force; nil means the flag's value (default true).
	AnonymousRead *bool `yaml:"anonymous_read"`
	// Limits bound requests and pushes.
	Limits LimitsConfig `yaml:"limits"`
	// PoliciesNode is the policies: list, as written.
	PoliciesNode yaml.Node `yaml:"policies"`
	// Policies are the server-wide policies parsed from PoliciesNode.
	Policies []policies.Spec `yaml:"-"`
	// HTTP bounds connections and requests.
	HTTP HTTPConfig `yaml:"http"`
	// RateLimits limits how often one client may call.
	RateLimits RateLimitsConfig `yaml:"rate_limits"`
	// Database tunes the PostgreSQL store.
	Database DatabaseConfig `yaml:"database"`
	// Stacks are the per-stack git repositories the registry publishes.
	Stacks StacksConfig `yaml:"stacks"`
	// Cache bounds the read cache of immutable version bytes.
	Cache CacheConfig `yaml:"cache"`
	// Webhooks are the HTTP endpoints the registry calls on every event.
	Webhooks WebhooksConfig `yaml:"webhooks"`
	// Confluent is Confluent's Schema Registry API (package
	// server/confluent), served by default at the root paths.
	Confluent confluent.Config `yaml:"confluent"`
	// Lakehouse bounds the history the dbt and pbtable RPCs read.
	Lakehouse LakehouseConfig `yaml:"lakehouse"`
}

// LimitsConfig bounds requests, pushes and policies: the keys of
// registry.Limits and policies.Limits, inline, plus max_request_bytes.
// docs/operations.md lists every key with its default.
type LimitsConfig struct {
	// MaxRequestBytes is the largest request body, after decompression.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// Limits bound a push: its files, build metadata, subjects, admin
	// strings, compile time and retries (registry.Limits).
	registry.Limits `yaml:",inline"`
	// Policies bound policies and what evaluating them may cost
	// (policies.Limits).
	Policies policies.Limits `yaml:",inline"`
}

// PushLimits returns the push limits, each zero replaced by its default.
func (l LimitsConfig) PushLimits() registry.Limits {
	return l.Limits.WithDefaults()
}

// RequestLimit returns the largest request body: MaxRequestBytes, or the
// push limit of total file bytes plus 1 MiB for paths and framing.
func (l LimitsConfig) RequestLimit() int {
	if l.MaxRequestBytes > 0 {
		return l.MaxRequestBytes
	}
	return l.PushLimits().MaxTotalBytes + 1<<20
}

// LoadConfig reads registryd's configuration file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registryd config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses registryd's configuration; name names the file in
// errors. Unknown keys are errors, with their line.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	if len(bytes.TrimSpace(data)) == 0 {
		return &c, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "unmarshal errors:\n  ", "")
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, msg)
		}
		if !strings.Contains(msg, " not found in type ") {
			return nil, fmt.Errorf("%s: %s: write a number for counts, bytes and rates, a duration such as 30s for timeouts, true or false for anonymous_read", name, msg)
		}
		return nil, fmt.Errorf("%s: %s: the keys are anonymous_read, limits (max_request_bytes, max_files, max_file_bytes, max_total_bytes, max_path_bytes and the others docs/operations.md lists), policies, "+
			"http (read_header_timeout, read_timeout, write_timeout, min_body_rate, idle_timeout, max_concurrent_requests, max_inflight_bytes, trusted_proxies), "+
			"rate_limits (per_ip, per_token: requests_per_second, burst), database (max_conns, lock_timeout, statement_timeout), stacks (dir, public_url, poll_interval, repack_every, repos), cache (max_bytes), webhooks (dir, public_url, poll_interval, lease, endpoints), confluent (enabled, prefix, module_prefix, max_schema_bytes, max_references, max_reference_depth, max_request_bytes, max_list) and lakehouse (max_history_versions, max_history_bytes)", name, msg)
	}
	if c.PoliciesNode.Kind != 0 {
		specs, err := policies.Parse(name, &c.PoliciesNode)
		if err != nil {
			return nil, err
		}
		// Compile now, so that a mistake stops registryd at start.
		if _, err := policies.Compile(policies.Sources{Server: specs, Limits: c.Limits.Policies}); err != nil {
			return nil, err
		}
		c.Policies = specs
	}
	for key, v := range map[string]int{
		"max_request_bytes": c.Limits.MaxRequestBytes, "max_files": c.Limits.MaxFiles, "max_file_bytes": c.Limits.MaxFileBytes,
		"max_total_bytes": c.Limits.MaxTotalBytes, "max_path_bytes": c.Limits.MaxPathBytes,
	} {
		if v < 0 {
			return nil, fmt.Errorf("%s: limits.%s is %d: use a positive number, or leave it out for the default", name, key, v)
		}
	}
	if err := c.validateRuntime(name); err != nil {
		return nil, err
	}
	if err := c.Confluent.Validate(name); err != nil {
		return nil, err
	}
	if err := c.Lakehouse.validate(name); err != nil {
		return nil, err
	}
	return &c, nil
}
