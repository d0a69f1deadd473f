package policies_test

import (
	"context"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/policies"
)

// fuzzSchema has an element of every target, a pbtable with a dotted key,
// and a log subject, for the policies to run on.
const fuzzSchema = `syntax = "proto3";
package acme.fuzz.v1;
import "google/protobuf/timestamp.proto";
enum Status { STATUS_UNSPECIFIED = 0; OPEN = 1; }
message Key { string id = 1; }
message Row {
  Key key = 1;
  Status status = 2;
  map<string, Key> refs = 3;
  oneof o { string a = 4; int64 b = 5; }
  google.protobuf.Timestamp at = 6;
  repeated Row children = 7;
}
service Rows { rpc Get(Row) returns (stream Row); }
`

// FuzzPolicies compiles an arbitrary policies: list, as a module's
// pbregistry.yaml would bring it to the registry, and evaluates what
// compiles on a schema, as a schema and as a change: it must never panic,
// and errors must say something.
func FuzzPolicies(f *testing.F) {
	for _, seed := range []string{
		"- {name: X, target: field, expr: 'field.name != \"\"'}",
		"- {name: Y, target: message, kinds: [pbtable], expr: 'size(message.fields) < 3', message_expr: 'message.name + \"!\"'}",
		"- {name: Z, target: change, expr: 'change.rule != \"FIELD_NO_DELETE\"', severity: warning}",
		"- {name: PBTABLE_MAX_DEPTH, params: {max: 1}}",
		"- {name: W, target: method, expr: 'method.server_streaming && params.x', params: {x: true}}",
		"- {name: V, target: enum_value, expr: 'enum_value.number / 0 == 1'}",
		"- name: U\n  target: file\n  expr: >-\n    file.package.matches('[')\n",
		"[", "- 1", "- {name: ''}",
		// The probes of issue 8: refused by their estimated cost.
		"- {name: PROBE_MEMORY, target: file, expr: 'lists.range(1000000).map(a, lists.range(1000000)).size() > 0'}",
		"- {name: PROBE_CPU, target: change, expr: 'lists.range(1000000).all(a, lists.range(1000000).all(b, true))'}",
		// Within its estimate, beyond the realistic bounds at run time.
		"- {name: PAIRS, target: message, expr: 'message.fields.all(a, message.fields.all(b, a.number == b.number || a.name != b.name))'}",
	} {
		f.Add([]byte(seed))
	}
	img := compile(f, map[string]string{"acme/fuzz/v1/row.proto": fuzzSchema})
	pctx := policies.Context{Module: "acme/fuzz", Principal: "fuzz", Subjects: []policies.Subject{
		{Name: "acme.fuzz.v1.Row", Kind: "pbtable", PrimaryKey: []string{"key.id"}, Compatibility: "FULL_TRANSITIVE"},
		{Name: "acme.fuzz.v1.Key", Kind: "log"},
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return
		}
		specs, err := policies.Parse("pbregistry.yaml", &doc)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		set, err := policies.Compile(policies.Sources{Module: specs})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if _, err := set.Lint(context.Background(), img, pctx); err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		if _, err := set.Changes(context.Background(), img, img, pctx); err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
