package kafkatest

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pbregistry/pbregistry/registry"
)

// order returns an Order of the compiled file with some values.
func order(t *testing.T, fd protoreflect.FileDescriptor) *dynamicpb.Message {
	t.Helper()
	md := fd.Messages().ByName("Order")
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByName("id"), protoreflect.ValueOfString("o-1"))
	total := dynamicpb.NewMessage(md.Fields().ByName("total").Message())
	total.Set(total.Descriptor().Fields().ByName("currency"), protoreflect.ValueOfString("EUR"))
	total.Set(total.Descriptor().Fields().ByName("units"), protoreflect.ValueOfInt64(42))
	m.Set(md.Fields().ByName("total"), protoreflect.ValueOfMessage(total))
	ts := dynamicpb.NewMessage(md.Fields().ByName("placed_at").Message())
	ts.Set(ts.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(timestamppb.Now().Seconds))
	m.Set(md.Fields().ByName("placed_at"), protoreflect.ValueOfMessage(ts))
	return m
}

// wire splits a serialized record: magic byte, schema id, message indexes
// (Confluent's zig-zag varint array, a single 0 for the first message) and
// payload.
func wire(t *testing.T, b []byte) (id uint32, indexes []int64, payload []byte) {
	t.Helper()
	if len(b) < 6 || b[0] != 0 {
		t.Fatalf("record %x does not start with the magic byte 0 and a 4-byte id", b)
	}
	id = binary.BigEndian.Uint32(b[1:5])
	rest := b[5:]
	n, k := binary.Varint(rest)
	if k <= 0 {
		t.Fatalf("record %x: no message index count", b)
	}
	rest = rest[k:]
	if n == 0 {
		return id, []int64{0}, rest
	}
	for range n {
		v, k := binary.Varint(rest)
		if k <= 0 {
			t.Fatalf("record %x: truncated message indexes", b)
		}
		indexes = append(indexes, v)
		rest = rest[k:]
	}
	return id, indexes, rest
}

