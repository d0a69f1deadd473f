package policies_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/policies"
)

// TestCompileErrors: a CEL error points at the configuration file's line and
// the expression's column, and says what CEL found.
func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   []string
	}{
		{
			name: "undeclared reference, plain scalar",
			config: `
- name: PII_MARKED
  target: field
  expr: fild.name != ""
`,
			want: []string{"pbregistry.yaml:4:9: policy PII_MARKED: expr: CEL error at line 1, column 1: undeclared reference to 'fild'"},
		},
		{
			name: "quoted scalar, error further in",
			config: `
- name: PII_MARKED
  target: field
  expr: "field.name == 1 + true"
`,
			want: []string{"pbregistry.yaml:4:26: policy PII_MARKED: expr: CEL error at line 1, column 17: found no matching overload for '_+_'"},
		},
		{
			name: "block scalar",
			config: `
- name: DEEP
  target: message
  expr: |
    message.depth < 3 &&
      message.nmae != ""
`,
			want: []string{"pbregistry.yaml:6: policy DEEP: expr: CEL error at line 2, column 10: undefined field 'nmae'"},
		},
		{
			name:   "not a boolean",
			config: "- {name: NOT_BOOL, target: message, expr: message.name}",
			want:   []string{"pbregistry.yaml:1:", "expr must be a bool expression, this one is string"},
		},
		{
			name:   "variable of another target",
			config: "- {name: WRONG_TARGET, target: message, expr: 'field.number > 0'}",
			want:   []string{"undeclared reference to 'field'"},
		},
		{
			name:   "missing expr",
			config: "- {name: NO_EXPR, target: message}",
			want:   []string{"pbregistry.yaml:1:3: policy NO_EXPR needs a target and an expr"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policies.Compile(policies.Sources{Module: parse(t, tt.config)})
			if err == nil {
				t.Fatal("compiled")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ config, want string }{
		{"- {name: X, target: widget, expr: 'true'}", `pbregistry.yaml:1:21: unknown target "widget": use one of file, message, field`},
		{"- {name: lower, target: file, expr: 'true'}", "must be UPPER_SNAKE_CASE"},
		{"- {name: X, target: file, expr: 'true', severity: fatal}", `unknown severity "fatal"`},
		{"- {name: X, target: file, expr: 'true', kinds: [table]}", `unknown kind "table"`},
		{"- {name: X, target: file, exprs: 'true'}", `unknown policy key "exprs"`},
		{"- {name: X, target: file, expr: 'true'}\n- {name: X, target: file, expr: 'false'}", "policy X is defined twice"},
		{"name: X", "policies must be a list"},
	}
	for _, tt := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tt.config), &doc); err != nil {
			t.Fatal(err)
		}
		_, err := policies.Parse("pbregistry.yaml", &doc)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.config, err, tt.want)
		}
	}
}

