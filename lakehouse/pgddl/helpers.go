package pgddl

import "fmt"

// helperComment heads the helper functions of every pbtable.
const helperComment = `Helper functions shared by every pbtable of the schema: IMMUTABLE and
total (they return NULL instead of raising), so that a generated column
can never abort a write. Each calls built-in functions only, so it works
whatever the search_path of the session writing. The readers are PL/pgSQL,
compiled once per session: inlined SQL would make every INSERT plan large
generated-column expressions again.
No table lock; replacing them does not recompute stored columns.`

// helperFuncs returns the CREATE OR REPLACE FUNCTION statements of the
// shared helpers, qualified by p (the schema prefix).
func helperFuncs(p string) string {
	tsRE := `'^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(([Zz])|([+-])([0-9]{2}):([0-9]{2}))$'`
	return intFunc(p, "pbtable_to_int32", "integer", "-2147483648", "2147483647") +
		intFunc(p, "pbtable_to_uint32", "bigint", "0", "4294967295") +
		intFunc(p, "pbtable_to_int64", "bigint", "-9223372036854775808", "9223372036854775807") +
		intFunc(p, "pbtable_to_uint64", "numeric", "0", "18446744073709551615") +
		floatFunc(p, "pbtable_to_double", "double precision", "1.7976931348623158e308", "2.4703282292062328e-324") +
		floatFunc(p, "pbtable_to_float", "real", "3.4028235677973366e38", "7.006492321624085e-46") +
		fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]spbtable_to_bool(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(j) = 'boolean' THEN j::boolean END;

CREATE OR REPLACE FUNCTION %[1]spbtable_to_string(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(j) = 'string' THEN j #>> '{}' END;

CREATE OR REPLACE FUNCTION %[1]spbtable_to_bytes(j jsonb) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $pbtable$
DECLARE
  s text;
BEGIN
  IF jsonb_typeof(j) IS DISTINCT FROM 'string' THEN
    RETURN NULL;
  END IF;
  s := rtrim(j #>> '{}', '=');
  IF s !~ '^[A-Za-z0-9+/_-]*$' OR length(s) %% 4 = 1 THEN
    RETURN NULL;
  END IF;
  RETURN decode(rpad(translate(s, '-_', '+/'), (length(s) + 3) / 4 * 4, '='), 'base64');
END
$pbtable$;

CREATE OR REPLACE FUNCTION %[1]spbtable_to_timestamp(j jsonb) RETURNS timestamp with time zone
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $pbtable$
DECLARE
  m text[];
BEGIN
  IF jsonb_typeof(j) IS DISTINCT FROM 'string' THEN
    RETURN NULL;
  END IF;
  m := regexp_match(j #>> '{}', %[2]s);
  IF m IS NULL OR m[1]::integer NOT BETWEEN 1 AND 9999 OR m[2]::integer NOT BETWEEN 1 AND 12
     OR m[4]::integer > 23 OR m[5]::integer > 59 OR m[6]::integer > 59
     OR (m[9] IS NULL AND (m[11]::integer > 23 OR m[12]::integer > 59)) THEN
    RETURN NULL;
  END IF;
  IF m[3]::integer NOT BETWEEN 1 AND extract(day FROM make_date(m[1]::integer, m[2]::integer, 1) + interval '1 month' - interval '1 day') THEN
    RETURN NULL;
  END IF;
  RETURN timezone('UTC', make_timestamp(m[1]::integer, m[2]::integer, m[3]::integer, m[4]::integer, m[5]::integer,
                                        (m[6] || '.' || left(rpad(coalesce(substr(m[7], 2), ''), 6, '0'), 6))::double precision)
                         - CASE WHEN m[9] IS NOT NULL THEN interval '0'
                                ELSE make_interval(mins => (CASE m[10] WHEN '-' THEN -1 ELSE 1 END) * (m[11]::integer * 60 + m[12]::integer)) END);
END
$pbtable$;

CREATE OR REPLACE FUNCTION %[1]spbtable_from_timestamp(t timestamp with time zone) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $pbtable$
DECLARE
  f text := to_char(timezone('UTC', t), 'US');
BEGIN
  RETURN to_jsonb(to_char(timezone('UTC', t), 'YYYY-MM-DD"T"HH24:MI:SS')
                  || CASE WHEN f = '000000' THEN '' WHEN f LIKE '%%000' THEN '.' || left(f, 3) ELSE '.' || f END || 'Z');
END
$pbtable$;

CREATE OR REPLACE FUNCTION %[1]spbtable_put(obj jsonb, keys text[], val jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN val IS NULL THEN (CASE WHEN jsonb_typeof(obj) = 'object' THEN obj ELSE '{}'::jsonb END) - keys
            ELSE ((CASE WHEN jsonb_typeof(obj) = 'object' THEN obj ELSE '{}'::jsonb END) - keys) || jsonb_build_object(keys[1], val) END;

CREATE OR REPLACE FUNCTION %[1]spbtable_reject(tbl text, col text, json_key text, want text, got jsonb) RETURNS void
LANGUAGE plpgsql AS $pbtable$
BEGIN
  RAISE EXCEPTION USING
    ERRCODE = '22023',
    TABLE = tbl,
    COLUMN = col,
    MESSAGE = format('pbtable %%s: column %%s%%s wants %%s, got %%s', tbl, '"' || col || '"',
                     CASE WHEN json_key = '' THEN '' ELSE format(' (JSON key %%s)', to_jsonb(json_key)) END, want, left(got::text, 200)),
    HINT = 'Fix the value, or drop the key: the row must be the message in proto-JSON (https://protobuf.dev/programming-guides/json/).';
END
$pbtable$;`, p, tsRE)
}

// intRE is what an integer in a JSON string must look like (protobuf's
// JSON parsers accept exponents and fractions when the value is whole).
const intRE = `'^-?[0-9]{1,40}(\.[0-9]{0,40})?([eE][+-]?[0-9]{1,3})?$'`

// floatRE is what a number in a JSON string must look like.
const floatRE = `'^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$'`

// intFunc returns the reader of an integer kind: a JSON number or string
// holding a whole number from lo to hi.
func intFunc(p, name, typ, lo, hi string) string {
	return fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]s%[2]s(j jsonb) RETURNS %[3]s
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $pbtable$
DECLARE
  n numeric;
BEGIN
  n := CASE jsonb_typeof(j)
         WHEN 'number' THEN j::numeric
         WHEN 'string' THEN CASE WHEN (j #>> '{}') ~ %[6]s THEN (j #>> '{}')::numeric END
       END;
  IF n BETWEEN %[4]s AND %[5]s AND n = trunc(n) THEN
    RETURN trunc(n);
  END IF;
  RETURN NULL;
END
$pbtable$;

`, p, name, typ, lo, hi, intRE)
}

// floatFunc returns the reader of a floating-point kind: a JSON number, a
// number in a string, or "NaN", "Infinity", "-Infinity". Magnitudes that
// round to infinity read as NULL, those that round to zero as 0.
func floatFunc(p, name, typ, bound, tiny string) string {
	return fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]s%[2]s(j jsonb) RETURNS %[3]s
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $pbtable$
DECLARE
  n numeric;
  s text;
BEGIN
  IF jsonb_typeof(j) = 'number' THEN
    n := j::numeric;
  ELSIF jsonb_typeof(j) = 'string' THEN
    s := j #>> '{}';
    IF s IN ('NaN', 'Infinity', '-Infinity') THEN
      RETURN s::%[3]s;
    END IF;
    IF length(s) > 1000 OR s !~ %[6]s THEN
      RETURN NULL;
    END IF;
    n := s::numeric;
  ELSE
    RETURN NULL;
  END IF;
  IF abs(n) <= %[5]s THEN
    RETURN 0;
  END IF;
  IF abs(n) < %[4]s THEN
    RETURN n::%[3]s;
  END IF;
  RETURN NULL;
END
$pbtable$;

`, p, name, typ, bound, tiny, floatRE)
}
