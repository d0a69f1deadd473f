package confluent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server"
)

const moneyV1 = `syntax = "proto3";
package acme.common.v1;
message Money {
  string currency = 1;
  int64 units = 2;
}
`

const orderV1 = `syntax = "proto3";
package acme.orders.v1;
import "acme/common/v1/money.proto";
message Order {
  string id = 1;
  acme.common.v1.Money total = 2;
}
`

// orderV2 adds a field: compatible at every level under WIRE rules.
var orderV2 = strings.Replace(orderV1, "  acme.common.v1.Money total = 2;\n", "  acme.common.v1.Money total = 2;\n  string note = 3;\n", 1)

// orderBroken changes a field's wire type.
var orderBroken = strings.Replace(orderV1, "string id = 1;", "int64 id = 1;", 1)

// moneyRef references money version 1 as the file the orders import.
var moneyRef = map[string]any{"name": "acme/common/v1/money.proto", "subject": "money", "version": 1}

// schemaBody is a register, lookup or compatibility body.
func schemaBody(text string, refs ...map[string]any) map[string]any {
	b := map[string]any{"schema": text, "schemaType": "PROTOBUF"}
	if len(refs) > 0 {
		b["references"] = refs
	}
	return b
}

// want checks an answer's status and body (compared as JSON).
func want(t *testing.T, what string, r response, status int, body string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
		return
	}
	if body == "" {
		return
	}
	var got, exp any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Errorf("%s: body %s is not JSON: %v", what, r.body, err)
		return
	}
	if err := json.Unmarshal([]byte(body), &exp); err != nil {
		t.Fatalf("%s: expected body %s is not JSON: %v", what, body, err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Errorf("%s: body %s, want %s", what, g, e)
	}
}

// wantCode checks an error answer's status and error_code, and that its
// message contains each of says.
func wantCode(t *testing.T, what string, r response, status, code int, says ...string) {
	t.Helper()
	if r.status != status || r.errorCode() != code {
		t.Errorf("%s: %d %s, want status %d with error_code %d", what, r.status, r.body, status, code)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/vnd.schemaregistry.v1+json" {
		t.Errorf("%s: content type %q", what, ct)
	}
	var e struct {
		Message string `json:"message"`
	}
	r.json(t, &e)
	for _, s := range says {
		if !strings.Contains(e.Message, s) {
			t.Errorf("%s: message %q does not say %q", what, e.Message, s)
		}
	}
}

// TestRegisterAndRead: registration with references, ids shared across
// subjects, every read endpoint, lookups and the native registry's view.
func TestRegisterAndRead(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testRegisterAndRead(t, serveOn(t, b.open(t), nil, nil)) })
	}
}

