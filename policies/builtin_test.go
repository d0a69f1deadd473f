package policies_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/policies"
)

// builtinCase is a passing and a failing schema for one built-in policy.
type builtinCase struct {
	policy   string
	subjects []policies.Subject
	pass     string
	fail     string
	// want is a substring of the failing finding's message.
	want string
}

var invoiceTable = []policies.Subject{{Name: "acme.billing.v1.Invoice", Kind: "pbtable", PrimaryKey: []string{"id"}}}
var paidEvent = []policies.Subject{{Name: "acme.billing.v1.InvoicePaid", Kind: "event"}}
var auditLog = []policies.Subject{{Name: "acme.billing.v1.AuditLine", Kind: "log"}}

const header = "syntax = \"proto3\";\npackage acme.billing.v1;\nimport \"google/protobuf/timestamp.proto\";\n"

var builtinCases = []builtinCase{
	{
		policy: "PBTABLE_PRIMARY_KEY", subjects: invoiceTable,
		pass: "message Invoice { string id = 1; }",
		fail: "message Invoice { repeated string id = 1; }",
		want: "invalid primary key (id is repeated): name singular scalar fields of the message",
	},
	{
		policy:   "PBTABLE_PRIMARY_KEY",
		subjects: []policies.Subject{{Name: "acme.billing.v1.Invoice", Kind: "pbtable"}},
		pass:     "", // covered above; a pbtable without primary key always fails
		fail:     "message Invoice { string id = 1; }",
		want:     "declares no primary key",
	},
	{
		policy: "PBTABLE_PRIMARY_KEY_NO_ONEOF", subjects: invoiceTable,
		pass: "message Invoice { string id = 1; oneof x { string a = 2; } }",
		fail: "message Invoice { oneof key { string id = 1; int64 number = 2; } }",
		want: "primary-key fields in a oneof: id in oneof key: move them out",
	},
	{
		policy: "PBTABLE_MAX_DEPTH", subjects: invoiceTable,
		// Money is at the deepest level allowed (2); its Timestamp would
		// make a third if well-known types counted.
		pass: "message Invoice { string id = 1; Line line = 2; google.protobuf.Timestamp at = 3; } message Line { Money m = 1; } message Money { int64 units = 1; google.protobuf.Timestamp as_of = 2; }",
		fail: "message Invoice { string id = 1; Line line = 2; } message Line { Money m = 1; } message Money { Currency c = 1; } message Currency { string code = 1; }",
		want: "nests messages 3 deep, more than 2",
	},
	{
		policy: "PBTABLE_NO_MAP_OF_MESSAGES", subjects: invoiceTable,
		pass: "message Invoice { string id = 1; map<string, int64> totals = 2; }",
		fail: "message Invoice { string id = 1; map<string, Line> lines = 2; } message Line { int64 q = 1; }",
		want: "lines of acme.billing.v1.Invoice is a map of messages",
	},
	{
		policy: "PBTABLE_STABLE_JSON_NAME", subjects: invoiceTable,
		pass: "message Invoice { string id = 1; string customer_id = 2; }",
		fail: "message Invoice { string id = 1; string customer_id = 2 [json_name = \"customer\"]; }",
		want: "sets json_name \"customer\"",
	},
	{
		policy: "EVENT_ID_FIELD", subjects: paidEvent,
		pass: "message InvoicePaid { string event_id = 1; google.protobuf.Timestamp occurred_at = 2; }",
		fail: "message InvoicePaid { int64 event_id = 1; google.protobuf.Timestamp occurred_at = 2; }",
		want: "has no string field event_id",
	},
	{
		policy: "EVENT_OCCURRED_AT", subjects: paidEvent,
		pass: "message InvoicePaid { string event_id = 1; google.protobuf.Timestamp occurred_at = 2; }",
		fail: "message InvoicePaid { string event_id = 1; int64 occurred_at = 2; }",
		want: "has no google.protobuf.Timestamp field occurred_at",
	},
	{
		policy: "EVENT_NO_REQUIRED", subjects: paidEvent,
		pass: "message InvoicePaid { string event_id = 1; google.protobuf.Timestamp occurred_at = 2; }",
		fail: "", // proto2 below
		want: "is required",
	},
	{
		policy: "LOG_TIMESTAMP", subjects: auditLog,
		pass: "message AuditLine { google.protobuf.Timestamp at = 1; }",
		fail: "message AuditLine { string at = 1; }",
		want: "has no google.protobuf.Timestamp field",
	},
	{
		policy: "ENUM_ZERO_VALUE_UNSPECIFIED",
		pass:   "enum PaymentMethod { PAYMENT_METHOD_UNSPECIFIED = 0; PAYMENT_METHOD_CARD = 1; }",
		fail:   "enum PaymentMethod { CARD = 0; }",
		want:   "name it PAYMENT_METHOD_UNSPECIFIED",
	},
	{
		policy: "FIELD_LOWER_SNAKE_CASE",
		pass:   "message Invoice { string customer_id = 1; }",
		fail:   "message Invoice { string customerId = 1; }",
		want:   "rename it customer_id",
	},
}

