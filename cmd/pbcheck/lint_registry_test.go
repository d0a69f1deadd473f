package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// startRegistryWithConfig serves a registry with registryd's configuration
// text (policies: …) over a fresh SQLite store until the test ends.
func startRegistryWithConfig(t *testing.T, configText string) string {
	t.Helper()
	cfg, err := server.ParseConfig("registryd.yaml", []byte(configText))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{Store: store, Config: cfg}).Handler()) }()
	t.Cleanup(func() {
		cancel()
		<-done
		store.Close()
	})
	return "http://" + ln.Addr().String()
}

// reported is what a finding says, as the json format prints it.
type reported struct {
	Path     string `json:"path"`
	Line     int    `json:"start_line"`
	Column   int    `json:"start_column"`
	Type     string `json:"type"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

func parseReported(t *testing.T, out string) []reported {
	t.Helper()
	var rs []reported
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var r reported
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b reported) int { return strings.Compare(a.Type+a.Message, b.Type+b.Message) })
	return rs
}

// TestLintRegistryMatchesPush: one module through both paths — a push to a
// registry whose configuration adds a server-wide policy (NO_FLOATS, an
// error) and turns a built-in one (PACKAGE_VERSIONED) into a warning, and
// pbcheck lint --registry — reports the same findings: same rules,
// messages, severities and places. Without --registry, lint knows neither
// server policy.
func TestLintRegistryMatchesPush(t *testing.T) {
	url := startRegistryWithConfig(t, `policies:
  - name: NO_FLOATS
    target: field
    expr: field.type != "float"
    message: use double or a decimal type, not float
  - {name: PACKAGE_VERSIONED, severity: warning}
`)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"m/pbregistry.yaml":            "version: v1\nmodule: acme/metrics\n",
		"m/acme/metrics/metrics.proto": "syntax = \"proto3\";\npackage acme.metrics;\nmessage Sample {\n  string id = 1;\n  float ratio = 2;\n}\n",
	})

	code, pushOut, pushErr := pbcheck(t, dir, nil, "push", "m", "--registry", url, "--error-format", "json")
	if code != exitFindings {
		t.Fatalf("push: exit %d, want %d\n%s%s", code, exitFindings, pushOut, pushErr)
	}
	code, lintOut, lintErr := pbcheck(t, dir, nil, "lint", "m", "--registry", url, "--error-format", "json")
	if code != exitFindings {
		t.Fatalf("lint --registry: exit %d, want %d\n%s%s", code, exitFindings, lintOut, lintErr)
	}
	pushed, linted := parseReported(t, pushOut), parseReported(t, lintOut)
	if !slices.Equal(pushed, linted) {
		t.Errorf("lint --registry reports\n%+v\nthe push's rejection reports\n%+v", linted, pushed)
	}
	want := map[string]string{"NO_FLOATS": "error", "PACKAGE_VERSIONED": "warning"}
	for _, r := range linted {
		if sev, ok := want[r.Type]; !ok || sev != r.Severity {
			t.Errorf("lint --registry: %s at severity %s, want %v", r.Type, r.Severity, want)
		}
		delete(want, r.Type)
	}
	if len(want) > 0 {
		t.Errorf("lint --registry misses %v:\n%s", want, lintOut)
	}

	// The text rejection names the policy and its severity as lint does.
	_, pushText, _ := pbcheck(t, dir, nil, "push", "m", "--registry", url)
	_, lintText, _ := pbcheck(t, dir, nil, "lint", "m", "--registry", url)
	for _, w := range []string{
		"rejected as a new module: 1 policy violation and 1 warning (not blocking)\n",
		"use double or a decimal type, not float. (NO_FLOATS, policy)\n",
		"(PACKAGE_VERSIONED, policy warning)\n",
	} {
		if !strings.Contains(pushText, w) {
			t.Errorf("push rejection:\n%s\nlacks %q", pushText, w)
		}
	}
	for _, w := range []string{"use double or a decimal type, not float. (NO_FLOATS)\n", "(PACKAGE_VERSIONED, warning)\n"} {
		if !strings.Contains(lintText, w) {
			t.Errorf("lint --registry:\n%s\nlacks %q", lintText, w)
		}
	}

	// Without the registry, lint applies the built-in policy as built in
	// and knows nothing of NO_FLOATS.
	_, offline, _ := pbcheck(t, dir, nil, "lint", "m", "--error-format", "json")
	for _, r := range parseReported(t, offline) {
		if r.Type == "NO_FLOATS" || r.Type == "PACKAGE_VERSIONED" && r.Severity != "error" {
			t.Errorf("plain lint reports %+v: the server's policies leaked", r)
		}
	}
}

// TestLintRegistrySubjectsInForce: policies see each subject at the level
// in force at push — an admin's override included — under lint --registry
// as under a push; offline, a subject's level is what pbregistry.yaml sets.
func TestLintRegistrySubjectsInForce(t *testing.T) {
	url := startRegistryWithConfig(t, `policies:
  - name: EVENTS_NOT_PLAIN_FULL
    target: message
    kinds: [event]
    expr: message.full_name != subject.name || subject.compatibility != "FULL"
    message: events are checked transitively
`)
	dir := t.TempDir()
	const paid = "syntax = \"proto3\";\npackage acme.pay.v1;\nimport \"google/protobuf/timestamp.proto\";\nmessage Paid {\n  string event_id = 1;\n  google.protobuf.Timestamp occurred_at = 2;\n%s}\n"
	writeTree(t, dir, map[string]string{
		"m/pbregistry.yaml":        "version: v1\nmodule: acme/pay\nsubjects:\n  - {message: acme.pay.v1.Paid, kind: event}\n",
		"m/acme/pay/v1/paid.proto": fmt.Sprintf(paid, ""),
	})
	if code, out, errOut := pbcheck(t, dir, nil, "push", "m", "--registry", url); code != exitOK {
		t.Fatalf("push v1: exit %d\n%s%s", code, out, errOut)
	}
	c := pbregistryv1connect.NewRegistryServiceClient(http.DefaultClient, url)
	if _, err := c.SetSubjectConfig(context.Background(), connect.NewRequest(&v1.SetSubjectConfigRequest{Module: "acme/pay", Message: "acme.pay.v1.Paid",
		Compatibility: &v1.Compatibility{Level: v1.CompatibilityLevel_COMPATIBILITY_LEVEL_FULL}})); err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"m/acme/pay/v1/paid.proto": fmt.Sprintf(paid, "  string note = 3;\n")})

	code, pushOut, pushErr := pbcheck(t, dir, nil, "push", "m", "--registry", url, "--error-format", "json")
	if code != exitFindings {
		t.Fatalf("push under the override: exit %d, want %d\n%s%s", code, exitFindings, pushOut, pushErr)
	}
	code, lintOut, lintErr := pbcheck(t, dir, nil, "lint", "m", "--registry", url, "--error-format", "json")
	if code != exitFindings {
		t.Fatalf("lint --registry: exit %d, want %d\n%s%s", code, exitFindings, lintOut, lintErr)
	}
	pushed, linted := parseReported(t, pushOut), parseReported(t, lintOut)
	if !slices.Equal(pushed, linted) || len(linted) != 1 || linted[0].Type != "EVENTS_NOT_PLAIN_FULL" {
		t.Errorf("lint --registry reports\n%+v\nthe push's rejection reports\n%+v\nwant EVENTS_NOT_PLAIN_FULL in both", linted, pushed)
	}
	if code, out, _ := pbcheck(t, dir, nil, "lint", "m"); code != exitOK || out != "" {
		t.Errorf("offline lint: exit %d\n%s\nwant no finding: the level is not set in pbregistry.yaml", code, out)
	}
}
