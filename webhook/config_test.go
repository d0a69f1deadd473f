package webhook_test

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/webhook"
)

func TestConfig(t *testing.T) {
	const ok = "name: ci\n      url: https://ci.acme.com/hooks\n      secret_env: S\n"
	for _, tc := range []struct {
		name, endpoint, err string
	}{
		{"valid", ok, ""},
		{"unknown key", ok + "      retries: 3\n", `line 6: webhooks.endpoints[0] has no key "retries"`},
		{"inline secret", ok + "      secret: whsec_abc\n", "secrets are never written in the configuration: use secret_env"},
		{"ftp", "name: ci\n      url: ftp://ci.acme.com/\n      secret_env: S\n", `the scheme must be http or https, not "ftp"`},
		{"no host", "name: ci\n      url: https:///x\n      secret_env: S\n", "has no host"},
		{"credentials", "name: ci\n      url: https://u:p@ci.acme.com/\n      secret_env: S\n", "carries credentials"},
		{"no secret", "name: ci\n      url: https://ci.acme.com/\n", "no signing secret: set secret_env"},
		{"two secrets", ok + "      secret_file: /run/s\n", "both secret_env and secret_file are set"},
		{"bad name", "name: CI\n      url: https://ci.acme.com/\n      secret_env: S\n", `endpoint name "CI": use lower-case letters`},
		{"bad glob", ok + "      modules: [\"acme/[\"]\n", "modules[0]: glob \"acme/[\""},
		{"unknown event", ok + "      events: [module.deleted]\n", `unknown event type "module.deleted": the types are module.version.accepted`},
		{"long timeout", ok + "      timeout: 10m\n", "timeout 10m0s is over 5m0s"},
		{"bad duration", ok + "      max_age: soon\n", `"soon" is not a duration`},
		{"negative attempts", ok + "      max_attempts: -1\n", "max_attempts is -1"},
		{"backoff", ok + "      retry_initial: 1m\n      retry_max: 1s\n", "retry_max 1s is less than retry_initial 1m0s"},
		{"twice", ok + "    - " + ok, "webhooks.endpoints[1] (ci): the name is used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc struct {
				Webhooks webhook.Config `yaml:"webhooks"`
			}
			err := yaml.Unmarshal([]byte("webhooks:\n  endpoints:\n    - "+tc.endpoint), &doc)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				e := doc.Webhooks.Endpoints[0]
				if e.Timeout.D() != webhook.DefaultTimeout || e.MaxAttempts != webhook.DefaultMaxAttempts || e.MaxAge.D() != 24*time.Hour ||
					e.BreakerFailures != webhook.DefaultBreakerFailures || e.RetryMax.D() != webhook.DefaultRetryMax {
					t.Errorf("defaults not filled in: %+v", e)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error = %v\nwant it to contain %q", err, tc.err)
			}
		})
	}
}

func TestWants(t *testing.T) {
	e := webhook.Endpoint{Modules: []string{"acme/*", "shared/**"}}
	for module, want := range map[string]bool{"acme/commerce": true, "acme/a/b": false, "shared/x/y": true, "other/x": false} {
		if got := e.Wants("module.version.accepted", module); got != want {
			t.Errorf("Wants(%q) = %v, want %v", module, got, want)
		}
	}
	e.Events = []string{"module.version.accepted"}
	if e.Wants("other.type", "acme/commerce") {
		t.Error("an unsubscribed event type is wanted")
	}
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/secret"
	e := webhook.Endpoint{Name: "ci", SecretFile: path}
	if _, err := e.LoadSecret(nil); err == nil || !strings.Contains(err.Error(), "webhook endpoint ci: secret_file "+path) {
		t.Errorf("missing file: %v", err)
	}
	writeFile(t, path, testSecret+"\n")
	if s, err := e.LoadSecret(nil); err != nil || len(s) != 32 {
		t.Errorf("LoadSecret = %d bytes, %v", len(s), err)
	}
}