func rulesOf(t *testing.T, src string, subjects []policies.Subject) map[string][]string {
	t.Helper()
	img := compile(t, map[string]string{"acme/billing/v1/billing.proto": src})
	set, err := policies.Compile(policies.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range lint(t, set, img, policies.Context{Subjects: subjects}) {
		out[f.Rule] = append(out[f.Rule], fmt.Sprintf("%s:%d:%d: %s", f.Location.Path, f.Location.StartLine, f.Location.StartColumn, f.Message))
	}
	return out
}

// TestBuiltins checks every built-in policy with a schema that complies and
// one that does not.
func TestBuiltins(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range builtinCases {
		covered[tc.policy] = true
		t.Run(tc.policy, func(t *testing.T) {
			if tc.pass != "" {
				if got := rulesOf(t, header+tc.pass, tc.subjects)[tc.policy]; len(got) != 0 {
					t.Errorf("compliant schema reported: %v", got)
				}
			}
			fail := header + tc.fail
			if tc.fail == "" {
				fail = "syntax = \"proto2\";\npackage acme.billing.v1;\nimport \"google/protobuf/timestamp.proto\";\n" +
					"message InvoicePaid { optional string event_id = 1; optional google.protobuf.Timestamp occurred_at = 2; required int64 amount = 3; }"
			}
			got := rulesOf(t, fail, tc.subjects)[tc.policy]
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("failing schema reported %v, want a finding saying %q", got, tc.want)
			}
		})
	}
	// Policies that need no fixture of their own here.
	covered["LOG_RESERVE_DELETED_FIELDS"] = true // change policy: TestChangePolicies
	t.Run("PACKAGE_VERSIONED", func(t *testing.T) {
		if got := rulesOf(t, header, nil)["PACKAGE_VERSIONED"]; len(got) != 0 {
			t.Errorf("acme.billing.v1 reported: %v", got)
		}
		got := rulesOf(t, "syntax = \"proto3\";\npackage acme.billing;\n", nil)["PACKAGE_VERSIONED"]
		if len(got) != 1 || !strings.Contains(got[0], "acme/billing/v1/billing.proto:2:1: package acme.billing does not end with a version") {
			t.Errorf("unversioned package: %v", got)
		}
		for _, pkg := range []string{"acme.v1beta1", "acme.v2", "acme.v1alpha2"} {
			if got := rulesOf(t, "syntax = \"proto3\";\npackage "+pkg+";\n", nil)["PACKAGE_VERSIONED"]; len(got) != 0 {
				t.Errorf("%s reported: %v", pkg, got)
			}
		}
	})
	covered["PACKAGE_VERSIONED"] = true
	for _, b := range policies.Builtins() {
		if !covered[b.Name] {
			t.Errorf("built-in policy %s has no test", b.Name)
		}
	}
}

// TestKindScoping: kind policies apply inside the scope of subjects of that
// kind only — including messages their data holds — and not elsewhere.
func TestKindScoping(t *testing.T) {
	src := header + `
message Invoice { string id = 1; Line line = 2; }
message Line { map<string, Note> notes = 1; }
message Note { string text = 1; }
message Unrelated { map<string, Note> notes = 1; }
`
	got := rulesOf(t, src, invoiceTable)["PBTABLE_NO_MAP_OF_MESSAGES"]
	if len(got) != 1 || !strings.Contains(got[0], "notes of acme.billing.v1.Line") {
		t.Errorf("PBTABLE_NO_MAP_OF_MESSAGES = %v, want only Line.notes (reached from the pbtable)", got)
	}
	if got := rulesOf(t, src, nil)["PBTABLE_NO_MAP_OF_MESSAGES"]; len(got) != 0 {
		t.Errorf("without subjects: %v", got)
	}
}

func TestOverrideBuiltins(t *testing.T) {
	img := compile(t, map[string]string{"acme/billing/v1/billing.proto": header +
		"message InvoicePaid { string id = 1; google.protobuf.Timestamp at = 2; }"})
	module := parse(t, `
- name: EVENT_ID_FIELD
  params: {field: id}
- name: EVENT_OCCURRED_AT
  severity: warning
- name: PACKAGE_VERSIONED
  disabled: true
`)
	set, err := policies.Compile(policies.Sources{Module: module})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, f := range lint(t, set, img, policies.Context{Subjects: paidEvent}) {
		rules = append(rules, fmt.Sprintf("%s/%s", f.Rule, f.Severity))
	}
	if want := []string{"EVENT_OCCURRED_AT/warning"}; !slices.Equal(rules, want) {
		t.Errorf("findings %v, want %v", rules, want)
	}
}