func testRegisterAndRead(t *testing.T, d *registryd) {
	want(t, "GET /schemas/types", d.do(t, "GET", "/schemas/types", nil), 200, `["PROTOBUF"]`)
	want(t, "GET /subjects before any", d.do(t, "GET", "/subjects", nil), 200, `[]`)

	moneyID := d.register(t, "money", moneyV1)
	orderID := d.register(t, "orders-value", orderV1, moneyRef)
	if again := d.register(t, "orders-value", orderV1, moneyRef); again != orderID {
		t.Errorf("registering the same schema again: id %d, want %d", again, orderID)
	}
	if shared := d.register(t, "refunds-value", orderV1, moneyRef); shared != orderID {
		t.Errorf("the same schema under another subject: id %d, want %d", shared, orderID)
	}
	order2ID := d.register(t, "orders-value", orderV2, moneyRef)
	if moneyID != 1 || orderID != 2 || order2ID != 3 {
		t.Errorf("ids %d, %d, %d; want 1, 2, 3", moneyID, orderID, order2ID)
	}
	refs := `[{"name":"acme/common/v1/money.proto","subject":"money","version":1}]`
	orderJSON := func(version, id int64, text string) string {
		b, _ := json.Marshal(text)
		return fmt.Sprintf(`{"subject":"orders-value","version":%d,"id":%d,"schemaType":"PROTOBUF","references":%s,"schema":%s}`, version, id, refs, b)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/subjects", `["money","orders-value","refunds-value"]`},
		{"GET", "/subjects?subjectPrefix=or", `["orders-value"]`},
		{"GET", "/subjects/orders-value/versions", `[1,2]`},
		{"GET", "/subjects/orders-value/versions/1", orderJSON(1, orderID, orderV1)},
		{"GET", "/subjects/orders-value/versions/latest", orderJSON(2, order2ID, orderV2)},
		{"GET", "/subjects/orders-value/versions/-1", orderJSON(2, order2ID, orderV2)},
		{"GET", "/subjects/money/versions/1/referencedby", fmt.Sprintf(`[%d,%d]`, orderID, order2ID)},
		{"GET", "/subjects/orders-value/versions/1/referencedby", `[]`},
		{"GET", fmt.Sprintf("/schemas/ids/%d", orderID), fmt.Sprintf(`{"schemaType":"PROTOBUF","references":%s,"schema":%q}`, refs, orderV1)},
		{"GET", fmt.Sprintf("/schemas/ids/%d?subject=orders-value", moneyID), fmt.Sprintf(`{"schemaType":"PROTOBUF","schema":%q}`, moneyV1)},
		{"GET", fmt.Sprintf("/schemas/ids/%d/versions", orderID), `[{"subject":"orders-value","version":1},{"subject":"refunds-value","version":1}]`},
		{"GET", fmt.Sprintf("/schemas/ids/%d/subjects", orderID), `["orders-value","refunds-value"]`},
	} {
		want(t, tc.method+" "+tc.path, d.do(t, tc.method, tc.path, nil), 200, tc.body)
	}
	for _, path := range []string{"/subjects/orders-value/versions/2/schema", fmt.Sprintf("/schemas/ids/%d/schema", order2ID)} {
		if r := d.do(t, "GET", path, nil); r.status != 200 || string(r.body) != orderV2 {
			t.Errorf("GET %s = %d %q, want the schema's text", path, r.status, r.body)
		}
	}

	// Lookup: the version holding the schema.
	want(t, "lookup v1", d.do(t, "POST", "/subjects/orders-value", schemaBody(orderV1, moneyRef)), 200, orderJSON(1, orderID, orderV1))
	wantCode(t, "lookup of a schema the subject does not hold", d.do(t, "POST", "/subjects/money", schemaBody(orderV1, moneyRef)), 404, 40403)
	wantCode(t, "lookup in an unknown subject", d.do(t, "POST", "/subjects/nobody", schemaBody(moneyV1)), 404, 40401)
	wantCode(t, "lookup with other references", d.do(t, "POST", "/subjects/orders-value", schemaBody(orderV1, map[string]any{"name": "acme/common/v1/money.proto", "subject": "money", "version": -1})), 200, 0)

	// The native registry: a module per subject, a version per version,
	// subjects per top-level message, an outbox event per version.
	ctx := context.Background()
	mod, err := d.store.GetModule(ctx, "confluent/orders-value")
	if err != nil || mod.LatestVersion != 2 {
		t.Fatalf("module confluent/orders-value = %+v, %v", mod, err)
	}
	files, err := d.store.GetFiles(ctx, "confluent/orders-value", 2)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if !slices.Equal(paths, []string{"acme/common/v1/money.proto", "orders-value.proto"}) {
		t.Errorf("files of confluent/orders-value@2 = %v", paths)
	}
	ledger, err := d.store.Ledger(ctx, registry.LedgerQuery{Module: "confluent/orders-value", Subject: "acme.orders.v1.Order"})
	if err != nil || len(ledger) == 0 {
		t.Errorf("ledger of acme.orders.v1.Order = %v, %v", ledger, err)
	}
	if _, err := d.store.RegisterConsumer(ctx, "test", true); err != nil {
		t.Fatal(err)
	}
	events, err := d.store.ClaimOutbox(ctx, registry.OutboxClaim{Consumer: "test", Worker: "w", Limit: 100, Lease: 60e9})
	if err != nil {
		t.Fatal(err)
	}
	var accepted []string
	for _, e := range events {
		accepted = append(accepted, fmt.Sprintf("%s@%d", e.Event.Module, e.Event.Version))
	}
	if !slices.Equal(accepted, []string{"confluent/money@1", "confluent/orders-value@1", "confluent/refunds-value@1", "confluent/orders-value@2"}) {
		t.Errorf("outbox events %v", accepted)
	}
}

