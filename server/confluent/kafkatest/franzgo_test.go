package kafkatest

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestFranzGo: franz-go's pkg/sr client and serde against registryd, with
// a bearer token: references registered by hand, the same schema under two
// subjects sharing one id, lookups, compatibility checks and levels, and a
// record encoded and decoded with the serde.
func TestFranzGo(t *testing.T) {
	d := start(t)
	ctx := context.Background()
	cl, err := sr.NewClient(sr.URLs(d.url), sr.BearerToken(d.pusher))
	if err != nil {
		t.Fatal(err)
	}
	money, err := cl.CreateSchema(ctx, "money", sr.Schema{Schema: sources["acme/common/v1/money.proto"], Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatalf("create money: %v", err)
	}
	ordersSchema := sr.Schema{
		Schema:     sources["acme/orders/v1/order.proto"],
		Type:       sr.TypeProtobuf,
		References: []sr.SchemaReference{{Name: "acme/common/v1/money.proto", Subject: "money", Version: money.Version}},
	}
	orders, err := cl.CreateSchema(ctx, "payments-value", ordersSchema)
	if err != nil {
		t.Fatalf("create payments-value: %v", err)
	}
	if orders.Version != 1 || orders.ID == money.ID {
		t.Errorf("payments-value = %+v", orders)
	}
	// The same content under another subject: the same id.
	again, err := cl.CreateSchema(ctx, "refunds-value", ordersSchema)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != orders.ID || again.Version != 1 {
		t.Errorf("refunds-value = id %d v%d, want id %d v1", again.ID, again.Version, orders.ID)
	}
	subjects, err := cl.SubjectsByID(ctx, orders.ID)
	if err != nil || strings.Join(subjects, ",") != "payments-value,refunds-value" {
		t.Errorf("subjects of id %d = %v, %v", orders.ID, subjects, err)
	}
	byID, err := cl.SchemaByID(ctx, orders.ID)
	if err != nil || byID.Schema != ordersSchema.Schema || byID.Type != sr.TypeProtobuf || len(byID.References) != 1 || byID.References[0].Subject != "money" {
		t.Errorf("schema by id = %+v, %v", byID, err)
	}
	looked, err := cl.LookupSchema(ctx, "payments-value", ordersSchema)
	if err != nil || looked.ID != orders.ID || looked.Version != 1 {
		t.Errorf("lookup = %+v, %v", looked, err)
	}
	refs, err := cl.SchemaReferences(ctx, "money", money.Version)
	if err != nil || len(refs) != 2 {
		t.Errorf("references to money = %+v, %v", refs, err)
	}

	// Compatibility: a new field is compatible under BACKWARD; a changed
	// type is not, with a message saying why.
	added := ordersSchema
	added.Schema = strings.Replace(ordersSchema.Schema, "  string reason = 2;\n", "  string reason = 2;\n  string note = 3;\n", 1)
	res, err := cl.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), "payments-value", -1, added)
	if err != nil || !res.Is {
		t.Errorf("check a new field = %+v, %v", res, err)
	}
	broken := ordersSchema
	broken.Schema = strings.Replace(ordersSchema.Schema, "string reason = 2;", "int64 reason = 2;", 1)
	res, err = cl.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), "payments-value", -1, broken)
	if err != nil || res.Is || len(res.Messages) == 0 || !strings.Contains(strings.Join(res.Messages, "\n"), "reason") {
		t.Errorf("check a changed type = %+v, %v", res, err)
	}
	admin, err := sr.NewClient(sr.URLs(d.url), sr.BasicAuth("ops", d.adminToken))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range admin.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, "payments-value") {
		if r.Err != nil {
			t.Fatalf("set NONE: %v", r.Err)
		}
	}
	res, err = cl.CheckCompatibility(ctx, "payments-value", -1, broken)
	if err != nil || !res.Is {
		t.Errorf("check a changed type at NONE = %+v, %v", res, err)
	}
	if r := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, "payments-value"); r[0].Err == nil {
		t.Error("a pusher set a compatibility level; only admins may")
	}

	// A record through the serde.
	fd := compile(t, sources, "acme/orders/v1/order.proto")[0]
	md := fd.Messages().ByName("OrderCancelled")
	var serde sr.Serde
	serde.Register(orders.ID, dynamicpb.NewMessage(md),
		sr.EncodeFn(func(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }),
		sr.DecodeFn(func(b []byte, v any) error { return proto.Unmarshal(b, v.(proto.Message)) }),
		sr.Index(1))
	msg := dynamicpb.NewMessage(md)
	msg.Set(md.Fields().ByName("reason"), protoreflect.ValueOfString("customer asked"))
	b, err := serde.Encode(msg)
	if err != nil {
		t.Fatal(err)
	}
	id, indexes, payload := wire(t, b)
	if int(id) != orders.ID || len(indexes) != 1 || indexes[0] != 1 || !samePayload(t, payload, msg) {
		t.Errorf("record = id %d indexes %v payload %x", id, indexes, payload)
	}
	// The consumer side: the id in the record names the schema.
	got, _, err := serde.DecodeID(b)
	if err != nil || got != orders.ID {
		t.Fatalf("decode id = %d, %v", got, err)
	}
	text, err := cl.SchemaTextByID(ctx, got)
	if err != nil || !strings.Contains(text, "message OrderCancelled") {
		t.Errorf("schema text of the record's id = %q, %v", text, err)
	}
	out := dynamicpb.NewMessage(md)
	if err := serde.Decode(b, out); err != nil || !proto.Equal(out, msg) {
		t.Errorf("decode = %v, %v", out, err)
	}
}
