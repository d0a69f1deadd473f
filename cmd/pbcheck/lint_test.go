package main

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	dir := t.TempDir()
	const proto = `syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";
message InvoicePaid {
  string id = 1;
  google.protobuf.Timestamp occurred_at = 2;
}
enum Status { STATUS_UNSPECIFIED = 0; }
`
	writeTree(t, dir, map[string]string{
		"ok/pbregistry.yaml":                 "version: v1\nmodule: acme/billing\nsubjects:\n  - {message: acme.billing.v1.InvoicePaid, kind: event}\npolicies:\n  - {name: EVENT_ID_FIELD, params: {field: id}}\n",
		"ok/acme/billing/v1/billing.proto":   proto,
		"warn/pbregistry.yaml":               "version: v1\nmodule: acme/billing\nsubjects:\n  - {message: acme.billing.v1.InvoicePaid, kind: event}\npolicies:\n  - {name: EVENT_ID_FIELD, severity: warning}\n",
		"warn/acme/billing/v1/billing.proto": proto,
		"bad/pbregistry.yaml":                "version: v1\nmodule: acme/billing\nsubjects:\n  - {message: acme.billing.v1.InvoicePaid, kind: event}\n",
		"bad/acme/billing/v1/billing.proto":  proto,
		"cel/pbregistry.yaml":                "version: v1\nmodule: acme/billing\npolicies:\n  - name: TYPO\n    target: field\n    expr: fild.name != ''\n",
		"cel/acme/billing/v1/billing.proto":  proto,
	})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"clean", []string{"lint", "ok"}, exitOK, ""},
		{"warnings only exit 0", []string{"lint", "warn"}, exitOK,
			"warn/acme/billing/v1/billing.proto:4:1:event acme.billing.v1.InvoicePaid has no string field event_id: add one to identify each event. (EVENT_ID_FIELD, warning)\n"},
		{"error", []string{"lint", "bad", "--error-format", "github-actions"}, exitFindings,
			"::error file=bad/acme/billing/v1/billing.proto,line=4,col=1,endLine=7,endColumn=2,title=EVENT_ID_FIELD::event acme.billing.v1.InvoicePaid has no string field event_id: add one to identify each event.\n"},
		{"warning in github-actions", []string{"lint", "warn", "--error-format=github-actions"}, exitOK,
			"::warning file=warn/acme/billing/v1/billing.proto,line=4,col=1,endLine=7,endColumn=2,title=EVENT_ID_FIELD::event acme.billing.v1.InvoicePaid has no string field event_id: add one to identify each event.\n"},
		{"builtins disabled", []string{"lint", "bad", "--disable-builtins"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pbcheck(t, dir, nil, tt.args...)
			if code != tt.wantCode || stdout != tt.want {
				t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d, stdout:\n%s", code, stdout, stderr, tt.wantCode, tt.want)
			}
		})
	}
	code, _, stderr := pbcheck(t, dir, nil, "lint", "cel")
	if code != exitError || !strings.Contains(stderr, "cel/pbregistry.yaml:6:11: policy TYPO: expr: CEL error at line 1, column 1: undeclared reference to 'fild'") {
		t.Errorf("CEL error: exit %d, stderr %s", code, stderr)
	}
}

// TestBreakingChangePolicies: pbcheck breaking reports the change policies
// in force (here the built-in LOG_RESERVE_DELETED_FIELDS) folded into the
// compatibility finding of the change they judge, as a push does; the log subject is checked with its kind's rules
// (WIRE_JSON, BACKWARD_TRANSITIVE), as a push checks it.
func TestBreakingChangePolicies(t *testing.T) {
	dir := t.TempDir()
	cfg := "version: v1\nmodule: acme/audit\nsubjects:\n  - {message: acme.audit.v1.AuditLine, kind: log}\nbreaking:\n  use: [WIRE]\n"
	v1 := "syntax = \"proto3\";\npackage acme.audit.v1;\nimport \"google/protobuf/timestamp.proto\";\nmessage AuditLine {\n  google.protobuf.Timestamp at = 1;\n  string actor = 2;\n}\n"
	v2 := "syntax = \"proto3\";\npackage acme.audit.v1;\nimport \"google/protobuf/timestamp.proto\";\nmessage AuditLine {\n  google.protobuf.Timestamp at = 1;\n  reserved 2;\n}\n"
	writeTree(t, dir, map[string]string{
		"previous/pbregistry.yaml": cfg, "previous/acme/audit/v1/audit.proto": v1,
		"current/pbregistry.yaml": cfg, "current/acme/audit/v1/audit.proto": v2,
	})
	code, stdout, stderr := pbcheck(t, dir, nil, "breaking", "current", "--against", "previous")
	// One finding: the policy about the same change is folded into it.
	want := `current/acme/audit/v1/audit.proto:4:1:Field 2 "actor" on message "AuditLine" was deleted without reserving its name (also LOG_RESERVE_DELETED_FIELDS); ` +
		`this version's JSON readers reject what the previous schema wrote with key "actor" (unknown to them) until the name is reserved. ` +
		`Log records keep old fields: reserve the deleted field's name and number [subject acme.audit.v1.AuditLine, BACKWARD_TRANSITIVE] (FIELD_NO_DELETE_UNLESS_NAME_RESERVED)` + "\n"
	if code != exitFindings || stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant:\n%s", code, stdout, stderr, want)
	}
}