// TestNormalize: with normalize=true, schemas differing in layout and
// comments only get one id; without, each text its own.
func TestNormalize(t *testing.T) {
	d := serve(t, nil, nil)
	plain := "syntax = \"proto3\";\npackage acme.n.v1;\nmessage A { string x = 1; }\n"
	styled := "// A comment.\nsyntax = \"proto3\";\n\npackage acme.n.v1;\n\nmessage A {\n  // x.\n  string x = 1;\n}\n"
	r := d.do(t, "POST", "/subjects/a/versions?normalize=true", schemaBody(plain))
	want(t, "register normalized", r, 200, `{"id":1}`)
	want(t, "the styled text normalized, another subject", d.do(t, "POST", "/subjects/b/versions?normalize=true", schemaBody(styled)), 200, `{"id":1}`)
	want(t, "lookup normalized", d.do(t, "POST", "/subjects/b?normalize=true", schemaBody(plain)), 200, "")
	want(t, "the styled text as it is", d.do(t, "POST", "/subjects/c/versions", schemaBody(styled)), 200, `{"id":2}`)
	// normalize: true in the subject's configuration applies too.
	want(t, "PUT /config/d normalize", d.do(t, "PUT", "/config/d", map[string]any{"normalize": true}), 200, `{"normalize":true}`)
	want(t, "the styled text, d normalizes", d.do(t, "POST", "/subjects/d/versions", schemaBody(styled)), 200, `{"id":1}`)
}

// TestCompatibility: the compatibility endpoint against the latest and an
// older version, verbose messages, and levels set with /config.
func TestCompatibility(t *testing.T) {
	d := serve(t, nil, nil)
	d.register(t, "money", moneyV1)
	d.register(t, "orders-value", orderV1, moneyRef)
	d.register(t, "orders-value", orderV2, moneyRef)
	check := func(path, text string) response {
		return d.do(t, "POST", "/compatibility/subjects/orders-value/versions/"+path, schemaBody(text, moneyRef))
	}
	want(t, "compatible with latest", check("latest", orderV2+"message Extra { string y = 1; }\n"), 200, `{"is_compatible":true}`)
	want(t, "compatible, verbose", check("latest?verbose=true", orderV2), 200, `{"is_compatible":true,"messages":[]}`)
	want(t, "incompatible with latest", check("latest", strings.Replace(orderV2, "string id = 1;", "int64 id = 1;", 1)), 200, `{"is_compatible":false}`)
	r := check("2?verbose=true", strings.Replace(orderV2, "string id = 1;", "int64 id = 1;", 1))
	var out struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages"`
	}
	r.json(t, &out)
	if out.IsCompatible || len(out.Messages) != 1 || !strings.Contains(out.Messages[0], "FIELD_WIRE_COMPATIBLE_TYPE") || !strings.Contains(out.Messages[0], `"id"`) {
		t.Errorf("verbose incompatible = %s", r.body)
	}
	want(t, "against version 1", check("1", orderBroken), 200, `{"is_compatible":false}`)
	want(t, "against all", d.do(t, "POST", "/compatibility/subjects/orders-value/versions", schemaBody(orderV2, moneyRef)), 200, `{"is_compatible":true}`)
	want(t, "a new subject", d.do(t, "POST", "/compatibility/subjects/new-value/versions/latest", schemaBody(moneyV1)), 200, `{"is_compatible":true}`)
	wantCode(t, "a missing version", check("7", orderV1), 404, 40402)

	// Levels: global, per subject (put in force on the native subjects),
	// deleted back to global.
	want(t, "GET /config", d.do(t, "GET", "/config", nil), 200, `{"compatibilityLevel":"BACKWARD"}`)
	want(t, "PUT /config", d.do(t, "PUT", "/config", map[string]any{"compatibility": "FULL"}), 200, `{"compatibility":"FULL"}`)
	want(t, "GET /config after", d.do(t, "GET", "/config", nil), 200, `{"compatibilityLevel":"FULL"}`)
	wantCode(t, "GET /config/orders-value unset", d.do(t, "GET", "/config/orders-value", nil), 404, 40408)
	want(t, "GET /config/orders-value defaultToGlobal", d.do(t, "GET", "/config/orders-value?defaultToGlobal=true", nil), 200, `{"compatibilityLevel":"FULL"}`)
	want(t, "PUT /config/orders-value", d.do(t, "PUT", "/config/orders-value", map[string]any{"compatibility": "none"}), 200, `{"compatibility":"NONE"}`)
	sub, err := d.store.GetSubject(context.Background(), "confluent/orders-value", "acme.orders.v1.Order")
	if err != nil || sub.Effective().Level != registry.LevelNone {
		t.Errorf("native subject after PUT /config/orders-value NONE = %+v, %v", sub, err)
	}
	want(t, "incompatible change at NONE", check("latest", orderBroken), 200, `{"is_compatible":true}`)
	want(t, "register it at NONE", d.do(t, "POST", "/subjects/orders-value/versions", schemaBody(orderBroken, moneyRef)), 200, `{"id":4}`)
	want(t, "DELETE /config/orders-value", d.do(t, "DELETE", "/config/orders-value", nil), 200, `{"compatibilityLevel":"NONE"}`)
	wantCode(t, "GET /config/orders-value deleted", d.do(t, "GET", "/config/orders-value", nil), 404, 40408)
	sub, err = d.store.GetSubject(context.Background(), "confluent/orders-value", "acme.orders.v1.Order")
	if err != nil || sub.Effective().Level != registry.LevelFull {
		t.Errorf("native subject after DELETE /config/orders-value = %+v, %v; want the global FULL", sub.Effective(), err)
	}
	want(t, "DELETE /config", d.do(t, "DELETE", "/config", nil), 200, `{"compatibilityLevel":"FULL"}`)
	want(t, "GET /config after DELETE", d.do(t, "GET", "/config", nil), 200, `{"compatibilityLevel":"BACKWARD"}`)
}

