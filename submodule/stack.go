package submodule

import (
	"fmt"
	"path"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/registry"
)

// Config is the stacks: section of registryd's configuration:
//
//	stacks:
//	  dir: /var/lib/pbregistry/git     # default: <data-dir>/git
//	  public_url: https://registry.acme.com   # in pbregistry.lock and the README
//	  poll_interval: 2s                # how often each publisher looks at the outbox
//	  repack_every: 100                # publications between repacks; -1: never
//	  repos:
//	    - name: go                     # served at /git/go.git
//	      modules: ["acme/**"]         # module globs; default: every module
//	      packages: ["acme.**"]        # proto package globs; default: every package
//	      prefix: proto                # import root; default: the repository root
//	      files:                       # extra files: path -> content
//	        buf.gen.yaml: |
//	          version: v2
//	      mirrors:                     # pushed to after each publication
//	        - url: https://github.com/acme/protos-go.git
//	          username: x-access-token # default: pbregistry
//	          password_env: GITHUB_TOKEN   # or password_file: /run/secrets/gh
//
// Module globs are those of token scopes (auth.MatchModule): "*" matches
// within one segment, a trailing "/**" any number of segments. Package
// globs are the same over the package's dot-separated segments:
// "acme.*.v1", "acme.**".
type Config struct {
	// Dir holds one bare repository per stack, <name>.git.
	Dir string `yaml:"dir"`
	// PublicURL is the registry's URL as product repositories reach it,
	// e.g. https://registry.acme.com; the clone URLs are
	// <PublicURL>/git/<stack>.git.
	PublicURL string `yaml:"public_url"`
	// PollInterval is how often each publisher looks for new events when
	// idle; 0 means 2s.
	PollInterval Duration `yaml:"poll_interval"`
	// RepackEvery is how many publications of a stack go between two
	// repacks of its repository (git repack -d and git pack-refs), so
	// that it does not grow into thousands of loose objects and refs; 0
	// means 100, -1 never.
	RepackEvery int `yaml:"repack_every"`
	// Repos are the stacks.
	Repos []Stack `yaml:"repos"`
}

// Stack is one published repository.
type Stack struct {
	// Name names the stack and its repository: 1 to 64 lower-case
	// letters, digits, '-' and '_', starting with a letter.
	Name string `yaml:"name"`
	// Modules are globs of the modules that go in; empty means all.
	Modules []string `yaml:"modules"`
	// Packages are globs of the proto packages that go in; empty means
	// all.
	Packages []string `yaml:"packages"`
	// Prefix is the directory of the import root inside the repository;
	// empty means the repository root.
	Prefix string `yaml:"prefix"`
	// Files are extra files, by path.
	Files map[string]string `yaml:"files"`
	// Mirrors are remote repositories each publication is pushed to.
	Mirrors []Mirror `yaml:"mirrors"`
}

// Duration is a time.Duration written as "2s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a duration such as "2s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration: write e.g. 2s or 500ms", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Reserved names are files every publication writes itself.
const (
	// LockFile is the manifest of a publication.
	LockFile = "pbregistry.lock"
	// ReadmeFile is the generated README.
	ReadmeFile = "README.md"
)

var (
	configKeys = []string{"dir", "public_url", "poll_interval", "repack_every", "repos"}
	stackKeys  = []string{"name", "modules", "packages", "prefix", "files", "mirrors"}
)

// UnmarshalYAML decodes the stacks: section, refusing unknown keys with
// their line, and validates it.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if err := config.KnownKeys(n, "stacks", configKeys); err != nil {
		return err
	}
	if rs := config.MapValue(n, "repos"); rs != nil && rs.Kind == yaml.SequenceNode {
		for i, r := range rs.Content {
			if err := config.KnownKeys(r, fmt.Sprintf("stacks.repos[%d]", i), stackKeys); err != nil {
				return err
			}
			if ms := config.MapValue(r, "mirrors"); ms != nil && ms.Kind == yaml.SequenceNode {
				for j, m := range ms.Content {
					where := fmt.Sprintf("stacks.repos[%d].mirrors[%d]", i, j)
					if k := config.MapKey(m, "password"); k != nil {
						return fmt.Errorf("line %d: %s: passwords are never written in the configuration: use password_env (an environment variable) or password_file (a file)", k.Line, where)
					}
					if err := config.KnownKeys(m, where, mirrorKeys); err != nil {
						return err
					}
				}
			}
		}
	}
	type plain Config
	var p plain
	if err := n.Decode(&p); err != nil {
		return fmt.Errorf("stacks: %w", err)
	}
	*c = Config(p)
	return c.Validate()
}

