package pgddl

import (
	"fmt"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// sqlType is the Postgres form of a scalar kind: the column type, the
// helper that reads it from proto-JSON, the zero value of a field without
// presence, how a column value is written back as proto-JSON, and what
// an error says was expected.
type sqlType struct {
	// Type is the column type.
	Type string
	// Reader is the IMMUTABLE helper function from jsonb to Type; empty
	// for enums, whose reader is per column.
	Reader string
	// Zero is the zero value as a SQL literal of Type.
	Zero string
	// ToJSON formats a value of Type, %[1]s, as proto-JSON; %[2]s is the
	// schema prefix of helper functions.
	ToJSON string
	// Want describes the proto-JSON values accepted, for error messages.
	Want string
}

// sqlTypes maps each scalar kind to its Postgres form.
var sqlTypes = map[lakehouse.Kind]sqlType{
	lakehouse.KindBool:   {"boolean", "pbtable_to_bool", "false", "to_jsonb(%[1]s)", "a JSON boolean"},
	lakehouse.KindInt32:  {"integer", "pbtable_to_int32", "0", "to_jsonb(%[1]s)", "an int32 as a JSON number or string"},
	lakehouse.KindUint32: {"bigint", "pbtable_to_uint32", "0", "to_jsonb(%[1]s)", "a uint32 as a JSON number or string"},
	lakehouse.KindInt64:  {"bigint", "pbtable_to_int64", "0", "to_jsonb(%[1]s::text)", "an int64 as a JSON string or number"},
	lakehouse.KindUint64: {"numeric", "pbtable_to_uint64", "0", "to_jsonb(%[1]s::text)", "a uint64 as a JSON string or number, 0 to 18446744073709551615"},
	lakehouse.KindFloat: {"real", "pbtable_to_float", "0",
		"CASE WHEN %[1]s IN ('NaN', 'Infinity', '-Infinity') THEN to_jsonb(%[1]s::text) ELSE to_jsonb(%[1]s) END",
		`a float as a JSON number, or "NaN", "Infinity" or "-Infinity"`},
	lakehouse.KindDouble: {"double precision", "pbtable_to_double", "0",
		"CASE WHEN %[1]s IN ('NaN', 'Infinity', '-Infinity') THEN to_jsonb(%[1]s::text) ELSE to_jsonb(%[1]s) END",
		`a double as a JSON number, or "NaN", "Infinity" or "-Infinity"`},
	lakehouse.KindString:    {"text", "pbtable_to_string", "''", "to_jsonb(%[1]s)", "a JSON string"},
	lakehouse.KindBytes:     {"bytea", "pbtable_to_bytes", `'\x'::bytea`, "to_jsonb(translate(encode(%[1]s, 'base64'), E'\\n', ''))", "bytes as a base64 JSON string"},
	lakehouse.KindEnum:      {"text", "", "", "CASE WHEN %[1]s ~ '^-?[0-9]+$' THEN to_jsonb(%[1]s::integer) ELSE to_jsonb(%[1]s) END", "an enum value name, or its number"},
	lakehouse.KindTimestamp: {"timestamp with time zone", "pbtable_to_timestamp", "", "%[2]spbtable_from_timestamp(%[1]s)", `a timestamp as an RFC 3339 JSON string, e.g. "2026-01-02T03:04:05.123456789Z"`},
}

// typeOf returns the Postgres form of c's kind.
func typeOf(c *lakehouse.Column) (sqlType, error) {
	st, ok := sqlTypes[c.Kind]
	if !ok {
		return st, fmt.Errorf("column %s: kind %s has no column type", c.Name, c.Kind)
	}
	return st, nil
}
