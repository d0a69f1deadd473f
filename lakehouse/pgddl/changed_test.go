package pgddl_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
)

// meter returns a version of message acme.iot.v1.Meter with an id and
// field 2 of type typ and JSON name jsonName ("" for the default).
func meter(t *testing.T, typ descriptorpb.FieldDescriptorProto_Type, jsonName string) protoreflect.MessageDescriptor {
	t.Helper()
	f2 := &descriptorpb.FieldDescriptorProto{Name: proto.String("reading"), Number: proto.Int32(2), Type: typ.Enum(),
		Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()}
	if jsonName != "" {
		f2.JsonName = proto.String(jsonName)
	}
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("acme/iot/v1/meter.proto"), Package: proto.String("acme.iot.v1"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Meter"), Field: []*descriptorpb.FieldDescriptorProto{
			{Name: proto.String("id"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
				Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
			f2,
		}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().Get(0)
}

// TestMigrateChangedColumn: a field whose type widened (int32 → int64)
// and whose JSON name changed keeps its column name; the migration
// recomputes it (or, without rewrite, the view computes it) so that it
// reads the old key of old rows and the new key of new rows.
func TestMigrateChangedColumn(t *testing.T) {
	m1 := meter(t, descriptorpb.FieldDescriptorProto_TYPE_INT32, "value")
	m2 := meter(t, descriptorpb.FieldDescriptorProto_TYPE_INT64, "")
	v1, err := lakehouse.NewTable(m1, nil, []string{"id"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := lakehouse.NewTable(m2, []protoreflect.MessageDescriptor{m1}, []string{"id"})
	if err != nil {
		t.Fatal(err)
	}
	if got := v2.Column("reading").Path[0].JSONKeys; strings.Join(got, ",") != "reading,value" {
		t.Fatalf("JSON keys of reading over history: %v", got)
	}
	for _, noRewrite := range []bool{false, true} {
		t.Run(map[bool]string{false: "rewrite", true: "no-rewrite"}[noRewrite], func(t *testing.T) {
			conn := connect(t)
			ctx := context.Background()
			create, err := pgddl.Create(v1, pgddl.Options{})
			if err != nil {
				t.Fatal(err)
			}
			apply(t, conn, create)
			if _, err := conn.Exec(ctx, `INSERT INTO meter_view ("row") VALUES ('{"id": "old", "value": 2147483647}')`); err != nil {
				t.Fatal(err)
			}
			migration, err := pgddl.Migrate(v1, v2, pgddl.Options{NoRewrite: noRewrite})
			if err != nil {
				t.Fatal(err)
			}
			want := "DROP COLUMN \"reading\""
			if noRewrite {
				want = "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"meter__reading_idx\""
			}
			if !strings.Contains(migration.String(), want) {
				t.Errorf("migration lacks %s:\n%s", want, migration)
			}
			apply(t, conn, migration)
			if _, err := conn.Exec(ctx, `INSERT INTO meter_view ("row") VALUES ('{"id": "new", "reading": "9007199254740993"}')`); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]string{"old": "2147483647", "new": "9007199254740993"} {
				var got, typ string
				if err := conn.QueryRow(ctx, `SELECT reading::text, pg_typeof(reading)::text FROM meter_view WHERE id = $1`, id).Scan(&got, &typ); err != nil {
					t.Fatal(err)
				}
				if got != want || typ != "bigint" {
					t.Errorf("row %s: reading = %s (%s), want %s (bigint)", id, got, typ, want)
				}
			}
		})
	}
}
