package pgddl

import (
	"fmt"
	"strings"

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
	b.WriteString("  RETURN NEW;\nEND\n$pbtable$;")
	return Statement{
		Comment: "Validation on the way in: a value proto-JSON parsers refuse is refused with an\nerror naming the column and the JSON key (SQLSTATE 22023). No table lock.",
		SQL:     b.String(),
	}, nil
}