// TestDepthRecursion: messages that reach each other count as one level, so
// recursive schemas have a finite depth.
func TestDepthRecursion(t *testing.T) {
	src := header + `
message Invoice { string id = 1; Node root = 2; }
message Node { repeated Node children = 1; Leaf leaf = 2; }
message Leaf { Note note = 1; }
message Note { string text = 1; }
`
	got := rulesOf(t, src, invoiceTable)["PBTABLE_MAX_DEPTH"]
	if len(got) != 1 || !strings.Contains(got[0], "nests messages 3 deep") {
		t.Errorf("PBTABLE_MAX_DEPTH = %v, want Invoice → Node → Leaf → Note: 3 deep", got)
	}
}

// TestPrimaryKeyPaths: primary-key entries may be dotted paths through
// singular message fields to a singular scalar; every step must exist, none
// may be repeated, a map, a well-known type or in a oneof.
func TestPrimaryKeyPaths(t *testing.T) {
	src := header + `
message Invoice {
  string id = 1;
  Key key = 2;
  repeated Key keys = 3;
  map<string, Key> by_name = 4;
  google.protobuf.Timestamp created_at = 5;
  oneof owner { Key customer = 6; string email = 7; }
}
message Key {
  string id = 1;
  Part part = 2;
  oneof alt { string code = 3; }
  optional int64 seq = 4;
  Status status = 5;
}
message Part { int64 n = 1; }
enum Status { STATUS_UNSPECIFIED = 0; }
`
	const (
		pk    = "PBTABLE_PRIMARY_KEY"
		oneof = "PBTABLE_PRIMARY_KEY_NO_ONEOF"
	)
	tests := []struct {
		name string
		keys []string
		// want maps each of the two policies to a substring of its one
		// finding, or "" for no finding.
		want map[string]string
	}{
		{"top-level field", []string{"id"}, nil},
		{"nested field", []string{"key.id"}, nil},
		{"two levels down, with a top-level field", []string{"id", "key.part.n"}, nil},
		{"nested enum", []string{"key.status"}, nil},
		{"proto3 optional is no oneof", []string{"key.seq"}, nil},
		{"missing nested step", []string{"key.idd"},
			map[string]string{pk: "invalid primary key (key.idd: acme.billing.v1.Key has no field idd): name singular scalar fields"}},
		{"missing first step", []string{"kee.id"},
			map[string]string{pk: "(kee.id: acme.billing.v1.Invoice has no field kee)"}},
		{"step through a scalar", []string{"id.x"},
			map[string]string{pk: "(id.x: id is a string, not a message)"}},
		{"through a repeated field", []string{"keys.id"},
			map[string]string{pk: "(keys.id: keys is repeated)"}},
		{"through a map", []string{"by_name.value.id"},
			map[string]string{pk: "(by_name.value.id: by_name is a map)"}},
		{"leaf is a message", []string{"key.part"},
			map[string]string{pk: "(key.part holds message acme.billing.v1.Part, not a scalar)"}},
		{"through a well-known type", []string{"created_at.seconds"},
			map[string]string{pk: "(created_at.seconds: created_at is a google.protobuf.Timestamp, a well-known type"}},
		{"oneof on the path", []string{"customer.id"},
			map[string]string{oneof: "primary-key fields in a oneof: customer.id (customer) in oneof owner: move them out"}},
		{"oneof at the leaf", []string{"key.code"},
			map[string]string{oneof: "primary-key fields in a oneof: key.code (code) in oneof alt"}},
		{"valid and invalid entries", []string{"id", "key.idd", "keys.id", "key.id"},
			map[string]string{pk: "(key.idd: acme.billing.v1.Key has no field idd; keys.id: keys is repeated)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subjects := []policies.Subject{{Name: "acme.billing.v1.Invoice", Kind: "pbtable", PrimaryKey: tt.keys}}
			rules := rulesOf(t, src, subjects)
			if subjects[0].PrimaryKeyPaths != nil {
				t.Errorf("Lint wrote the caller's subject: %+v", subjects[0])
			}
			for _, policy := range []string{pk, oneof} {
				got, want := rules[policy], tt.want[policy]
				switch {
				case want == "" && len(got) != 0:
					t.Errorf("%s reported %v, want no finding", policy, got)
				case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
					t.Errorf("%s reported %v, want one finding saying %q", policy, got, want)
				}
			}
		})
	}
}
