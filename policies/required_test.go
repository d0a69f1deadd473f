package policies_test

import (
	"reflect"
	"testing"

	"github.com/pbregistry/pbregistry/policies"
)

func TestRequiredFields(t *testing.T) {
	both := []policies.RequiredField{{Field: "event_id", Policy: "EVENT_ID_FIELD"}, {Field: "occurred_at", Policy: "EVENT_OCCURRED_AT"}}
	tests := []struct {
		name           string
		kind           string
		server, module string
		want           []policies.RequiredField
	}{
		{name: "built-ins for events", kind: "event", want: both},
		{name: "no field policy for pbtables", kind: "pbtable"},
		{name: "no field policy for logs", kind: "log"},
		{name: "module renames the id field", kind: "event", module: "- {name: EVENT_ID_FIELD, params: {field: id}}",
			want: []policies.RequiredField{{Field: "id", Policy: "EVENT_ID_FIELD"}, both[1]}},
		{name: "server renames the time field", kind: "event", server: "- {name: EVENT_OCCURRED_AT, params: {field: at}}",
			want: []policies.RequiredField{both[0], {Field: "at", Policy: "EVENT_OCCURRED_AT"}}},
		{name: "disabled", kind: "event", module: "- {name: EVENT_ID_FIELD, disabled: true}", want: both[1:]},
		{name: "a warning does not block", kind: "event", module: "- {name: EVENT_OCCURRED_AT, severity: warning}", want: both[:1]},
		{name: "another expression may mean anything", kind: "event", module: "- {name: EVENT_ID_FIELD, expr: 'true'}", want: both[1:]},
		{name: "applied to logs too", kind: "log", module: "- {name: EVENT_OCCURRED_AT, kinds: [event, log]}", want: both[1:]},
		{name: "restricted to some modules", kind: "event", server: "- {name: EVENT_ID_FIELD, modules: ['acme/*']}", want: both[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src policies.Sources
			if tt.server != "" {
				src.Server = parse(t, tt.server)
			}
			if tt.module != "" {
				src.Module = parse(t, tt.module)
			}
			got, err := policies.RequiredFields(src, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RequiredFields = %v, want %v", got, tt.want)
			}
		})
	}
	if got, _ := policies.RequiredFields(policies.Sources{NoBuiltins: true}, "event"); got != nil {
		t.Errorf("without built-ins: %v, want none", got)
	}
}