// TestConfluentKafkaGo: confluent-kafka-go's schemaregistry client and
// protobuf serde against registryd, with basic auth: auto-registering a
// message whose file imports another (a reference registered under the
// file's name), the wire format, deserializing by id, use.latest.version,
// a second message of the file, and an incompatible change refused.
func TestConfluentKafkaGo(t *testing.T) {
	d := start(t)
	files := compile(t, sources, "acme/orders/v1/order.proto")
	fd := files[0]
	client, err := schemaregistry.NewClient(schemaregistry.NewConfigWithBasicAuthentication(d.url, "kafka", d.pusher))
	if err != nil {
		t.Fatal(err)
	}

	// Serialize with auto-register.
	conf := protobuf.NewSerializerConfig()
	conf.AutoRegisterSchemas = true
	ser, err := protobuf.NewSerializer(client, serde.ValueSerde, conf)
	if err != nil {
		t.Fatal(err)
	}
	msg := order(t, fd)
	b, err := ser.Serialize("orders", msg)
	if err != nil {
		t.Fatalf("serialize with auto-register: %v", err)
	}
	id, indexes, payload := wire(t, b)
	meta, err := client.GetLatestSchemaMetadata("orders-value")
	if err != nil {
		t.Fatal(err)
	}
	if int(id) != meta.ID || len(indexes) != 1 || indexes[0] != 0 || !samePayload(t, payload, msg) {
		t.Errorf("record = id %d indexes %v payload %x; want id %d (orders-value v%d), indexes [0], payload %v", id, indexes, payload, meta.ID, meta.Version, msg)
	}
	if len(meta.References) != 1 || meta.References[0].Name != "acme/common/v1/money.proto" || meta.References[0].Subject != "acme/common/v1/money.proto" {
		t.Errorf("orders-value references = %+v, want acme/common/v1/money.proto as a subject of its own", meta.References)
	}
	subjects, err := client.GetAllSubjects()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(subjects, ",") != "acme/common/v1/money.proto,orders-value" {
		t.Errorf("subjects = %v", subjects)
	}

	// The subject is a module of the native registry, its messages subjects.
	ctx := context.Background()
	subs, err := d.store.ListSubjects(ctx, "confluent/orders-value")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[0].Name != "acme.orders.v1.Order" || subs[0].Kind != registry.KindEvent || subs[0].Effective().Level != registry.LevelBackward {
		t.Errorf("native subjects of confluent/orders-value = %+v", subs)
	}
	if v, err := d.store.GetVersion(ctx, "confluent/orders-value", registry.LatestVersion); err != nil || v.Principal != "kafka" {
		t.Errorf("native version = %+v, %v; want one pushed by the token's name", v, err)
	}

	// Deserialize by id, with a reader token.
	reader, err := schemaregistry.NewClient(schemaregistry.NewConfigWithBasicAuthentication(d.url, "any", d.reader))
	if err != nil {
		t.Fatal(err)
	}
	deser, err := protobuf.NewDeserializer(reader, serde.ValueSerde, protobuf.NewDeserializerConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < fd.Messages().Len(); i++ {
		if err := deser.ProtoRegistry.RegisterMessage(dynamicpb.NewMessageType(fd.Messages().Get(i))); err != nil {
			t.Fatal(err)
		}
	}
	got, err := deser.Deserialize("orders", b)
	if err != nil {
		t.Fatalf("deserialize: %v", err)
	}
	if !proto.Equal(got.(proto.Message), msg) {
		t.Errorf("deserialized %v, want %v", got, msg)
	}

	// A second message of the file: message index 1.
	cancelled := dynamicpb.NewMessage(fd.Messages().ByName("OrderCancelled"))
	cancelled.Set(cancelled.Descriptor().Fields().ByName("id"), protoreflect.ValueOfString("o-1"))
	b2, err := ser.Serialize("orders", cancelled)
	if err != nil {
		t.Fatal(err)
	}
	if id2, idx, _ := wire(t, b2); id2 != id || len(idx) != 1 || idx[0] != 1 {
		t.Errorf("OrderCancelled record: id %d indexes %v, want id %d indexes [1]", id2, idx, id)
	}
	back, err := deser.Deserialize("orders", b2)
	if err != nil || !proto.Equal(back.(proto.Message), cancelled) {
		t.Errorf("deserialize OrderCancelled = %v, %v", back, err)
	}

	// use.latest.version: no registration, the latest version's id.
	latestConf := protobuf.NewSerializerConfig()
	latestConf.AutoRegisterSchemas = false
	latestConf.UseLatestVersion = true
	latestSer, err := protobuf.NewSerializer(reader, serde.ValueSerde, latestConf)
	if err != nil {
		t.Fatal(err)
	}
	b3, err := latestSer.Serialize("orders", msg)
	if err != nil {
		t.Fatalf("serialize with use.latest.version: %v", err)
	}
	if !sameRecord(t, b3, b, msg) {
		t.Errorf("use.latest.version record %x, want %x", b3, b)
	}

	// Without auto-register, a reader finds the id of the registered schema.
	lookupConf := protobuf.NewSerializerConfig()
	lookupConf.AutoRegisterSchemas = false
	lookupSer, err := protobuf.NewSerializer(reader, serde.ValueSerde, lookupConf)
	if err != nil {
		t.Fatal(err)
	}
	if b4, err := lookupSer.Serialize("orders", msg); err != nil || !sameRecord(t, b4, b, msg) {
		t.Errorf("serialize by lookup = %x, %v; want %x", b4, err, b)
	}

	// An incompatible change is refused with 409, and the reader may not
	// register at all.
	changed := map[string]string{}
	for k, v := range sources {
		changed[k] = v
	}
	changed["acme/orders/v1/order.proto"] = strings.Replace(sources["acme/orders/v1/order.proto"], "string id = 1;\n  acme", "int64 id = 1;\n  acme", 1)
	fd2 := compile(t, changed, "acme/orders/v1/order.proto")[0]
	m2 := dynamicpb.NewMessage(fd2.Messages().ByName("Order"))
	ser2, err := protobuf.NewSerializer(client, serde.ValueSerde, conf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ser2.Serialize("orders", m2); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("serialize an incompatible Order = %v, want a 409", err)
	}
	readerReg := protobuf.NewSerializerConfig()
	readerReg.AutoRegisterSchemas = true
	serR, err := protobuf.NewSerializer(reader, serde.ValueSerde, readerReg)
	if err != nil {
		t.Fatal(err)
	}
	other := dynamicpb.NewMessage(fd.Messages().ByName("OrderCancelled"))
	if _, err := serR.Serialize("other-topic", other); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a reader's auto-register = %v, want a 403", err)
	}
	versions, err := client.GetAllVersions("orders-value")
	if err != nil || len(versions) != 1 {
		t.Errorf("orders-value versions = %v, %v; want only the first", versions, err)
	}
}

// samePayload reports whether payload decodes to msg: the serializers
// marshal dynamic messages in no fixed field order, so bytes may differ.
func samePayload(t *testing.T, payload []byte, msg proto.Message) bool {
	t.Helper()
	got := msg.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(payload, got); err != nil {
		t.Fatalf("payload %x: %v", payload, err)
	}
	return proto.Equal(got, msg)
}

// sameRecord reports whether two records carry the same id and message
// indexes, and payloads that decode to msg.
func sameRecord(t *testing.T, a, b []byte, msg proto.Message) bool {
	t.Helper()
	idA, idxA, payA := wire(t, a)
	idB, idxB, payB := wire(t, b)
	return idA == idB && slices.Equal(idxA, idxB) && bytes.Equal(a[:len(a)-len(payA)], b[:len(b)-len(payB)]) && samePayload(t, payA, msg)
}
