package dbt

import (
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// Dialect is the SQL dialect of a warehouse.
type Dialect string

// The dialects.
const (
	Postgres  Dialect = "postgres"
	DuckDB    Dialect = "duckdb"
	BigQuery  Dialect = "bigquery"
	Snowflake Dialect = "snowflake"
)

// Dialects lists the dialects, sorted.
var Dialects = []Dialect{BigQuery, DuckDB, Postgres, Snowflake}

// ParseDialect returns the dialect named s.
func ParseDialect(s string) (Dialect, error) {
	for _, d := range Dialects {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown dialect %q: use bigquery, duckdb, postgres or snowflake", s)
}

// kindDuration is the dbt-only kind of google.protobuf.Duration, read as
// decimal seconds.
const kindDuration lakehouse.Kind = "duration"

// sqlDialect writes the SQL of one dialect.
type sqlDialect struct {
	// types maps each kind to the column's data type.
	types map[lakehouse.Kind]string
	// get returns the JSON value under key in the JSON value j, NULL when
	// absent or JSON null.
	get func(j, key string) string
	// text returns the text of the scalar JSON value j (a string's
	// content, a number's digits).
	text func(j string) string
	// cast returns the text t cast to the column type of kind.
	cast func(t string, k lakehouse.Kind) string
	// quote returns an identifier quoted when needed.
	quote func(name string) string
	// str returns a string literal.
	str func(s string) string
	// zeros holds the zero value of each kind without presence.
	zeros map[lakehouse.Kind]string
	// present, when set, turns a JSON null the get of the dialect may
	// return into SQL NULL (BigQuery's JSON_QUERY returns JSON null).
	present func(j string) string
	// emptyArray and emptyObject are the JSON values of an absent
	// repeated field and an absent map.
	emptyArray, emptyObject string
}

// zerosOf returns the zero values of the kinds: false, 0 cast to each
// numeric type, ” and the empty bytes literal.
func zerosOf(types map[lakehouse.Kind]string, cast func(v, typ string) string, emptyBytes string) map[lakehouse.Kind]string {
	z := map[lakehouse.Kind]string{lakehouse.KindBool: "false", lakehouse.KindString: "''", lakehouse.KindBytes: emptyBytes}
	for _, k := range []lakehouse.Kind{lakehouse.KindInt32, lakehouse.KindUint32, lakehouse.KindInt64, lakehouse.KindUint64, lakehouse.KindFloat, lakehouse.KindDouble, kindDuration} {
		z[k] = cast("0", types[k])
	}
	return z
}

func init() {
	dialects[BigQuery].present = func(j string) string { return fmt.Sprintf("if(json_type(%[1]s) = 'null', null, %[1]s)", j) }
	dialects[Postgres].emptyArray, dialects[Postgres].emptyObject = "'[]'::jsonb", "'{}'::jsonb"
	dialects[DuckDB].emptyArray, dialects[DuckDB].emptyObject = "'[]'::json", "'{}'::json"
	dialects[BigQuery].emptyArray, dialects[BigQuery].emptyObject = "json '[]'", "json '{}'"
	dialects[Snowflake].emptyArray, dialects[Snowflake].emptyObject = "array_construct()", "object_construct()"
	dialects[Postgres].zeros = zerosOf(dialects[Postgres].types, func(v, t string) string { return v + "::" + t }, `'\x'::bytea`)
	dialects[DuckDB].zeros = zerosOf(dialects[DuckDB].types, func(v, t string) string { return "cast(" + v + " as " + t + ")" }, "''::blob")
	dialects[BigQuery].zeros = zerosOf(dialects[BigQuery].types, func(v, t string) string { return "cast(" + v + " as " + t + ")" }, "b''")
	dialects[Snowflake].zeros = zerosOf(dialects[Snowflake].types, func(v, t string) string { return "cast(" + v + " as " + t + ")" }, "to_binary('')")
}

func sqlStr(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// dialects holds each dialect's SQL.
var dialects = map[Dialect]*sqlDialect{
	Postgres: {
		types: map[lakehouse.Kind]string{
			lakehouse.KindBool: "boolean", lakehouse.KindInt32: "integer", lakehouse.KindUint32: "bigint",
			lakehouse.KindInt64: "bigint", lakehouse.KindUint64: "numeric", lakehouse.KindFloat: "real",
			lakehouse.KindDouble: "double precision", lakehouse.KindString: "text", lakehouse.KindBytes: "bytea",
			lakehouse.KindEnum: "text", lakehouse.KindTimestamp: "timestamp with time zone",
			lakehouse.KindJSON: "jsonb", kindDuration: "numeric",
		},
		get:  func(j, key string) string { return fmt.Sprintf("nullif(%s -> %s, 'null'::jsonb)", j, sqlStr(key)) },
		text: func(j string) string { return fmt.Sprintf("(%s #>> '{}')", j) },
		cast: func(t string, k lakehouse.Kind) string {
			switch k {
			case lakehouse.KindString, lakehouse.KindEnum:
				return t
			case lakehouse.KindBytes:
				return fmt.Sprintf("decode(rpad(translate(%[1]s, '-_', '+/'), (length(%[1]s) + 3) / 4 * 4, '='), 'base64')", t)
			case kindDuration:
				return fmt.Sprintf("rtrim(%s, 's')::numeric", t)
			case lakehouse.KindUint64:
				return fmt.Sprintf("%s::numeric", t)
			case lakehouse.KindInt64, lakehouse.KindInt32, lakehouse.KindUint32:
				// Through numeric: proto-JSON allows 1e3 and 5.0 for integers.
				return fmt.Sprintf("%s::numeric::%s", t, pgTypes[k])
			}
			return fmt.Sprintf("%s::%s", t, pgTypes[k])
		},
		quote: func(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` },
		str:   sqlStr,
	},
	DuckDB: {
		types: map[lakehouse.Kind]string{
			lakehouse.KindBool: "boolean", lakehouse.KindInt32: "integer", lakehouse.KindUint32: "bigint",
			lakehouse.KindInt64: "bigint", lakehouse.KindUint64: "ubigint", lakehouse.KindFloat: "float",
			lakehouse.KindDouble: "double", lakehouse.KindString: "varchar", lakehouse.KindBytes: "blob",
			lakehouse.KindEnum: "varchar", lakehouse.KindTimestamp: "timestamp with time zone",
			lakehouse.KindJSON: "json", kindDuration: "decimal(38,9)",
		},
		get: func(j, key string) string {
			return fmt.Sprintf("nullif(json_extract(%s, %s), 'null'::json)", j, sqlStr(`$."`+key+`"`))
		},
		text: func(j string) string { return fmt.Sprintf("json_extract_string(%s, '$')", j) },
		cast: func(t string, k lakehouse.Kind) string {
			switch k {
			case lakehouse.KindString, lakehouse.KindEnum:
				return t
			case lakehouse.KindBytes:
				return fmt.Sprintf("from_base64(rpad(translate(%[1]s, '-_', '+/'), cast((length(%[1]s) + 3) // 4 * 4 as integer), '='))", t)
			case kindDuration:
				return fmt.Sprintf("cast(rtrim(%s, 's') as decimal(38,9))", t)
			case lakehouse.KindTimestamp:
				return fmt.Sprintf("cast(%s as timestamp with time zone)", t)
			case lakehouse.KindUint64, lakehouse.KindInt64, lakehouse.KindInt32, lakehouse.KindUint32:
				return fmt.Sprintf("cast(cast(%s as decimal(38,9)) as %s)", t, duckTypes[k])
			}
			return fmt.Sprintf("cast(%s as %s)", t, duckTypes[k])
		},
		quote: func(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` },
		str:   sqlStr,
	},
	BigQuery: {
		types: map[lakehouse.Kind]string{
			lakehouse.KindBool: "bool", lakehouse.KindInt32: "int64", lakehouse.KindUint32: "int64",
			lakehouse.KindInt64: "int64", lakehouse.KindUint64: "bignumeric", lakehouse.KindFloat: "float64",
			lakehouse.KindDouble: "float64", lakehouse.KindString: "string", lakehouse.KindBytes: "bytes",
			lakehouse.KindEnum: "string", lakehouse.KindTimestamp: "timestamp",
			lakehouse.KindJSON: "json", kindDuration: "numeric",
		},
		get: func(j, key string) string {
			return fmt.Sprintf("json_query(%s, %s)", j, sqlStr(`$."`+key+`"`))
		},
		text: func(j string) string { return fmt.Sprintf("json_value(%s, '$')", j) },
		cast: func(t string, k lakehouse.Kind) string {
			switch k {
			case lakehouse.KindString, lakehouse.KindEnum:
				return t
			case lakehouse.KindBytes:
				return fmt.Sprintf("from_base64(replace(replace(%s, '-', '+'), '_', '/'))", t)
			case kindDuration:
				return fmt.Sprintf("cast(rtrim(%s, 's') as numeric)", t)
			case lakehouse.KindTimestamp:
				// BigQuery keeps microseconds: drop the digits beyond.
				return fmt.Sprintf(`timestamp(regexp_replace(%s, r'(\.[0-9]{6})[0-9]+', r'\1'))`, t)
			case lakehouse.KindFloat, lakehouse.KindDouble:
				return fmt.Sprintf("cast(case %[1]s when 'Infinity' then 'inf' when '-Infinity' then '-inf' else %[1]s end as float64)", t)
			case lakehouse.KindUint64, lakehouse.KindInt64, lakehouse.KindInt32, lakehouse.KindUint32:
				return fmt.Sprintf("cast(cast(%s as bignumeric) as %s)", t, bqTypes[k])
			}
			return fmt.Sprintf("cast(%s as %s)", t, bqTypes[k])
		},
		quote: func(name string) string { return "`" + name + "`" },
		str:   sqlStr,
	},
	Snowflake: {
		types: map[lakehouse.Kind]string{
			lakehouse.KindBool: "boolean", lakehouse.KindInt32: "number(10,0)", lakehouse.KindUint32: "number(10,0)",
			lakehouse.KindInt64: "number(19,0)", lakehouse.KindUint64: "number(20,0)", lakehouse.KindFloat: "float",
			lakehouse.KindDouble: "float", lakehouse.KindString: "varchar", lakehouse.KindBytes: "binary",
			lakehouse.KindEnum: "varchar", lakehouse.KindTimestamp: "timestamp_tz(9)",
			lakehouse.KindJSON: "variant", kindDuration: "number(38,9)",
		},
		get: func(j, key string) string {
			return fmt.Sprintf("strip_null_value(get(%s, %s))", j, sqlStr(key))
		},
		text: func(j string) string { return fmt.Sprintf("to_varchar(%s)", j) },
		cast: func(t string, k lakehouse.Kind) string {
			switch k {
			case lakehouse.KindString, lakehouse.KindEnum:
				return t
			case lakehouse.KindBytes:
				return fmt.Sprintf("base64_decode_binary(translate(%s, '-_', '+/'))", t)
			case kindDuration:
				return fmt.Sprintf("cast(rtrim(%s, 's') as number(38,9))", t)
			case lakehouse.KindTimestamp:
				return fmt.Sprintf("to_timestamp_tz(%s)", t)
			case lakehouse.KindBool:
				return fmt.Sprintf("to_boolean(%s)", t)
			case lakehouse.KindUint64, lakehouse.KindInt64, lakehouse.KindInt32, lakehouse.KindUint32:
				return fmt.Sprintf("cast(cast(%s as number(38,9)) as %s)", t, sfTypes[k])
			}
			return fmt.Sprintf("cast(%s as %s)", t, sfTypes[k])
		},
		quote: func(name string) string {
			if plainIdent(name) {
				return name
			}
			return `"` + strings.ReplaceAll(strings.ToUpper(name), `"`, `""`) + `"`
		},
		str: sqlStr,
	},
}

var (
	pgTypes   = map[lakehouse.Kind]string{lakehouse.KindBool: "boolean", lakehouse.KindInt32: "integer", lakehouse.KindUint32: "bigint", lakehouse.KindInt64: "bigint", lakehouse.KindUint64: "numeric", lakehouse.KindFloat: "real", lakehouse.KindDouble: "double precision", lakehouse.KindTimestamp: "timestamptz"}
	duckTypes = map[lakehouse.Kind]string{lakehouse.KindBool: "boolean", lakehouse.KindInt32: "integer", lakehouse.KindUint32: "bigint", lakehouse.KindInt64: "bigint", lakehouse.KindUint64: "ubigint", lakehouse.KindFloat: "float", lakehouse.KindDouble: "double"}
	bqTypes   = map[lakehouse.Kind]string{lakehouse.KindBool: "bool", lakehouse.KindInt32: "int64", lakehouse.KindUint32: "int64", lakehouse.KindInt64: "int64", lakehouse.KindUint64: "bignumeric"}
	sfTypes   = map[lakehouse.Kind]string{lakehouse.KindInt32: "number(10,0)", lakehouse.KindUint32: "number(10,0)", lakehouse.KindInt64: "number(19,0)", lakehouse.KindUint64: "number(20,0)", lakehouse.KindFloat: "float", lakehouse.KindDouble: "float"}
)

// reserved lists SQL keywords that must be quoted as identifiers in
// Snowflake (the others quote every identifier).
var reserved = map[string]bool{
	"all": true, "alter": true, "and": true, "any": true, "as": true, "between": true, "by": true, "case": true,
	"cast": true, "check": true, "column": true, "connect": true, "create": true, "current": true, "delete": true,
	"distinct": true, "drop": true, "else": true, "exists": true, "false": true, "for": true, "from": true,
	"full": true, "grant": true, "group": true, "having": true, "in": true, "increment": true, "insert": true,
	"intersect": true, "into": true, "is": true, "join": true, "like": true, "minus": true, "not": true,
	"null": true, "of": true, "on": true, "or": true, "order": true, "qualify": true, "revoke": true, "row": true,
	"rows": true, "sample": true, "select": true, "set": true, "some": true, "start": true, "table": true,
	"then": true, "to": true, "trigger": true, "true": true, "union": true, "unique": true, "update": true,
	"using": true, "values": true, "when": true, "whenever": true, "where": true, "with": true,
}

// plainIdent reports whether name is a lowercase identifier that needs no
// quotes and is no keyword.
func plainIdent(name string) bool {
	if name == "" || reserved[name] || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
