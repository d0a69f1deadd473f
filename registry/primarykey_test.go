package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// TestPushDottedPrimaryKey: a pbtable's primary key may name a field of a
// nested message; the push is accepted when the path resolves to a scalar,
// and refused by PBTABLE_PRIMARY_KEY, naming the step, when it does not.
func TestPushDottedPrimaryKey(t *testing.T) {
	const proto = `syntax = "proto3";
package acme.billing.v1;

message InvoiceKey {
  string tenant = 1;
  string id = 2;
}

message Invoice {
  InvoiceKey key = 1;
  int64 amount = 2;
}
`
	config := func(key string) string {
		return `version: v1
module: acme/billing
roots: [proto]
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [` + key + `]
`
	}
	tests := []struct {
		key      string
		wantRule string // empty: accepted
		wantText string
	}{
		{key: "key.tenant, key.id"},
		{key: "key.idd", wantRule: "PBTABLE_PRIMARY_KEY", wantText: "has no field idd"},
		{key: "amount.x", wantRule: "PBTABLE_PRIMARY_KEY", wantText: "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			s := newService(t)
			v, _, verdict, err := s.Push(context.Background(), registry.PushRequest{
				Files: module(config(tt.key), proto), Principal: "ci@acme",
			})
			if tt.wantRule == "" {
				if err != nil || v.Number != 1 {
					t.Fatalf("push: version %d, err %v; want version 1", v.Number, err)
				}
				return
			}
			if err == nil || verdict == nil {
				t.Fatalf("push accepted (err %v); want it refused by %s", err, tt.wantRule)
			}
			found := false
			for _, f := range verdict.Findings {
				if f.Rule == tt.wantRule && f.Blocking() && strings.Contains(f.Message, tt.wantText) {
					found = true
				}
			}
			if !found {
				t.Errorf("findings %+v: want a blocking %s saying %q", verdict.Findings, tt.wantRule, tt.wantText)
			}
		})
	}
}
