package confluent_test

import (
	"strings"
	"testing"
)

// TestDifferences: the verdicts docs/confluent.md lists where pbregistry
// differs from Confluent, at Confluent's default level (BACKWARD).
func TestDifferences(t *testing.T) {
	const v1 = "syntax = \"proto3\";\npackage acme.d.v1;\nmessage Payment {\n  string id = 1;\n  int32 amount = 2;\n  string note = 3;\n}\n"
	tests := []struct {
		name   string
		next   string
		status int
		says   string
	}{
		{"delete a field without reserving its number", strings.Replace(v1, "  string note = 3;\n", "", 1), 409, "FIELD_NO_DELETE"},
		{"delete a field reserving its number", strings.Replace(v1, "  string note = 3;\n", "  reserved 3;\n", 1), 200, ""},
		{"int32 to int64", strings.Replace(v1, "int32 amount", "int64 amount", 1), 200, ""},
		{"rename a field", strings.Replace(v1, "string note = 3;", "string remark = 3;", 1), 200, ""},
		{"change the package", strings.Replace(v1, "acme.d.v1", "acme.d.v2", 1), 409, "SUBJECT_NO_DELETE"},
		{"change a wire type", strings.Replace(v1, "string id = 1;", "int64 id = 1;", 1), 409, "FIELD_WIRE_COMPATIBLE_TYPE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := serve(t, nil, nil)
			d.register(t, "payments-value", v1)
			r := d.do(t, "POST", "/subjects/payments-value/versions", schemaBody(tc.next))
			if tc.status == 200 {
				want(t, tc.name, r, 200, "")
				return
			}
			wantCode(t, tc.name, r, tc.status, tc.status, tc.says)
		})
	}
	// IMPORT mode checks as always.
	d := serve(t, nil, nil)
	d.register(t, "payments-value", v1)
	want(t, "IMPORT", d.do(t, "PUT", "/mode?force=true", map[string]any{"mode": "IMPORT"}), 200, "")
	wantCode(t, "an incompatible import", d.do(t, "POST", "/subjects/payments-value/versions",
		map[string]any{"schema": strings.Replace(v1, "string id = 1;", "int64 id = 1;", 1), "schemaType": "PROTOBUF", "id": 7, "version": 2}), 409, 409, "FIELD_WIRE_COMPATIBLE_TYPE")
}
