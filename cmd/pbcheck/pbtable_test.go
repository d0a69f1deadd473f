package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPbtable runs pbcheck pbtable on the lakehouse test module: the
// output is the golden DDL the lakehouse/pgddl tests apply to Postgres.
func TestPbtable(t *testing.T) {
	orders, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "testdata", "orders"))
	if err != nil {
		t.Fatal(err)
	}
	golden := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "lakehouse", "testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"ddl", []string{"pbtable", "ddl", "v1"}, "order_v1.sql"},
		{"ddl with subject and names", []string{"pbtable", "ddl", "v1", "--subject", "acme.shop.v1.Order", "--schema", "shop", "--table", "orders", "--view", "orders_v", "--row-column", "doc"}, "order_v1_schema.sql"},
		{"migrate", []string{"pbtable", "migrate", "v1", "v2"}, "order_v1_v2.sql"},
		{"migrate with --from --to", []string{"pbtable", "migrate", "--from", "v1", "--to", "v2"}, "order_v1_v2.sql"},
		{"migrate with history", []string{"pbtable", "migrate", "v1", "v2", "--history", "v1"}, "order_v1_v2.sql"},
		{"migrate without rewrite", []string{"pbtable", "migrate", "v1", "v2", "--no-rewrite"}, "order_v1_v2_norewrite.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pbcheck(t, orders, nil, tt.args...)
			if code != exitOK || stdout != golden(tt.golden) {
				t.Errorf("exit %d, stderr %s; stdout equals %s: %v", code, stderr, tt.golden, stdout == golden(tt.golden))
			}
		})
	}
}

// TestPbtableErrors: mistakes get exit 1 and a message saying what to do.
func TestPbtableErrors(t *testing.T) {
	orders, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "testdata", "orders"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"event/pbregistry.yaml":            "version: v1\nmodule: acme/shop\nsubjects:\n  - {message: acme.shop.v1.Paid, kind: event}\n",
		"event/acme/shop/v1/paid.proto":    "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Paid { string id = 1; }\nmessage Other { string id = 1; }\n",
		"twokeys/acme/shop/v1/paid.proto":  "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Paid { string id = 1; }\n",
		"twokeys/pbregistry.yaml":          "version: v1\nmodule: acme/shop\n",
		"changed/pbregistry.yaml":          "version: v1\nmodule: acme/shop\nsubjects:\n  - {message: acme.shop.v1.Paid, kind: pbtable, primary_key: [id]}\n",
		"changed/acme/shop/v1/paid.proto":  "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Paid { int64 id = 1; }\n",
		"original/pbregistry.yaml":         "version: v1\nmodule: acme/shop\nsubjects:\n  - {message: acme.shop.v1.Paid, kind: pbtable, primary_key: [id]}\n",
		"original/acme/shop/v1/paid.proto": "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Paid { string id = 1; }\n",
	})
	tests := []struct {
		name, dir string
		args      []string
		want      string
	}{
		{"no command", orders, []string{"pbtable"}, "pbcheck pbtable: want ddl or migrate"},
		{"unknown command", orders, []string{"pbtable", "drop"}, `pbcheck pbtable: unknown pbtable command "drop": want ddl or migrate`},
		{"migrate one input", orders, []string{"pbtable", "migrate", "v1"}, "pbcheck pbtable: migrate wants two inputs, <from-input> <to-input>, got 1"},
		{"both forms", orders, []string{"pbtable", "migrate", "v1", "v2", "--from", "v1", "--to", "v2"}, "give the versions as <from-input> <to-input>, or as --from and --to, not both"},
		{"ddl with --no-rewrite", orders, []string{"pbtable", "ddl", "v1", "--no-rewrite"}, "--no-rewrite, --from, --to and --history are for migrate"},
		{"unknown message", orders, []string{"pbtable", "ddl", "v1", "--subject", "acme.shop.v1.Nope", "--primary-key", "id"}, "pbtable: message acme.shop.v1.Nope is not in v1: check --subject (a fully-qualified message name)"},
		{"not a pbtable", dir, []string{"pbtable", "ddl", "event", "--subject", "acme.shop.v1.Paid"}, "pbtable: subject acme.shop.v1.Paid of event has kind event, not pbtable: only pbtables have tables"},
		{"no primary key", dir, []string{"pbtable", "ddl", "event", "--subject", "acme.shop.v1.Other"}, "pbtable: acme.shop.v1.Other has no primary key in event: set primary_key on its subject in pbregistry.yaml, or pass --primary-key"},
		{"no pbtable subject", dir, []string{"pbtable", "ddl", "twokeys"}, "pbcheck pbtable: twokeys has 0 pbtable subjects (): name one with --subject"},
		{"bad key", orders, []string{"pbtable", "ddl", "v1", "--primary-key", "key.nope"}, `pbtable v1: acme.shop.v1.Order: primary_key "key.nope": acme.shop.v1.OrderKey has no field "nope": use field names of the message, or dotted paths like key.id`},
		{"bad table name", orders, []string{"pbtable", "ddl", "v1", "--table", "Orders;"}, `pbtable DDL for acme.shop.v1.Order: invalid table name "Orders;": use lowercase letters, digits and underscores, starting with a letter or underscore, at most 63 bytes`},
		{"key changes", dir, []string{"pbtable", "migrate", "original", "changed"}, "pbtable migration for acme.shop.v1.Paid: the primary key changes between the versions: a pbtable's key cannot change; create a new table and copy the rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pbcheck(t, tt.dir, nil, tt.args...)
			if code != exitError || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and %q", code, stdout, stderr, tt.want)
			}
		})
	}
	// --primary-key overrides the subject's key.
	code, stdout, stderr := pbcheck(t, orders, nil, "pbtable", "ddl", "v1", "--primary-key", "tenant_id")
	if code != exitOK || !strings.Contains(stdout, `CONSTRAINT "order_pkey" PRIMARY KEY ("tenant_id")`) {
		t.Errorf("--primary-key: exit %d, stderr %s", code, stderr)
	}
}
