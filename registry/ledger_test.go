package registry_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// reuseConfig declares one event subject. Events check WIRE rules, so
// neither a json_name option (PBTABLE_STABLE_JSON_NAME applies to pbtables
// only) nor a deleted field (LOG_RESERVE_DELETED_FIELDS applies to logs
// only) trips a built-in policy; the subject lets elements be deleted
// without reserving their number, which is what makes reuse possible.
const reuseConfig = `version: v1
module: acme/billing
roots: [proto]
subjects:
  - message: acme.billing.v1.InvoicePaid
    kind: event
    except: [FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED, ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED]
`

// reuseProto renders an InvoicePaid event holding a Status enum, with the
// given extra fields and extra enum values.
func reuseProto(fields, values string) string {
	return fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";

message InvoicePaid {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
  Status status = 3;
%s
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_OPEN = 1;
%s
}
`, fields, values)
}

// TestLedgerReuseRules: for each kind of key the ledger records, an
// element added in version 2 and deleted in version 3 without reserving
// may not come back with another meaning; the refusal names the rule and
// version 2, which first used the key. The element may come back with its
// old meaning, as version 4.
func TestLedgerReuseRules(t *testing.T) {
	type schema struct{ fields, values string }
	tests := []struct {
		name   string
		added  schema // version 2; versions 1 and 3 do not have it
		reused schema // the key with another meaning: refused
		rule   string
		want   string
	}{
		{
			name:   "field name",
			added:  schema{fields: "  string note = 4;"},
			reused: schema{fields: "  string note = 5;"},
			rule:   "FIELD_NAME_NO_REUSE",
			want:   `Field "note" on message "InvoicePaid" reuses a field name that belonged to field 4 from version 2 until it was deleted`,
		},
		{
			name:   "JSON name",
			added:  schema{fields: `  string note = 4 [json_name = "memo"];`},
			reused: schema{fields: `  string remark = 5 [json_name = "memo"];`},
			rule:   "FIELD_JSON_NAME_NO_REUSE",
			want:   `Field "memo" on message "InvoicePaid" reuses a json name that belonged to field 4 from version 2 until it was deleted`,
		},
		{
			name:   "enum value number",
			added:  schema{values: "  STATUS_VOID = 2;"},
			reused: schema{values: "  STATUS_REFUNDED = 2;"},
			rule:   "ENUM_VALUE_NUMBER_NO_REUSE",
			want:   `Enum "Status" reuses number 2, which was STATUS_VOID from version 2 until it was deleted; data written then would be read as STATUS_REFUNDED`,
		},
		{
			name:   "enum value name",
			added:  schema{values: "  STATUS_VOID = 2;"},
			reused: schema{values: "  STATUS_VOID = 3;"},
			rule:   "ENUM_VALUE_NAME_NO_REUSE",
			want:   `Enum "Status" reuses the name STATUS_VOID, which was number 2 from version 2 until it was deleted; JSON data written then would be read as number 3`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			mustPush(t, s, reuseConfig, reuseProto("", ""))                           // v1
			mustPush(t, s, reuseConfig, reuseProto(tt.added.fields, tt.added.values)) // v2: the key is used
			// v3: the element is deleted, not reserved. (A push with the
			// content of v1 would be v1 again: pushes are idempotent by
			// content.)
			if v := mustPush(t, s, reuseConfig, reuseProto("  int64 amount = 9;", "")); v.Number != 3 {
				t.Fatalf("deleting the element got version %d, want 3", v.Number)
			}
			_, _, err := push(t, s, reuseConfig, reuseProto("  int64 amount = 9;\n"+tt.reused.fields, tt.reused.values))
			var rejected *registry.RejectedError
			if !errors.As(err, &rejected) {
				t.Fatalf("reuse: err = %v, want a RejectedError", err)
			}
			var rules []string
			for _, f := range rejected.Verdict.Findings {
				if f.Blocking() {
					rules = append(rules, f.Rule)
					if f.Subject != "acme.billing.v1.InvoicePaid" || f.Level != registry.LevelFullTransitive {
						t.Errorf("%s attributed to subject %q at %s, want InvoicePaid at FULL_TRANSITIVE", f.Rule, f.Subject, f.Level)
					}
				}
			}
			if fmt.Sprint(rules) != fmt.Sprint([]string{tt.rule}) {
				t.Errorf("blocking rules %v, want [%s]", rules, tt.rule)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "("+tt.rule+", FULL_TRANSITIVE)") {
				t.Errorf("rejection:\n%v\nwant it to say: %s (%s, FULL_TRANSITIVE)", err, tt.want, tt.rule)
			}
			v := mustPush(t, s, reuseConfig, reuseProto("  int64 amount = 9;\n"+tt.added.fields, tt.added.values))
			if v.Number != 4 {
				t.Errorf("restoring the old meaning got version %d, want 4", v.Number)
			}
		})
	}
}
