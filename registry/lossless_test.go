package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// losslessConfig declares Invoice (pbtable) and InvoicePaid (event) with
// the extra subject lines given.
func losslessConfig(invoice, paid string) string {
	return "version: v1\nmodule: acme/billing\nroots: [proto]\nsubjects:\n" +
		"  - message: acme.billing.v1.Invoice\n    kind: pbtable\n    primary_key: [id]\n" + invoice +
		"  - message: acme.billing.v1.InvoicePaid\n    kind: event\n" + paid
}

// losslessProto renders Invoice and InvoicePaid with the given extra fields
// and the values of Status after its zero value.
func losslessProto(invoice, paid, status string) string {
	return fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";
enum Status {
  STATUS_UNSPECIFIED = 0;
%s
}
message Invoice {
  string id = 1;
  Status status = 2;
%s
}
message InvoicePaid {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
%s
}
`, status, invoice, paid)
}

// TestLosslessByDefault: the LOSSLESS rules are warnings on every kind by
// default and errors for pbtables, whose JSON rows every version reads; a
// subject's use: makes them errors, its except: drops them.
func TestLosslessByDefault(t *testing.T) {
	tests := []struct {
		name          string
		invoice, paid string // extra subject lines
		before, after [3]string
		want          []string // "RULE severity"
	}{
		{"event widening int32 to int64: a warning (old readers truncate)", "", "",
			[3]string{"", "  int32 count = 3;", "  STATUS_OPEN = 1;"}, [3]string{"", "  int64 count = 3;", "  STATUS_OPEN = 1;"},
			[]string{"FIELD_WIRE_LOSSLESS_TYPE warning"}},
		{"pbtable gaining an enum value: an error (old JSON readers reject the name)", "", "",
			[3]string{"", "", "  STATUS_OPEN = 1;"}, [3]string{"", "", "  STATUS_OPEN = 1;\n  STATUS_PAID = 2;"},
			[]string{"ENUM_VALUE_WIRE_JSON_LOSSLESS_ADD error"}},
		{"event use: WIRE_LOSSLESS makes it an error", "", "    use: [WIRE, WIRE_LOSSLESS]\n",
			[3]string{"", "  int32 count = 3;", "  STATUS_OPEN = 1;"}, [3]string{"", "  int64 count = 3;", "  STATUS_OPEN = 1;"},
			[]string{"FIELD_WIRE_LOSSLESS_TYPE error"}},
		{"event except: WIRE_LOSSLESS drops it", "", "    except: [WIRE_LOSSLESS]\n",
			[3]string{"", "  int32 count = 3;", "  STATUS_OPEN = 1;"}, [3]string{"", "  int64 count = 3;", "  STATUS_OPEN = 1;"},
			nil},
		{"pbtable except: WIRE_JSON_LOSSLESS drops it", "    except: [WIRE_JSON_LOSSLESS]\n", "",
			[3]string{"", "", "  STATUS_OPEN = 1;"}, [3]string{"", "", "  STATUS_OPEN = 1;\n  STATUS_PAID = 2;"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			cfg := losslessConfig(tt.invoice, tt.paid)
			mustPush(t, s, cfg, losslessProto(tt.before[0], tt.before[1], tt.before[2]))
			v, err := s.CheckPush(context.Background(), registry.PushRequest{Files: module(cfg, losslessProto(tt.after[0], tt.after[1], tt.after[2])), Principal: "ci"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range v.Findings {
				got = append(got, strings.Join(f.Rules(), "+")+" "+f.Severity.String())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
			blocking := false
			for _, w := range tt.want {
				blocking = blocking || strings.HasSuffix(w, " error")
			}
			if v.Accepted() == blocking {
				t.Errorf("accepted = %v with findings %q", v.Accepted(), got)
			}
		})
	}
}
