package confluent_test

import (
	"strings"
	"testing"
)

// TestDifferences: the verdicts docs/confluent.md lists, at Confluent's
// default level (BACKWARD), with pbregistry's WIRE rules (the default) and
// with the CSR rules a subject opts into with PUT /config {"rules": "CSR"}
// (buf's category modelled on Confluent Schema Registry's checks).
func TestDifferences(t *testing.T) {
	const v1 = "syntax = \"proto3\";\npackage acme.d.v1;\nmessage Payment {\n  string id = 1;\n  int32 amount = 2;\n  string note = 3;\n}\n"
	tests := []struct {
		name      string
		next      string
		wire, csr string // "" compatible, else a rule the 409 names
	}{
		{"delete a field without reserving its number", strings.Replace(v1, "  string note = 3;\n", "", 1), "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE"},
		{"delete a field reserving its number", strings.Replace(v1, "  string note = 3;\n", "  reserved 3;\n", 1), "", "FIELD_NO_DELETE"},
		{"int32 to int64", strings.Replace(v1, "int32 amount", "int64 amount", 1), "", "FIELD_SAME_TYPE"},
		{"rename a field", strings.Replace(v1, "string note = 3;", "string remark = 3;", 1), "", "FIELD_SAME_NAME"},
		{"change the package", strings.Replace(v1, "acme.d.v1", "acme.d.v2", 1), "SUBJECT_NO_DELETE", "SUBJECT_NO_DELETE"},
		{"change a wire type", strings.Replace(v1, "string id = 1;", "int64 id = 1;", 1), "FIELD_WIRE_COMPATIBLE_TYPE", "FIELD_SAME_TYPE"},
		{"add a field", strings.Replace(v1, "  string note = 3;\n", "  string note = 3;\n  bool paid = 4;\n", 1), "", ""},
	}
	for _, rules := range []string{"WIRE", "CSR"} {
		for _, tc := range tests {
			t.Run(rules+"/"+tc.name, func(t *testing.T) {
				d := serve(t, nil, nil)
				if rules != "WIRE" {
					want(t, "rules", d.do(t, "PUT", "/config/payments-value", map[string]any{"rules": rules}), 200, `{"rules":"`+rules+`"}`)
				}
				d.register(t, "payments-value", v1)
				r := d.do(t, "POST", "/subjects/payments-value/versions", schemaBody(tc.next))
				rule := tc.wire
				if rules == "CSR" {
					rule = tc.csr
				}
				if rule == "" {
					want(t, tc.name, r, 200, "")
					return
				}
				wantCode(t, tc.name, r, 409, 409, rule)
			})
		}
	}
	// IMPORT mode checks as always.
	d := serve(t, nil, nil)
	d.register(t, "payments-value", v1)
	want(t, "IMPORT", d.do(t, "PUT", "/mode?force=true", map[string]any{"mode": "IMPORT"}), 200, "")
	wantCode(t, "an incompatible import", d.do(t, "POST", "/subjects/payments-value/versions",
		map[string]any{"schema": strings.Replace(v1, "string id = 1;", "int64 id = 1;", 1), "schemaType": "PROTOBUF", "id": 7, "version": 2}), 409, 409, "FIELD_WIRE_COMPATIBLE_TYPE")
}

// TestRulesSwitch: a subject's rules switched with PUT /config/{s} apply
// to its existing messages at once, both ways, and DELETE /config/{s}
// returns to WIRE.
func TestRulesSwitch(t *testing.T) {
	const v1 = "syntax = \"proto3\";\npackage acme.r.v1;\nmessage Payment {\n  string id = 1;\n  int32 amount = 2;\n}\n"
	widened := strings.Replace(v1, "int32 amount", "int64 amount", 1)
	d := serve(t, nil, nil)
	d.register(t, "payments-value", v1)
	want(t, "CSR", d.do(t, "PUT", "/config/payments-value", map[string]any{"rules": "csr"}), 200, `{"rules":"CSR"}`)
	want(t, "GET /config/payments-value", d.do(t, "GET", "/config/payments-value?defaultToGlobal=true", nil), 200, `{"compatibilityLevel":"BACKWARD","rules":"CSR"}`)
	wantCode(t, "int32 to int64 under CSR", d.do(t, "POST", "/subjects/payments-value/versions", schemaBody(widened)), 409, 409, "FIELD_SAME_TYPE")
	want(t, "back to WIRE", d.do(t, "DELETE", "/config/payments-value", nil), 200, "")
	want(t, "int32 to int64 under WIRE", d.do(t, "POST", "/subjects/payments-value/versions", schemaBody(widened)), 200, `{"id":2}`)
	wantCode(t, "unknown rules", d.do(t, "PUT", "/config/payments-value", map[string]any{"rules": "FILE"}), 422, 42203, "WIRE, WIRE_JSON, CSR")
}