// TestCustomPolicies exercises the object model through custom policies:
// custom options, comments, globs, warnings, evaluation errors, and the
// service, method and enum_value targets (each with an element that
// complies and one that does not).
func TestCustomPolicies(t *testing.T) {
	img := compile(t, map[string]string{
		"acme/options/v1/options.proto": `syntax = "proto3";
package acme.options.v1;
import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { bool pii = 50001; }
extend google.protobuf.MessageOptions { string owner = 50002; }
`,
		"acme/users/v1/user.proto": `syntax = "proto3";
package acme.users.v1;
import "acme/options/v1/options.proto";
// A person who can sign in.
message User {
  option (acme.options.v1.owner) = "identity-team";
  string id = 1;
  // The user's e-mail address.
  string email = 2 [(acme.options.v1.pii) = true];
  string phone = 3;
}
// Undocumented.
message Session { string id = 1; }
enum Role {
  ROLE_UNSPECIFIED = 0;
  ADMIN = 1;
}
service UserService {
  rpc GetUser(User) returns (User);
}
service Sessions {
  rpc WatchSessions(Session) returns (stream Session);
}
`,
	})
	config := parse(t, `
- name: PII_MARKED
  target: field
  packages: ["acme.users.*"]
  expr: '!(field.name in ["email", "phone", "address"]) || field.options[?"acme.options.v1.pii"].orValue(false) == true'
  message_expr: '"field " + field.full_name + " holds personal data: mark it [(acme.options.v1.pii) = true]"'
- name: MESSAGE_OWNER
  target: message
  severity: warning
  expr: '"acme.options.v1.owner" in message.options'
  message: every message names its owning team
- name: MESSAGE_DOCUMENTED
  target: message
  packages: ["acme.**"]
  modules: ["acme/*"]
  expr: 'message.comments != "" && !message.comments.startsWith("Undocumented")'
- name: BROKEN
  target: message
  packages: ["acme.users.v1"]
  expr: 'message.options["acme.options.v1.owner"] == "identity-team"'
- name: SERVICE_SUFFIX
  target: service
  expr: 'service.name.endsWith("Service") && service.file == file.path'
  message_expr: '"service " + service.full_name + " of package " + service.package + ": name it " + service.name + "Service"'
- name: METHOD_NO_STREAMING
  target: method
  expr: '!method.client_streaming && !method.server_streaming'
  message_expr: '"method " + method.name + " of " + service.full_name + " streams " + method.output_type'
- name: ENUM_VALUE_PREFIXED
  target: enum_value
  expr: 'enum_value.name.startsWith(enum.name.upper_snake() + "_")'
  message_expr: '"value " + enum_value.name + " (" + string(enum_value.number) + ") of " + enum_value.enum + ": name it " + enum.name.upper_snake() + "_" + enum_value.name'
`)
	set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: config})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range lint(t, set, img, policies.Context{Module: "acme/users"}) {
		got = append(got, fmt.Sprintf("%s:%d:%d %s %s: %s", f.Location.Path, f.Location.StartLine, f.Location.StartColumn, f.Severity, f.Rule, f.Message))
	}
	want := []string{
		`acme/users/v1/user.proto:10:3 error PII_MARKED: field acme.users.v1.User.phone holds personal data: mark it [(acme.options.v1.pii) = true].`,
		`acme/users/v1/user.proto:13:1 error BROKEN: Policy BROKEN could not be evaluated on acme.users.v1.Session: no such key: acme.options.v1.owner.`,
		`acme/users/v1/user.proto:13:1 error MESSAGE_DOCUMENTED: message acme.users.v1.Session breaks policy MESSAGE_DOCUMENTED (message.comments != "" && !message.comments.startsWith("Undocumented")).`,
		`acme/users/v1/user.proto:13:1 warning MESSAGE_OWNER: every message names its owning team.`,
		// ROLE_UNSPECIFIED, UserService and GetUser comply.
		`acme/users/v1/user.proto:16:3 error ENUM_VALUE_PREFIXED: value ADMIN (1) of acme.users.v1.Role: name it ROLE_ADMIN.`,
		`acme/users/v1/user.proto:21:1 error SERVICE_SUFFIX: service acme.users.v1.Sessions of package acme.users.v1: name it SessionsService.`,
		`acme/users/v1/user.proto:22:3 error METHOD_NO_STREAMING: method WatchSessions of acme.users.v1.Sessions streams acme.users.v1.Session.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The module glob: outside module acme/*, MESSAGE_DOCUMENTED is off.
	for _, f := range lint(t, set, img, policies.Context{Module: "other/users"}) {
		if f.Rule == "MESSAGE_DOCUMENTED" {
			t.Errorf("MESSAGE_DOCUMENTED applied to module other/users: %v", f)
		}
	}
}

// TestChangePolicies: change policies see every compat finding between two
// schemas, with the element before and after.
func TestChangePolicies(t *testing.T) {
	prev := compile(t, map[string]string{"acme/audit/v1/audit.proto": header[:len(header)-len("import \"google/protobuf/timestamp.proto\";\n")] +
		"message AuditLine { string actor = 1; string action = 2; int32 count = 3; }\n"})
	curr := compile(t, map[string]string{"acme/audit/v1/audit.proto": header[:len(header)-len("import \"google/protobuf/timestamp.proto\";\n")] +
		"message AuditLine { string actor = 1; reserved 2; int64 count = 3; }\n"})
	logs := []policies.Subject{{Name: "acme.billing.v1.AuditLine", Kind: "log"}}
	custom := parse(t, `
- name: NO_WIDENING_BY_INTERNS
  target: change
  expr: '!(change.rule == "FIELD_SAME_TYPE" && change.previous.type == "int32" && push.principal.startsWith("intern"))'
  message_expr: 'push.principal + " widened " + change.current.full_name + " from " + change.previous.type + " to " + change.current.type'
`)
	set, err := policies.Compile(policies.Sources{Module: custom})
	if err != nil {
		t.Fatal(err)
	}
	findings, err := set.Changes(context.Background(), prev, curr, policies.Context{Subjects: logs, Principal: "intern@acme"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, fmt.Sprintf("%d:%d %s: %s", f.Location.StartLine, f.Location.StartColumn, f.Rule, f.Message))
	}
	want := []string{
		`3:1 LOG_RESERVE_DELETED_FIELDS: Field 2 "action" on message "AuditLine" was deleted without reserving its name. Log records keep old fields: reserve the deleted field's name and number.`,
		`3:51 NO_WIDENING_BY_INTERNS: intern@acme widened acme.billing.v1.AuditLine.count from int32 to int64.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Not a log: the built-in does not apply.
	findings, _ = set.Changes(context.Background(), prev, curr, policies.Context{Principal: "ci"})
	if len(findings) != 0 {
		t.Errorf("without a log subject, by ci: %v", findings)
	}
}

// TestServerPoliciesLocked: a module cannot change a policy the server
// enforces, built-in or not.
func TestServerPoliciesLocked(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("- {name: PACKAGE_VERSIONED, severity: error}\n- {name: TEAM_RULE, target: file, expr: 'true'}"), &doc); err != nil {
		t.Fatal(err)
	}
	server, err := policies.Parse("registryd.yaml", &doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, module := range []string{"- {name: PACKAGE_VERSIONED, disabled: true}", "- {name: TEAM_RULE, expr: 'false'}"} {
		_, err := policies.Compile(policies.Sources{Server: server, Module: parse(t, module)})
		if err == nil || !strings.Contains(err.Error(), "is enforced by the registry (registryd.yaml:") {
			t.Errorf("module %s: err = %v, want it refused", module, err)
		}
	}
	if _, err := policies.Compile(policies.Sources{Server: server, Module: parse(t, "- {name: EVENT_ID_FIELD, params: {field: id}}")}); err != nil {
		t.Errorf("overriding a built-in the server does not enforce: %v", err)
	}
}

// TestLogReserveDeletedFields: a field deleted from a log record passes
// LOG_RESERVE_DELETED_FIELDS only when both its name and number are
// reserved.
func TestLogReserveDeletedFields(t *testing.T) {
	const pkg = "syntax = \"proto3\";\npackage acme.billing.v1;\n"
	prev := compile(t, map[string]string{"acme/audit/v1/audit.proto": pkg + "message AuditLine { string actor = 1; string action = 2; }\n"})
	logs := []policies.Subject{{Name: "acme.billing.v1.AuditLine", Kind: "log"}}
	set, err := policies.Compile(policies.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, current string
		// want are substrings of the findings, one each.
		want []string
	}{
		// compat still reports FIELD_NO_DELETE here; the policy must not.
		{"name and number reserved", `message AuditLine { string actor = 1; reserved 2; reserved "action"; }`, nil},
		{"number only", `message AuditLine { string actor = 1; reserved 2; }`,
			[]string{`Field 2 "action" on message "AuditLine" was deleted without reserving its name. Log records keep old fields`}},
		{"name only", `message AuditLine { string actor = 1; reserved "action"; }`,
			[]string{`Field 2 "action" on message "AuditLine" was deleted without reserving its number. Log records keep old fields`}},
		{"neither", `message AuditLine { string actor = 1; }`,
			[]string{"without reserving its name", "without reserving its number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			curr := compile(t, map[string]string{"acme/audit/v1/audit.proto": pkg + tt.current + "\n"})
			findings, err := set.Changes(context.Background(), prev, curr, policies.Context{Subjects: logs})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				if f.Rule == "LOG_RESERVE_DELETED_FIELDS" {
					got = append(got, f.Message)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings %q, want %d saying %q", got, len(tt.want), tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("findings %q, want one saying %q", got, w)
				}
			}
		})
	}
}
