package confluent_test

import "testing"

const orderV1 = `syntax = "proto3";
package acme.orders.v1;
message Order {
  string id = 1;
  int64 amount = 2;
}
`

func TestSmoke(t *testing.T) {
	d := serve(t, nil, nil)
	id := d.register(t, "orders-value", orderV1)
	t.Logf("id %d", id)
	r := d.do(t, "GET", "/subjects/orders-value/versions/latest", nil)
	t.Logf("%d %s", r.status, r.body)
	r = d.do(t, "GET", "/subjects", nil)
	t.Logf("%d %s", r.status, r.body)
	r = d.do(t, "POST", "/subjects/orders-value/versions", map[string]any{"schema": orderV1 + "message X { string a = 1; }\n", "schemaType": "PROTOBUF"})
	t.Logf("%d %s", r.status, r.body)
	r = d.do(t, "POST", "/subjects/orders-value/versions", map[string]any{"schema": `syntax = "proto3"; package acme.orders.v1; message Order { string id = 1; string amount = 2; }`, "schemaType": "PROTOBUF"})
	t.Logf("%d %s", r.status, r.body)
	t.Log(d.snapshot(t))
}
