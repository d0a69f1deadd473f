package pgddl

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// validateStatement returns the function of the BEFORE trigger that
// refuses a row whose values proto-JSON parsers would refuse, naming the
// column and the JSON key, so that the generated columns never see a value
// they cannot read and a bad write changes nothing.
func (n names) validateStatement(t *lakehouse.Table, cols []*lakehouse.Column) (Statement, error) {
	var b strings.Builder
	p := n.helperPrefix()
	row := "NEW." + quote(n.row)
	fmt.Fprintf(&b, `CREATE OR REPLACE FUNCTION %s() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $pbtable$
DECLARE
  v jsonb;
BEGIN
  IF jsonb_typeof(%s) IS DISTINCT FROM 'object' THEN
    PERFORM %spbtable_reject(%s, %s, '', 'the message as a proto-JSON object', coalesce(%s, 'null'::jsonb));
  END IF;
`, n.qualified(n.object("_validate")), row, p, literal(n.table), literal(n.row), row)
	for _, c := range cols {
		want := sqlTypes[c.Kind].Want
		var checks []struct{ key, expr string }
		if len(c.Path) == 1 {
			for _, k := range c.Path[0].JSONKeys {
				checks = append(checks, struct{ key, expr string }{k, fmt.Sprintf("%s->%s", row, literal(k))})
			}
		} else {
			var keys []string
			for _, s := range c.Path {
				keys = append(keys, s.JSONKeys[0])
			}
			checks = append(checks, struct{ key, expr string }{strings.Join(keys, "."), access(row, c.Path)})
		}
		for _, ch := range checks {
			read, err := n.reader(c, "v")
			if err != nil {
				return Statement{}, err
			}
			fmt.Fprintf(&b, `  v := %s;
  IF jsonb_typeof(v) <> 'null' AND %s IS NULL THEN
    PERFORM %spbtable_reject(%s, %s, %s, %s, v);
  END IF;
`, ch.expr, read, p, literal(n.table), literal(c.Name), literal(ch.key), literal(want))
		}
	}
	for _, c := range t.Columns {
		if c.Kind != lakehouse.KindJSON || len(c.Path) != 1 {
			continue
		}
		typ, want := jsonShape(c.Field)
		if typ == "" {
			continue
		}
		for _, k := range c.Path[0].JSONKeys {
			fmt.Fprintf(&b, `  v := %s->%s;
  IF jsonb_typeof(v) NOT IN ('null', %s) THEN
    PERFORM %spbtable_reject(%s, %s, %s, %s, v);
  END IF;
`, row, literal(k), literal(typ), p, literal(n.table), literal(c.Name), literal(k), literal(want))
		}
	}
	b.WriteString("  RETURN NEW;\nEND\n$pbtable$;")
	return Statement{
		Comment: "Validation on the way in: a value proto-JSON parsers refuse is refused with an\nerror naming the column and the JSON key (SQLSTATE 22023). No table lock.",
		SQL:     b.String(),
	}, nil
}

// jsonShape returns the JSON type a field kept as JSON must have at the
// top of a row, and how to say so; "" when any JSON value will do.
func jsonShape(f protoreflect.FieldDescriptor) (typ, want string) {
	switch {
	case f.IsList():
		return "array", "a JSON array (a repeated field)"
	case f.IsMap():
		return "object", "a JSON object (a map field)"
	case f.Kind() != protoreflect.MessageKind:
		return "", ""
	}
	switch f.Message().FullName() {
	case "google.protobuf.Value":
		return "", ""
	case "google.protobuf.ListValue":
		return "array", "a JSON array (a google.protobuf.ListValue)"
	case "google.protobuf.Duration", "google.protobuf.FieldMask":
		return "string", "a JSON string (a " + string(f.Message().FullName()) + ")"
	}
	return "object", "a JSON object (a " + string(f.Message().FullName()) + " message)"
}
