package dbt_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// functions lists, per dialect, the SQL functions and parameterised type
// names the staging models may call, each checked against the engine's
// reference documentation:
//
//   - postgres: https://www.postgresql.org/docs/current/functions.html
//   - duckdb: https://duckdb.org/docs/sql/functions/overview
//   - bigquery: https://cloud.google.com/bigquery/docs/reference/standard-sql/functions-all
//   - snowflake: https://docs.snowflake.com/en/sql-reference/functions-all
var functions = map[dbt.Dialect][]string{
	dbt.Postgres: {
		"coalesce", "nullif", // conditional expressions (9.18)
		"decode", "rpad", "translate", "length", "rtrim", "concat", // string functions (9.4)
		"cast",
	},
	dbt.DuckDB: {
		"coalesce", "nullif", "cast",
		"json_extract", "json_extract_string", // JSON extension
		"from_base64", "rpad", "translate", "length", "rtrim", "concat", // text functions
		"decimal", // the decimal(width,scale) type
	},
	dbt.BigQuery: {
		"coalesce", "nullif", "cast", // conditional expressions, conversion
		"json_query", "json_value", "json_type", // JSON functions
		"if",                                                          // conditional expressions
		"from_base64", "replace", "rtrim", "regexp_replace", "concat", // string functions
		"timestamp", // timestamp functions: TIMESTAMP(string)
	},
	dbt.Snowflake: {
		"coalesce", "nullif", "cast",
		"get", "strip_null_value", // semi-structured data functions
		"array_construct", "object_construct", // semi-structured data functions
		"to_varchar", "to_boolean", "to_binary", "to_timestamp_tz", // conversion functions
		"base64_decode_binary", "translate", "rtrim", "concat", // string & binary functions
		"number", "timestamp_tz", // the NUMBER(p,s) and TIMESTAMP_TZ(n) types
	},
}

// keywords may precede "(" without being functions.
var keywords = []string{"as", "case", "in", "and", "or", "not", "when", "then", "else"}

var (
	jinjaRE   = regexp.MustCompile(`\{\{.*?\}\}|\{%.*?%\}`)
	stringsRE = regexp.MustCompile(`'(?:[^']|'')*'|"(?:[^"]|"")*"` + "|`[^`]*`")
	callRE    = regexp.MustCompile(`(?i)\b([a-z_][a-z0-9_]*)\s*\(`)
	commentRE = regexp.MustCompile(`(?m)--.*$`)
)

// calls returns the names called in sql, outside comments, Jinja, string
// literals and quoted identifiers, lowercased.
func calls(sql string) []string {
	sql = commentRE.ReplaceAllString(sql, "")
	sql = jinjaRE.ReplaceAllString(sql, "")
	sql = stringsRE.ReplaceAllString(sql, "''")
	var out []string
	for _, m := range callRE.FindAllStringSubmatch(sql, -1) {
		name := strings.ToLower(m[1])
		if !slices.Contains(keywords, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// unknown returns the calls in sql the dialect does not have.
func unknown(d dbt.Dialect, sql string) []string {
	var out []string
	for _, c := range calls(sql) {
		if !slices.Contains(functions[d], c) {
			out = append(out, c)
		}
	}
	return out
}

// TestFunctionsExist checks every function each dialect's staging models
// call against that engine's documented functions.
func TestFunctionsExist(t *testing.T) {
	for _, d := range dbt.Dialects {
		files, err := dbt.Generate(*shopProject(t, d))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range files {
			if !strings.HasSuffix(f.Path, ".sql") {
				continue
			}
			n += len(calls(string(f.Data)))
			if bad := unknown(d, string(f.Data)); len(bad) > 0 {
				t.Errorf("%s: %s calls %v, which %s does not document: use a function of the dialect", d, f.Path, bad, d)
			}
		}
		if n == 0 {
			t.Errorf("%s: no function calls found: the checker is broken", d)
		}
	}
}

// TestFunctionsCheckerCatches makes sure the check above can fail: the
// DuckDB and Postgres models are not valid BigQuery or Snowflake.
func TestFunctionsCheckerCatches(t *testing.T) {
	tests := []struct {
		from, against dbt.Dialect
		want          string
	}{
		{dbt.DuckDB, dbt.BigQuery, "json_extract_string"},
		{dbt.Postgres, dbt.Snowflake, "decode"},
		{dbt.BigQuery, dbt.Snowflake, "json_query"},
		{dbt.Snowflake, dbt.Postgres, "strip_null_value"},
	}
	for _, tt := range tests {
		files, err := dbt.Generate(*shopProject(t, tt.from))
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, f := range files {
			if strings.HasSuffix(f.Path, ".sql") {
				all = append(all, unknown(tt.against, string(f.Data))...)
			}
		}
		if !slices.Contains(all, tt.want) {
			t.Errorf("%s SQL checked as %s: unknown %v, want %s among them", tt.from, tt.against, all, tt.want)
		}
	}
	if got := calls(`select "json_query(x)", 'rtrim(' , {{ source('a', 'b') }} -- nope(1)` + "\n" + ` foo (1)`); !slices.Equal(got, []string{"foo"}) {
		t.Errorf("calls = %v, want [foo]", got)
	}
}
