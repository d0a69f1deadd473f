package confluent

import (
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/registry"
)

// Config is the confluent: section of registryd's configuration:
//
//	confluent:
//	  enabled: true                 # serve the API (default true)
//	  prefix: ""                    # URL path prefix, e.g. /confluent; default: the root paths clients expect
//	  module_prefix: confluent      # subject S is module <module_prefix>/<S>
//	  max_schema_bytes: 1048576     # a schema's text; past it: 42209
//	  max_references: 100           # files a registration imports, transitively; past it: 42201
//	  max_reference_depth: 16       # length of a chain of references; past it: 42201
//	  max_request_bytes: 2162688    # a request body; default 2 × max_schema_bytes + 64 KiB
//	  max_list: 100000              # subjects, versions or ids one listing returns
//
// Every key is optional; zero values take the defaults.
type Config struct {
	// Enabled serves the API; nil means true.
	Enabled *bool `yaml:"enabled"`
	// Prefix is the URL path prefix of every endpoint: "" (the default)
	// serves /subjects, /schemas, … at the root, where Kafka clients
	// look for them.
	Prefix string `yaml:"prefix"`
	// ModulePrefix names the module of each Confluent subject:
	// <ModulePrefix>/<encoded subject>. Default "confluent". Changing it
	// hides the subjects registered before.
	ModulePrefix string `yaml:"module_prefix"`
	// MaxSchemaBytes bounds a schema's text.
	MaxSchemaBytes int `yaml:"max_schema_bytes"`
	// MaxReferences bounds the schemas one registration imports,
	// directly or not.
	MaxReferences int `yaml:"max_references"`
	// MaxReferenceDepth bounds a chain of references.
	MaxReferenceDepth int `yaml:"max_reference_depth"`
	// MaxRequestBytes bounds a request body.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// MaxList bounds the items of one listing.
	MaxList int `yaml:"max_list"`
}

// The defaults of Config.
const (
	DefaultModulePrefix      = "confluent"
	DefaultMaxSchemaBytes    = 1 << 20
	DefaultMaxReferences     = 100
	DefaultMaxReferenceDepth = 16
	DefaultMaxList           = 100000
)

// IsEnabled reports whether the API is served.
func (c Config) IsEnabled() bool { return c.Enabled == nil || *c.Enabled }

// WithDefaults returns c with each zero value replaced by its default.
func (c Config) WithDefaults() Config {
	if c.ModulePrefix == "" {
		c.ModulePrefix = DefaultModulePrefix
	}
	if c.MaxSchemaBytes == 0 {
		c.MaxSchemaBytes = DefaultMaxSchemaBytes
	}
	if c.MaxReferences == 0 {
		c.MaxReferences = DefaultMaxReferences
	}
	if c.MaxReferenceDepth == 0 {
		c.MaxReferenceDepth = DefaultMaxReferenceDepth
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = 2*c.MaxSchemaBytes + 64<<10
	}
	if c.MaxList == 0 {
		c.MaxList = DefaultMaxList
	}
	c.Prefix = strings.TrimSuffix(c.Prefix, "/")
	return c
}

// Validate returns an error naming the key of c that is wrong; file names
// the configuration file.
func (c Config) Validate(file string) error {
	if c.Prefix != "" && (!strings.HasPrefix(c.Prefix, "/") || strings.ContainsAny(c.Prefix, "{}?#* ") || strings.Contains(c.Prefix, "//")) {
		return fmt.Errorf("%s: confluent.prefix %q is not a URL path: write it as /confluent, or leave it out to serve at the root", file, c.Prefix)
	}
	if c.ModulePrefix != "" {
		if err := registry.ValidateModuleName(c.ModulePrefix); err != nil {
			return fmt.Errorf("%s: confluent.module_prefix: %w", file, err)
		}
		if strings.ToLower(c.ModulePrefix) != c.ModulePrefix {
			return fmt.Errorf("%s: confluent.module_prefix %q has uppercase letters: module names are lowercase", file, c.ModulePrefix)
		}
		if len(c.ModulePrefix) > registry.MaxModuleNameLength/2 {
			return fmt.Errorf("%s: confluent.module_prefix is longer than %d bytes: leave room for the subjects' names", file, registry.MaxModuleNameLength/2)
		}
	}
	for key, v := range map[string]int{
		"max_schema_bytes": c.MaxSchemaBytes, "max_references": c.MaxReferences, "max_reference_depth": c.MaxReferenceDepth,
		"max_request_bytes": c.MaxRequestBytes, "max_list": c.MaxList,
	} {
		if v < 0 {
			return fmt.Errorf("%s: confluent.%s is %d: use a positive number, or leave it out for the default", file, key, v)
		}
	}
	return nil
}