// Validate returns an error naming the first mistake in c, and
// normalises it (a prefix loses its surrounding slashes).
func (c *Config) Validate() error {
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("stacks.public_url %q: write the registry's URL, e.g. https://registry.acme.com", c.PublicURL)
	}
	if c.RepackEvery < -1 {
		return fmt.Errorf("stacks.repack_every is %d: write a number of publications, 0 for the default (100) or -1 for never", c.RepackEvery)
	}
	seen := map[string]bool{}
	for i := range c.Repos {
		s := &c.Repos[i]
		where := fmt.Sprintf("stacks.repos[%d]", i)
		if err := ValidateStackName(s.Name); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		where = fmt.Sprintf("stacks.repos[%d] (%s)", i, s.Name)
		if seen[s.Name] {
			return fmt.Errorf("%s: the name is used twice: give every stack its own", where)
		}
		seen[s.Name] = true
		if err := s.validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

// ValidateStackName returns an error unless name is a valid stack name.
func ValidateStackName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("stack name %q must be 1 to 64 characters", registry.Truncate(name, 80))
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_')) {
			return fmt.Errorf("stack name %q: use lower-case letters, digits, '-' and '_', starting with a letter", name)
		}
	}
	return nil
}

func (s *Stack) validate() error {
	for i, g := range s.Modules {
		if err := validateGlob(g, "/"); err != nil {
			return fmt.Errorf("modules[%d]: %w: write a module glob such as \"acme/*\" or \"acme/**\"", i, err)
		}
	}
	for i, g := range s.Packages {
		if err := validateGlob(g, "."); err != nil {
			return fmt.Errorf("packages[%d]: %w: write a package glob such as \"acme.billing.*\" or \"acme.**\"", i, err)
		}
	}
	if s.Prefix != "" {
		s.Prefix = strings.Trim(s.Prefix, "/")
		if err := ValidatePath(s.Prefix); err != nil {
			return fmt.Errorf("prefix: %w", err)
		}
	}
	seen := map[string]bool{}
	for i := range s.Mirrors {
		m := &s.Mirrors[i]
		if err := m.validate(); err != nil {
			return fmt.Errorf("mirrors[%d]: %w", i, err)
		}
		if seen[m.URL] {
			return fmt.Errorf("mirrors[%d]: %s is listed twice", i, m.URL)
		}
		seen[m.URL] = true
	}
	for p := range s.Files {
		if err := ValidatePath(p); err != nil {
			return fmt.Errorf("files: %w", err)
		}
		if p == LockFile || p == ReadmeFile {
			return fmt.Errorf("files: %q is written by the registry: choose another path", p)
		}
		if s.Prefix == "" && strings.HasSuffix(p, ".proto") || s.Prefix != "" && strings.HasPrefix(p, s.Prefix+"/") {
			return fmt.Errorf("files: %q is where the stack's protos go: put extra files outside the import root", p)
		}
	}
	return nil
}

// validateGlob checks a glob whose segments are separated by sep.
func validateGlob(g, sep string) error {
	if g == "" {
		return fmt.Errorf("the glob is empty")
	}
	if strings.ContainsAny(g, " \t\n\\") {
		return fmt.Errorf("glob %q contains a space or backslash", g)
	}
	if _, err := path.Match(strings.ReplaceAll(g, sep, "/"), ""); err != nil {
		return fmt.Errorf("glob %q: %v", g, err)
	}
	return nil
}

// HasModule reports whether module goes in the stack.
func (s *Stack) HasModule(module string) bool {
	if len(s.Modules) == 0 {
		return true
	}
	for _, g := range s.Modules {
		if auth.MatchModule(g, module) {
			return true
		}
	}
	return false
}

// HasPackage reports whether proto package pkg goes in the stack.
func (s *Stack) HasPackage(pkg string) bool {
	if len(s.Packages) == 0 {
		return true
	}
	for _, g := range s.Packages {
		if auth.MatchModule(strings.ReplaceAll(g, ".", "/"), strings.ReplaceAll(pkg, ".", "/")) {
			return true
		}
	}
	return false
}

// Stack returns the stack named name.
func (c *Config) Stack(name string) (*Stack, bool) {
	for i := range c.Repos {
		if c.Repos[i].Name == name {
			return &c.Repos[i], true
		}
	}
	return nil, false
}
