package pgddl_test

import (
	"context"
	"testing"

	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
)

// TestReaders runs the helper functions that turn proto-JSON values into
// column values on a real Postgres, value by value: what protobuf's JSON
// mapping accepts reads exactly, anything else reads as NULL (and is
// refused by the validation trigger), and nothing raises.
func TestReaders(t *testing.T) {
	conn := connect(t)
	v1, _ := tables(t)
	create, err := pgddl.Create(v1, pgddl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, conn, create)
	null := "NULL"
	tests := []struct {
		fn, json, want string
	}{
		{"pbtable_to_bool", `true`, "true"},
		{"pbtable_to_bool", `false`, "false"},
		{"pbtable_to_bool", `"true"`, null},
		{"pbtable_to_bool", `1`, null},
		{"pbtable_to_int32", `-2147483648`, "-2147483648"},
		{"pbtable_to_int32", `"2147483647"`, "2147483647"},
		{"pbtable_to_int32", `2147483648`, null},
		{"pbtable_to_int32", `1e2`, "100"},
		{"pbtable_to_int32", `"1.0"`, "1"},
		{"pbtable_to_int32", `1.5`, null},
		{"pbtable_to_int32", `" 1"`, null},
		{"pbtable_to_uint32", `4294967295`, "4294967295"},
		{"pbtable_to_uint32", `-1`, null},
		{"pbtable_to_int64", `"-9223372036854775808"`, "-9223372036854775808"},
		{"pbtable_to_int64", `9223372036854775807`, "9223372036854775807"},
		{"pbtable_to_int64", `"9223372036854775808"`, null},
		{"pbtable_to_int64", `"9007199254740993"`, "9007199254740993"},
		{"pbtable_to_int64", `"abc"`, null},
		{"pbtable_to_int64", `null`, null},
		{"pbtable_to_uint64", `"18446744073709551615"`, "18446744073709551615"},
		{"pbtable_to_uint64", `18446744073709551615`, "18446744073709551615"},
		{"pbtable_to_uint64", `"18446744073709551616"`, null},
		{"pbtable_to_uint64", `"5.0"`, "5"},
		{"pbtable_to_double", `1.25`, "1.25"},
		{"pbtable_to_double", `"-2.5e-3"`, "-0.0025"},
		{"pbtable_to_double", `"NaN"`, "NaN"},
		{"pbtable_to_double", `"Infinity"`, "Infinity"},
		{"pbtable_to_double", `"-Infinity"`, "-Infinity"},
		{"pbtable_to_double", `1.7976931348623157e308`, "1.7976931348623157e+308"},
		{"pbtable_to_double", `1e309`, null},
		{"pbtable_to_double", `1e-400`, "0"},
		{"pbtable_to_double", `"nan"`, null},
		{"pbtable_to_float", `0.1`, "0.1"},
		{"pbtable_to_float", `3.4028235e38`, "3.4028235e+38"},
		{"pbtable_to_float", `3.4028236e38`, null},
		{"pbtable_to_double", `1.7976931348623159e308`, null},
		{"pbtable_to_float", `"-3.4028235e+38"`, "-3.4028235e+38"},
		{"pbtable_to_string", `"héllo"`, "héllo"},
		{"pbtable_to_string", `5`, null},
		{"pbtable_to_bytes", `"AAEC/w=="`, `\x000102ff`},
		{"pbtable_to_bytes", `"AAEC_w"`, `\x000102ff`},
		{"pbtable_to_bytes", `""`, `\x`},
		{"pbtable_to_bytes", `"A"`, null},
		{"pbtable_to_bytes", `"!!!!"`, null},
		{"pbtable_to_timestamp", `"1972-01-01T10:00:20.021Z"`, "1972-01-01 10:00:20.021+00"},
		{"pbtable_to_timestamp", `"2026-01-02T03:04:05.123456789Z"`, "2026-01-02 03:04:05.123456+00"},
		{"pbtable_to_timestamp", `"2026-01-02T03:04:05.9999999Z"`, "2026-01-02 03:04:05.999999+00"},
		{"pbtable_to_timestamp", `"2026-01-02T03:04:05+01:30"`, "2026-01-02 01:34:05+00"},
		{"pbtable_to_timestamp", `"2026-01-02T03:04:05-08:00"`, "2026-01-02 11:04:05+00"},
		{"pbtable_to_timestamp", `"0001-01-01T00:00:00Z"`, "0001-01-01 00:00:00+00"},
		{"pbtable_to_timestamp", `"9999-12-31T23:59:59.999999999Z"`, "9999-12-31 23:59:59.999999+00"},
		{"pbtable_to_timestamp", `"2024-02-29T00:00:00Z"`, "2024-02-29 00:00:00+00"},
		{"pbtable_to_timestamp", `"2025-02-29T00:00:00Z"`, null},
		{"pbtable_to_timestamp", `"2026-13-01T00:00:00Z"`, null},
		{"pbtable_to_timestamp", `"2026-01-01T24:00:00Z"`, null},
		{"pbtable_to_timestamp", `"2026-01-01 00:00:00Z"`, null},
		{"pbtable_to_timestamp", `"0000-01-01T00:00:00Z"`, null},
		{"pbtable_to_timestamp", `1767323045`, null},
		{"order__status", `"STATUS_PAID"`, "STATUS_PAID"},
		{"order__status", `2`, "STATUS_PAID"},
		{"order__status", `-1`, "STATUS_VOID"},
		{"order__status", `"-1"`, "-1"},
		{"order__status", `99`, "99"},
		{"order__status", `1.5`, null},
		{"order__status", `true`, null},
	}
	for _, tt := range tests {
		var got *string
		if err := conn.QueryRow(context.Background(), "SELECT "+tt.fn+"($1::jsonb)::text", tt.json).Scan(&got); err != nil {
			t.Errorf("%s(%s): %v", tt.fn, tt.json, err)
			continue
		}
		g := null
		if got != nil {
			g = *got
		}
		if g != tt.want {
			t.Errorf("%s(%s) = %s, want %s", tt.fn, tt.json, g, tt.want)
		}
	}
}
