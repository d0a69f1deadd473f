package submodule_test

import (
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/server"
	"github.com/pbregistry/pbregistry/submodule"
)

// TestParseStacksConfig parses registryd configurations with a stacks:
// section, good and bad.
func TestParseStacksConfig(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"good", `
stacks:
  dir: /var/lib/pbregistry/git
  public_url: https://registry.acme.com
  poll_interval: 5s
  repos:
    - name: go
      modules: ["acme/**"]
      packages: ["acme.**"]
      prefix: proto/
      files: {buf.gen.yaml: "version: v2\n"}
      mirrors:
        - url: https://github.com/acme/protos-go.git
          username: x-access-token
          password_env: GITHUB_TOKEN
        - url: file:///srv/mirrors/go.git
    - name: python
    - name: warehouse
      kind: dbt
      dialect: snowflake
      files: {a.proto: x}
`, ""},
		{"unknown kind", "stacks:\n  repos:\n    - name: go\n      kind: java\n", `kind "java": write protos (the default) or dbt`},
		{"dbt without dialect", "stacks:\n  repos:\n    - name: dbt\n      kind: dbt\n", "dialect is required for kind dbt"},
		{"dbt bad dialect", "stacks:\n  repos:\n    - name: dbt\n      kind: dbt\n      dialect: oracle\n", `dialect: unknown dialect "oracle": use bigquery, duckdb, postgres or snowflake`},
		{"dbt packages", "stacks:\n  repos:\n    - name: dbt\n      kind: dbt\n      dialect: duckdb\n      packages: [acme.**]\n", "a dbt stack takes whole modules"},
		{"protos dialect", "stacks:\n  repos:\n    - name: go\n      dialect: duckdb\n", "only a stack of kind dbt has a dialect"},
		{"mirror password inline", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: https://github.com/a/b.git\n          password: hunter2\n", "line 6: stacks.repos[0].mirrors[0]: passwords are never written in the configuration"},
		{"mirror credentials in url", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: https://me:hunter2@github.com/a/b.git\n", "holds credentials"},
		{"mirror ssh", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: ssh://git@github.com/a/b.git\n", "write an http, https or file URL"},
		{"mirror scheme", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: git://github.com/a/b.git\n", "write an http, https or file URL"},
		{"mirror both secrets", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: https://github.com/a/b.git\n          password_env: A\n          password_file: /b\n", "not both"},
		{"mirror user only", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: https://github.com/a/b.git\n          username: me\n", "username without a password"},
		{"mirror file url with password", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: file:///srv/b.git\n          password_env: A\n", "takes no credentials"},
		{"mirror twice", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: file:///srv/b.git\n        - url: file:///srv/b.git\n", "listed twice"},
		{"mirror unknown key", "stacks:\n  repos:\n    - name: go\n      mirrors:\n        - url: file:///srv/b.git\n          token_env: A\n", `line 6: stacks.repos[0].mirrors[0] has no key "token_env"`},
		{"unknown key", "stacks:\n  repos:\n    - name: go\n      module: [x]\n", `line 4: stacks.repos[0] has no key "module"`},
		{"unknown top key", "stacks:\n  repo: []\n", `line 2: stacks has no key "repo"`},
		{"bad name", "stacks:\n  repos:\n    - name: Go\n", `stack name "Go": use lower-case letters`},
		{"duplicate", "stacks:\n  repos:\n    - name: go\n    - name: go\n", "the name is used twice"},
		{"bad module glob", "stacks:\n  repos:\n    - name: go\n      modules: [\"acme/[\"]\n", `modules[0]: glob "acme/[": syntax error`},
		{"dot-dot prefix", "stacks:\n  repos:\n    - name: go\n      prefix: ../x\n", `prefix: path "../x" has an empty, "." or ".." segment`},
		{"reserved file", "stacks:\n  repos:\n    - name: go\n      files: {README.md: x}\n", `"README.md" is written by the registry`},
		{".git file", "stacks:\n  repos:\n    - name: go\n      files: {.GIT/config: x}\n", `".GIT" segment, which git reserves`},
		{"proto in files", "stacks:\n  repos:\n    - name: go\n      files: {a.proto: x}\n", "is where the stack's protos go"},
		{"bad url", "stacks:\n  public_url: registry.acme.com\n", "write the registry's URL"},
		{"bad duration", "stacks:\n  poll_interval: often\n", `"often" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := server.ParseConfig("registryd.yaml", []byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				go1, ok := cfg.Stacks.Stack("go")
				if !ok || go1.Prefix != "proto" || !go1.HasModule("acme/commerce") || go1.HasModule("other/x") ||
					!go1.HasPackage("acme.billing.v1") || go1.HasPackage("google.protobuf") || cfg.Stacks.PollInterval.D().Seconds() != 5 ||
					len(go1.Mirrors) != 2 || go1.Mirrors[0].PasswordEnv != "GITHUB_TOKEN" || go1.Kind != submodule.KindProtos {
					t.Errorf("parsed %+v", cfg.Stacks)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "registryd.yaml: ") {
				t.Errorf("error = %v, want one naming the file and containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestValidatePath refuses every path that could escape or confuse a
// checkout.
func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"acme/billing/v1/invoice.proto", true},
		{"buf.gen.yaml", true},
		{"", false},
		{"/etc/passwd", false},
		{"a/../b", false},
		{"..", false},
		{"a//b", false},
		{"./a", false},
		{".git/config", false},
		{"a/.GiT/hooks/x", false},
		{".git./x", false},
		{"GIT~1/x", false},
		{".gitmodules", false},
		{"a\x00b", false},
		{"a\nb", false},
		{`a\b`, false},
		{"c:/x", false},
		{strings.Repeat("a", 1025), false},
		{"\xff", false},
	}
	for _, tt := range tests {
		if err := submodule.ValidatePath(tt.path); (err == nil) != tt.ok {
			t.Errorf("ValidatePath(%q) = %v, want ok %v", tt.path, err, tt.ok)
		}
	}
}

// TestValidateRefName accepts module tags and refuses what git would not,
// or should not, take.
func TestValidateRefName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"acme/commerce/v3", true},
		{"r12", true},
		{"a.b_c-d/v1", true},
		{"", false},
		{"a..b", false},
		{"a//b", false},
		{"/a", false},
		{"a/", false},
		{"a.", false},
		{"-a", false},
		{"a/.hidden", false},
		{"a.lock", false},
		{"a b", false},
		{"a~1", false},
		{"a^b", false},
		{"a:b", false},
		{"a@{b", false},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		if err := submodule.ValidateRefName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateRefName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
