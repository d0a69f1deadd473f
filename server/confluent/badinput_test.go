package confluent_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server"
)

// TestBadInput: each malformed or hostile request gets Confluent's status
// and error code with a message saying what is wrong, and the store is
// exactly as it was.
func TestBadInput(t *testing.T) {
	cfg, err := server.ParseConfig("registryd.yaml", []byte("confluent:\n  max_schema_bytes: 4096\n  max_references: 3\n  max_reference_depth: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := serve(t, cfg, nil)
	d.register(t, "money", moneyV1)
	d.register(t, "orders-value", orderV1, moneyRef)
	ctx := context.Background()
	// A reference cycle, which registrations cannot build (a reference
	// names an existing version), written into the store directly: x@1
	// imports y.proto = y@1, which imports x.proto = x@1.
	for _, s := range []registry.Schema{
		{ID: 50, Digest: "cycle-x", Type: "PROTOBUF", Text: "syntax = \"proto3\";\nimport \"y.proto\";\n", References: []registry.SchemaReference{{Name: "y.proto", Module: "confluent/y", Version: 1}}},
		{ID: 51, Digest: "cycle-y", Type: "PROTOBUF", Text: "syntax = \"proto3\";\nimport \"x.proto\";\n", References: []registry.SchemaReference{{Name: "x.proto", Module: "confluent/x", Version: 1}}},
	} {
		if _, _, err := d.store.AssignSchemaID(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for m, id := range map[string]int64{"confluent/x": 50, "confluent/y": 51} {
		if err := d.store.BindSchema(ctx, registry.SchemaBinding{Module: m, Version: 1, SchemaID: id}); err != nil {
			t.Fatal(err)
		}
	}
	// A chain deeper than max_reference_depth: deep imports b@1 imports
	// money@1... built by registrations.
	d.register(t, "b", "syntax = \"proto3\";\nimport \"m.proto\";\npackage b.v1;\nmessage B { acme.common.v1.Money m = 1; }\n",
		map[string]any{"name": "m.proto", "subject": "money", "version": 1})
	d.register(t, "c", "syntax = \"proto3\";\nimport \"b.proto\";\npackage c.v1;\nmessage C { b.v1.B b = 1; }\n",
		map[string]any{"name": "b.proto", "subject": "b", "version": 1})

	valid := schemaBody(moneyV1 + "message New { string a = 1; }\n")
	ref := func(name, subject string, version int) map[string]any {
		return map[string]any{"name": name, "subject": subject, "version": version}
	}
	withRefs := func(text string, refs ...map[string]any) map[string]any { return schemaBody(text, refs...) }
	tests := []struct {
		name         string
		method, path string
		body         any
		contentType  string
		status, code int
		says         string
	}{
		{"malformed JSON", "POST", "/subjects/s/versions", `{"schema": "x",`, "", 400, 400, "not valid JSON"},
		{"not an object", "POST", "/subjects/s/versions", `["schema"]`, "", 422, 422, "wrong type"},
		{"trailing data", "POST", "/subjects/s/versions", `{"schema":"a","schemaType":"PROTOBUF"} {}`, "", 400, 400, "after its JSON"},
		{"empty body", "POST", "/subjects/s/versions", ``, "", 400, 400, "no JSON body"},
		{"unknown field", "POST", "/subjects/s/versions", `{"schema":"a","schemaType":"PROTOBUF","schemaa":1}`, "", 422, 422, `"schemaa"`},
		{"wrong field type", "POST", "/subjects/s/versions", `{"schema":5,"schemaType":"PROTOBUF"}`, "", 422, 422, "schema"},
		{"no schemaType: AVRO", "POST", "/subjects/s/versions", map[string]any{"schema": moneyV1}, "", 422, 42201, "only"},
		{"JSON schema", "POST", "/subjects/s/versions", map[string]any{"schema": "{}", "schemaType": "JSON"}, "", 422, 42201, "PROTOBUF schemas only"},
		{"empty schema", "POST", "/subjects/s/versions", schemaBody(""), "", 422, 42201, "empty"},
		{"does not compile", "POST", "/subjects/s/versions", schemaBody("syntax = \"proto3\";\nmessage A { strin x = 1; }\n"), "", 422, 42201, "s.proto:2"},
		{"missing import", "POST", "/subjects/s/versions", schemaBody(orderV1), "", 422, 42201, "acme/common/v1/money.proto"},
		{"huge schema", "POST", "/subjects/s/versions", schemaBody(moneyV1 + "// " + strings.Repeat("x", 4096) + "\n"), "", 422, 42209, "max_schema_bytes"},
		{"huge body", "POST", "/subjects/s/versions", `{"schema":"` + strings.Repeat("x", 100000) + `"}`, "", 413, 413, "max_request_bytes"},
		{"metadata", "POST", "/subjects/s/versions", map[string]any{"schema": moneyV1, "schemaType": "PROTOBUF", "metadata": map[string]any{"properties": map[string]string{"a": "b"}}}, "", 422, 42201, "metadata"},
		{"content type", "POST", "/subjects/s/versions", valid, "text/plain", 415, 415, "application/vnd.schemaregistry.v1+json"},
		{"reference to a missing subject", "POST", "/subjects/s/versions", withRefs(orderV1, ref("acme/common/v1/money.proto", "nobody", 1)), "", 422, 42201, `subject "nobody"`},
		{"reference to a missing version", "POST", "/subjects/s/versions", withRefs(orderV1, ref("acme/common/v1/money.proto", "money", 9)), "", 422, 42201, "version 9"},
		{"reference without a name", "POST", "/subjects/s/versions", withRefs(orderV1, ref("", "money", 1)), "", 422, 42201, "no name"},
		{"reference not a clean path", "POST", "/subjects/s/versions", withRefs(orderV1, ref("../money.proto", "money", 1)), "", 422, 42201, "not clean"},
		{"reference named as the schema", "POST", "/subjects/s/versions", withRefs(orderV1, ref("s.proto", "money", 1)), "", 422, 42201, "own schema"},
		{"two files one name", "POST", "/subjects/s/versions", withRefs(orderV1, ref("acme/common/v1/money.proto", "money", 1), ref("acme/common/v1/money.proto", "orders-value", 1)), "", 422, 42201, "different schemas"},
		{"reference cycle", "POST", "/subjects/s/versions", withRefs("syntax = \"proto3\";\nimport \"x.proto\";\n", ref("x.proto", "x", 1)), "", 422, 42201, "cycle"},
		{"too many references", "POST", "/subjects/s/versions", withRefs(moneyV1, ref("a.proto", "money", 1), ref("b.proto", "money", 1), ref("c.proto", "money", 1), ref("d.proto", "money", 1)), "", 422, 42201, "max_references"},
		{"references too deep", "POST", "/subjects/s/versions", withRefs("syntax = \"proto3\";\nimport \"c.proto\";\n", ref("c.proto", "c", 1)), "", 422, 42201, "max_reference_depth"},
		{"incompatible", "POST", "/subjects/orders-value/versions", withRefs(orderBroken, moneyRef), "", 409, 409, "FIELD_WIRE_COMPATIBLE_TYPE"},
		{"subject too long", "POST", "/subjects/" + strings.Repeat("s", 200) + "/versions", valid, "", 422, 42208, "longer than"},
		{"version not a number", "GET", "/subjects/money/versions/abc", nil, "", 422, 42202, "not a valid version"},
		{"version 0", "GET", "/subjects/money/versions/0", nil, "", 422, 42202, "not a valid version"},
		{"version past 2^31-1", "GET", "/subjects/money/versions/2147483648", nil, "", 422, 42202, "not a valid version"},
		{"version not found", "GET", "/subjects/money/versions/2", nil, "", 404, 40402, "Version 2"},
		{"subject not found", "GET", "/subjects/nobody/versions/1", nil, "", 404, 40401, "nobody"},
		{"versions of a missing subject", "GET", "/subjects/nobody/versions", nil, "", 404, 40401, "nobody"},
		{"id 0", "GET", "/schemas/ids/0", nil, "", 404, 40403, "between 1 and 2147483647"},
		{"id out of range", "GET", "/schemas/ids/99999999999", nil, "", 404, 40403, "between 1 and 2147483647"},
		{"id negative", "GET", "/schemas/ids/-1", nil, "", 404, 40403, "between 1 and 2147483647"},
		{"id not a number", "GET", "/schemas/ids/abc/versions", nil, "", 404, 40403, "between 1 and 2147483647"},
		{"id unknown", "GET", "/schemas/ids/77/schema", nil, "", 404, 40403, "77"},
		{"compatibility level", "PUT", "/config", map[string]any{"compatibility": "SOMETIMES"}, "", 422, 42203, "Valid values"},
		{"compatibility missing", "PUT", "/config/money", map[string]any{}, "", 422, 42203, "names none"},
		{"compatibility unknown field", "PUT", "/config", map[string]any{"compatibility": "FULL", "compatibilityGroupX": "a"}, "", 422, 422, "compatibilityGroupX"},
		{"mode", "PUT", "/mode", map[string]any{"mode": "WRITEONLY"}, "", 422, 42204, "READWRITE"},
		{"compatibility of a bad schema", "POST", "/compatibility/subjects/money/versions/latest", schemaBody("syntax = \"proto3\";\nmessage {"), "", 422, 42201, "compile"},
		{"compatibility bad version", "POST", "/compatibility/subjects/money/versions/x", valid, "", 422, 42202, "not a valid version"},
		{"unknown path", "GET", "/subjects/money/versions/1/nothing", nil, "", 404, 404, "not an endpoint"},
		{"method", "PATCH", "/subjects", nil, "", 405, 405, "PATCH"},
		{"delete a missing subject", "DELETE", "/subjects/nobody", nil, "", 404, 40401, "nobody"},
		{"delete a missing mode", "DELETE", "/mode/money", nil, "", 404, 40409, "money"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := d.snapshot(t)
			var r response
			if tc.contentType != "" {
				r = d.doType(t, tc.method, tc.path, tc.body, tc.contentType)
			} else {
				r = d.do(t, tc.method, tc.path, tc.body)
			}
			wantCode(t, tc.name, r, tc.status, tc.code, tc.says)
			if after := d.snapshot(t); after != before {
				t.Errorf("the refused request changed the store:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestAuth: tokens as bearer tokens or basic auth passwords; reads need
// read, registering push:<module>, configuration admin.
func TestAuth(t *testing.T) {
	var entries []auth.Entry
	tokens := map[string]string{}
	for name, scope := range map[string]string{"reader": "read", "orders": "push:confluent/orders-*", "admin": "admin"} {
		tok, e, err := auth.CreateToken(name, []string{scope})
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
		entries = append(entries, e)
	}
	d := serve(t, nil, auth.New(&auth.TokensFile{Entries: entries}, auth.Options{}))
	basic := func(token string) string { return "Basic " + b64("kafka:"+token) }
	tests := []struct {
		name          string
		authorization string
		method, path  string
		body          any
		status, code  int
	}{
		{"no token", "", "GET", "/subjects", nil, 401, 40101},
		{"wrong token", "Bearer nope", "GET", "/subjects", nil, 401, 40101},
		{"basic without password", "Basic " + b64("kafka"), "GET", "/subjects", nil, 401, 40101},
		{"basic not base64", "Basic !!!", "GET", "/subjects", nil, 401, 40101},
		{"reader reads (bearer)", "Bearer " + tokens["reader"], "GET", "/subjects", nil, 200, 0},
		{"reader reads (basic)", basic(tokens["reader"]), "GET", "/config", nil, 200, 0},
		{"reader may not register", basic(tokens["reader"]), "POST", "/subjects/orders-value/versions", schemaBody(moneyV1), 403, 40301},
		{"pusher registers its subjects", basic(tokens["orders"]), "POST", "/subjects/orders-value/versions", schemaBody(moneyV1), 200, 0},
		{"pusher may not register others", basic(tokens["orders"]), "POST", "/subjects/payments-value/versions", schemaBody(moneyV1), 403, 40301},
		{"pusher may not set levels", basic(tokens["orders"]), "PUT", "/config/orders-value", map[string]any{"compatibility": "NONE"}, 403, 40301},
		{"pusher may not delete", basic(tokens["orders"]), "DELETE", "/subjects/orders-value", nil, 403, 40301},
		{"pusher may not set modes", basic(tokens["orders"]), "PUT", "/mode", map[string]any{"mode": "READONLY"}, 403, 40301},
		{"admin sets levels", "Bearer " + tokens["admin"], "PUT", "/config/orders-value", map[string]any{"compatibility": "NONE"}, 200, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.token = ""
			r := d.doAuth(t, tc.method, tc.path, tc.body, tc.authorization)
			if tc.code == 0 {
				if r.status != tc.status {
					t.Errorf("%d %s, want %d", r.status, r.body, tc.status)
				}
				return
			}
			wantCode(t, tc.name, r, tc.status, tc.code)
			if tc.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	v, err := d.store.GetVersion(context.Background(), "confluent/orders-value", 1)
	if err != nil || v.Principal != "orders" {
		t.Errorf("the version's principal = %q, %v; want the token's name", v.Principal, err)
	}
}

// TestConfig: the confluent: section of registryd's configuration.
func TestConfig(t *testing.T) {
	cfg, err := server.ParseConfig("r.yaml", []byte("confluent:\n  prefix: /confluent\n  module_prefix: kafka/sr\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := serve(t, cfg, nil)
	r := d.do(t, "POST", "/confluent/subjects/orders-value/versions", schemaBody(moneyV1))
	want(t, "register under the prefix", r, 200, `{"id":1}`)
	if _, err := d.store.GetModule(context.Background(), "kafka/sr/orders-value"); err != nil {
		t.Errorf("module under module_prefix: %v", err)
	}
	if r := d.do(t, "GET", "/subjects", nil); r.status != 404 {
		t.Errorf("GET /subjects outside the prefix = %d %s", r.status, r.body)
	}
	off, err := server.ParseConfig("r.yaml", []byte("confluent:\n  enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := serve(t, off, nil).do(t, "GET", "/subjects", nil); r.status != 404 || r.errorCode() != 0 {
		t.Errorf("GET /subjects with the API disabled = %d %s", r.status, r.body)
	}
	for yaml, says := range map[string]string{
		"confluent:\n  prefix: confluent\n":    "not a URL path",
		"confluent:\n  module_prefix: Kafka\n": "uppercase",
		"confluent:\n  module_prefix: a//b\n":  "module_prefix",
		"confluent:\n  max_schema_bytes: -1\n": "max_schema_bytes",
		"confluent:\n  max_references: x\n":    "line 2",
		"confluent:\n  unknown: 1\n":           "unknown",
	} {
		_, err := server.ParseConfig("r.yaml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("ParseConfig(%q) = %v, want an error saying %q", yaml, err, says)
		}
	}
}

func b64(s string) string {
	return fmt.Sprint(base64Encode([]byte(s)))
}