// TestModes: READONLY refuses registrations, IMPORT takes ids.
func TestModes(t *testing.T) {
	d := serve(t, nil, nil)
	d.register(t, "money", moneyV1)
	want(t, "GET /mode", d.do(t, "GET", "/mode", nil), 200, `{"mode":"READWRITE"}`)
	wantCode(t, "GET /mode/money unset", d.do(t, "GET", "/mode/money", nil), 404, 40409)
	want(t, "PUT /mode/money", d.do(t, "PUT", "/mode/money", map[string]any{"mode": "READONLY"}), 200, `{"mode":"READONLY"}`)
	want(t, "GET /mode/money", d.do(t, "GET", "/mode/money", nil), 200, `{"mode":"READONLY"}`)
	before := d.snapshot(t)
	wantCode(t, "register in READONLY", d.do(t, "POST", "/subjects/money/versions", schemaBody(moneyV1+"message Other {}\n")), 422, 42205, "read-only")
	wantCode(t, "delete in READONLY", d.do(t, "DELETE", "/subjects/money/versions/1", nil), 422, 42205)
	if after := d.snapshot(t); after != before {
		t.Errorf("a refused write changed the store:\n%s\nwas\n%s", after, before)
	}
	want(t, "DELETE /mode/money", d.do(t, "DELETE", "/mode/money", nil), 200, `{"mode":"READONLY"}`)
	wantCode(t, "an id outside IMPORT", d.do(t, "POST", "/subjects/imported/versions", map[string]any{"schema": moneyV1, "schemaType": "PROTOBUF", "id": 100}), 422, 42205, "import mode")
	wantCode(t, "IMPORT with subjects", d.do(t, "PUT", "/mode", map[string]any{"mode": "IMPORT"}), 422, 42205)
	want(t, "IMPORT forced", d.do(t, "PUT", "/mode?force=true", map[string]any{"mode": "IMPORT"}), 200, `{"mode":"IMPORT"}`)
	want(t, "register with an id", d.do(t, "POST", "/subjects/imported/versions", map[string]any{"schema": moneyV1 + "message Imported {}\n", "schemaType": "PROTOBUF", "id": 100, "version": 1}), 200, `{"id":100}`)
	wantCode(t, "an id naming another schema", d.do(t, "POST", "/subjects/imported2/versions", map[string]any{"schema": moneyV1 + "message Two {}\n", "schemaType": "PROTOBUF", "id": 100}), 422, 42207)
	wantCode(t, "a version out of sequence", d.do(t, "POST", "/subjects/imported/versions", map[string]any{"schema": moneyV1 + "message Three {}\n", "schemaType": "PROTOBUF", "version": 5}), 422, 42202)
	want(t, "a new schema after an import gets the next id", d.do(t, "POST", "/subjects/imported/versions", schemaBody(moneyV1+"message Imported {}\nmessage Four {}\n")), 200, `{"id":101}`)
}

// TestDelete: soft and permanent deletes of versions and subjects, and
// listings with deleted=true.
func TestDelete(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testDelete(t, serveOn(t, b.open(t), nil, nil)) })
	}
}

