package server

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
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
}

// LimitsConfig bounds requests and pushes.
type LimitsConfig struct {
	// MaxRequestBytes is the largest request body, after decompression.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// MaxFiles, MaxFileBytes, MaxTotalBytes and MaxPathBytes bound a
	// push's files; see registry.Limits.
	MaxFiles      int `yaml:"max_files"`
	MaxFileBytes  int `yaml:"max_file_bytes"`
	MaxTotalBytes int `yaml:"max_total_bytes"`
	MaxPathBytes  int `yaml:"max_path_bytes"`
}

// PushLimits returns the push limits, each zero replaced by its default.
func (l LimitsConfig) PushLimits() registry.Limits {
	d := registry.DefaultLimits
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	return registry.Limits{
		MaxFiles:      pick(l.MaxFiles, d.MaxFiles),
		MaxFileBytes:  pick(l.MaxFileBytes, d.MaxFileBytes),
		MaxTotalBytes: pick(l.MaxTotalBytes, d.MaxTotalBytes),
		MaxPathBytes:  pick(l.MaxPathBytes, d.MaxPathBytes),
	}
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
		return nil, fmt.Errorf("%s: %s: the keys are anonymous_read, limits (max_request_bytes, max_files, max_file_bytes, max_total_bytes, max_path_bytes) and policies", name, msg)
	}
	if c.PoliciesNode.Kind != 0 {
		specs, err := policies.Parse(name, &c.PoliciesNode)
		if err != nil {
			return nil, err
		}
		// Compile now, so that a mistake stops registryd at start.
		if _, err := policies.Compile(policies.Sources{Server: specs}); err != nil {
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
	return &c, nil
}