func testDelete(t *testing.T, d *registryd) {
	d.register(t, "money", moneyV1)
	d.register(t, "orders-value", orderV1, moneyRef)
	d.register(t, "orders-value", orderV2, moneyRef)
	wantCode(t, "delete a referenced version", d.do(t, "DELETE", "/subjects/money/versions/1", nil), 422, 42206)
	wantCode(t, "delete a referenced subject", d.do(t, "DELETE", "/subjects/money", nil), 422, 42206)
	wantCode(t, "permanent before soft", d.do(t, "DELETE", "/subjects/orders-value/versions/1?permanent=true", nil), 404, 40407)
	want(t, "soft-delete version 1", d.do(t, "DELETE", "/subjects/orders-value/versions/1", nil), 200, `1`)
	wantCode(t, "soft-delete it again", d.do(t, "DELETE", "/subjects/orders-value/versions/1", nil), 404, 40406)
	want(t, "versions", d.do(t, "GET", "/subjects/orders-value/versions", nil), 200, `[2]`)
	want(t, "versions, deleted too", d.do(t, "GET", "/subjects/orders-value/versions?deleted=true", nil), 200, `[1,2]`)
	wantCode(t, "GET a soft-deleted version", d.do(t, "GET", "/subjects/orders-value/versions/1", nil), 404, 40402)
	want(t, "GET it with deleted=true", d.do(t, "GET", "/subjects/orders-value/versions/1?deleted=true", nil), 200, "")
	want(t, "its id still resolves", d.do(t, "GET", "/schemas/ids/2", nil), 200, "")
	want(t, "permanent delete", d.do(t, "DELETE", "/subjects/orders-value/versions/1?permanent=true", nil), 200, `1`)
	want(t, "versions, deleted too, after", d.do(t, "GET", "/subjects/orders-value/versions?deleted=true", nil), 200, `[2]`)
	wantCode(t, "permanent delete of a live subject", d.do(t, "DELETE", "/subjects/orders-value?permanent=true", nil), 404, 40405)
	want(t, "soft-delete the subject", d.do(t, "DELETE", "/subjects/orders-value", nil), 200, `[2]`)
	wantCode(t, "soft-delete it again", d.do(t, "DELETE", "/subjects/orders-value", nil), 404, 40404)
	want(t, "subjects", d.do(t, "GET", "/subjects", nil), 200, `["money"]`)
	want(t, "subjects, deleted too", d.do(t, "GET", "/subjects?deleted=true", nil), 200, `["money","orders-value"]`)
	want(t, "money is no longer referenced", d.do(t, "GET", "/subjects/money/versions/1/referencedby", nil), 200, `[]`)
	want(t, "permanent delete of the subject", d.do(t, "DELETE", "/subjects/orders-value?permanent=true", nil), 200, `[2]`)
	want(t, "subjects, deleted too, after", d.do(t, "GET", "/subjects?deleted=true", nil), 200, `["money"]`)
	// pbregistry's history keeps every version: registering again brings
	// the version back with its number and id.
	want(t, "register v2 again", d.do(t, "POST", "/subjects/orders-value/versions", schemaBody(orderV2, moneyRef)), 200, `{"id":3}`)
	want(t, "versions after", d.do(t, "GET", "/subjects/orders-value/versions", nil), 200, `[2]`)
	if m, err := d.store.GetModule(context.Background(), "confluent/orders-value"); err != nil || m.LatestVersion != 2 {
		t.Errorf("native module after deletes = %+v, %v: versions are immutable", m, err)
	}
}

// TestReadOnlyServer: a read-only registryd (a replica) serves the reads
// and refuses every write with 42205, changing nothing.
func TestReadOnlyServer(t *testing.T) {
	store := openSQLite(t)
	rw := serveOn(t, store, nil, nil)
	id := rw.register(t, "money", moneyV1)
	ro := serveWith(t, store, server.Options{ReadOnly: true})
	want(t, "read", ro.do(t, "GET", fmt.Sprintf("/schemas/ids/%d", id), nil), 200, "")
	want(t, "lookup", ro.do(t, "POST", "/subjects/money", schemaBody(moneyV1)), 200, "")
	before := ro.snapshot(t)
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/subjects/money/versions", schemaBody(moneyV1 + "message X {}\n")},
		{"PUT", "/config", map[string]any{"compatibility": "FULL"}},
		{"PUT", "/mode/money", map[string]any{"mode": "READONLY"}},
		{"DELETE", "/subjects/money", nil},
	} {
		wantCode(t, w.method+" "+w.path, ro.do(t, w.method, w.path, w.body), 422, 42205, "read-only")
	}
	if after := ro.snapshot(t); after != before {
		t.Errorf("a read-only registryd changed the store:\n%s\nwas\n%s", after, before)
	}
}
