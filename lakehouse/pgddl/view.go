package pgddl

import (
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// viewColumn is one column of the view: a stored column of the table, or
// (after a migration without rewrite) an expression over the row.
type viewColumn struct {
	col *lakehouse.Column
	// virtual reports whether the view computes the column instead of
	// reading a stored one.
	virtual bool
}

// storedColumns returns the scalar columns of t as stored view columns.
func storedColumns(t *lakehouse.Table) []viewColumn {
	var out []viewColumn
	for _, c := range scalarColumns(t) {
		out = append(out, viewColumn{col: c})
	}
	return out
}

// viewStatements returns the view over the table with cols, its write
// function and its INSTEAD OF trigger.
func (n names) viewStatements(t *lakehouse.Table, cols []viewColumn) ([]Statement, error) {
	sel := []string{"t." + quote(n.row)}
	for _, vc := range cols {
		if !vc.virtual {
			sel = append(sel, "t."+quote(vc.col.Name))
			continue
		}
		expr, err := n.generated(vc.col)
		if err != nil {
			return nil, err
		}
		sel = append(sel, fmt.Sprintf("%s AS %s", expr, quote(vc.col.Name)))
	}
	view := Statement{
		Comment: "The relational view: every column of the table, writable through the trigger\nbelow. A new view: no lock on the table.",
		SQL:     fmt.Sprintf("CREATE VIEW %s AS\nSELECT %s\nFROM %s AS t;", n.qualified(n.view), strings.Join(sel, ",\n       "), n.qualified(n.table)),
	}
	write, err := n.writeStatement(t, cols)
	if err != nil {
		return nil, err
	}
	trigger := Statement{
		Comment: "INSTEAD OF, not INSTEAD rules: PostgreSQL refuses INSERT ... ON CONFLICT on views\nwith rules, and rules evaluate volatile expressions once per action. A view has\nno unique index for ON CONFLICT (key), so the trigger upserts on the key itself.\nSHARE ROW EXCLUSIVE on the view, briefly.",
		SQL: fmt.Sprintf("CREATE TRIGGER %s INSTEAD OF INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION %s();",
			quote(n.object("_view_write")), n.qualified(n.view), n.qualified(n.object("_view_write"))),
	}
	return []Statement{view, write, trigger}, nil
}

// writeStatement returns the function of the view's INSTEAD OF trigger.
func (n names) writeStatement(t *lakehouse.Table, cols []viewColumn) (Statement, error) {
	p := n.helperPrefix()
	var decl, insertSets, updateSets, keyMatch, oldMatch, into, newMatch []string
	for i, c := range t.Key {
		v := fmt.Sprintf("k%d", i+1)
		decl = append(decl, fmt.Sprintf("  %s %s;", v, sqlTypes[c.Kind].Type))
		keyMatch = append(keyMatch, quote(c.Name))
		oldMatch = append(oldMatch, fmt.Sprintf("t.%s = OLD.%s", quote(c.Name), quote(c.Name)))
		into = append(into, "t."+quote(c.Name))
		newMatch = append(newMatch, fmt.Sprintf("v.%s = %s", quote(c.Name), v))
	}
	keyVars := make([]string, len(t.Key))
	for i := range t.Key {
		keyVars[i] = fmt.Sprintf("k%d", i+1)
	}
	for _, vc := range cols {
		c := vc.col
		x := "NEW." + quote(c.Name)
		if c.Deprecated {
			msg := fmt.Sprintf("pbtable %s: column %s is deprecated: field %d was deleted from %s, and its column only keeps the data of old rows", n.table, c.Name, c.Path[len(c.Path)-1].Number, t.Message)
			raise := fmt.Sprintf("RAISE EXCEPTION USING ERRCODE = '22023', TABLE = %s, COLUMN = %s, MESSAGE = %s;", literal(n.table), literal(c.Name), literal(msg))
			insertSets = append(insertSets, fmt.Sprintf("    IF %s IS NOT NULL THEN %s END IF;", x, raise))
			updateSets = append(updateSets, fmt.Sprintf("    IF %s IS DISTINCT FROM OLD.%s THEN %s END IF;", x, quote(c.Name), raise))
			continue
		}
		st := sqlTypes[c.Kind]
		js := fmt.Sprintf(st.ToJSON, x, p)
		drop := x + " IS NULL"
		if !c.Presence {
			zero := st.Zero
			if c.Kind == lakehouse.KindEnum {
				zero = literal(c.Enum.ZeroName())
				drop += fmt.Sprintf(" OR %s IN (%s, '0')", x, zero)
			} else {
				drop += fmt.Sprintf(" OR %s = %s", x, zero)
			}
		}
		val := fmt.Sprintf("CASE WHEN %s THEN NULL ELSE %s END", drop, js)
		set := fmt.Sprintf("r := %s;", n.setPath("r", c.Path, val))
		insertSets = append(insertSets, fmt.Sprintf("    IF %s IS NOT NULL THEN\n      %s\n    END IF;", x, set))
		updateSets = append(updateSets, fmt.Sprintf("    IF %s IS DISTINCT FROM OLD.%s THEN\n      %s\n    END IF;", x, quote(c.Name), set))
	}
	row := quote(n.row)
	sql := fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]s() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $pbtable$
DECLARE
  r jsonb;
%[2]s
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM %[3]s AS t WHERE %[4]s;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    r := coalesce(NEW.%[5]s, '{}'::jsonb);
%[6]s
    INSERT INTO %[3]s AS t (%[5]s) VALUES (r)
      ON CONFLICT (%[7]s) DO UPDATE SET %[5]s = EXCLUDED.%[5]s
      RETURNING %[8]s INTO %[9]s;
  ELSE
    r := CASE WHEN NEW.%[5]s IS DISTINCT FROM OLD.%[5]s THEN coalesce(NEW.%[5]s, '{}'::jsonb) ELSE OLD.%[5]s END;
%[10]s
    UPDATE %[3]s AS t SET %[5]s = r WHERE %[4]s
      RETURNING %[8]s INTO %[9]s;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
  END IF;
  SELECT * INTO NEW FROM %[11]s AS v WHERE %[12]s;
  RETURN NEW;
END
$pbtable$;`,
		n.qualified(n.object("_view_write")), strings.Join(decl, "\n"), n.qualified(n.table), strings.Join(oldMatch, " AND "),
		row, strings.Join(insertSets, "\n"), strings.Join(keyMatch, ", "), strings.Join(into, ", "), strings.Join(keyVars, ", "),
		strings.Join(updateSets, "\n"), n.qualified(n.view), strings.Join(newMatch, " AND "))
	return Statement{
		Comment: `Writes through the view. INSERT takes the whole JSON (column row), columns, or
both (columns win) and upserts on the key; UPDATE changes the JSON or columns;
DELETE deletes by key. A column set to NULL, or a field without presence set
to its zero value, drops the key, as protojson writes it. RETURNING shows the
stored row with its generated values. No table lock.`,
		SQL: sql,
	}, nil
}

// setPath returns the jsonb expression of base with path set to val (a
// jsonb expression; NULL drops the key), removing every older key of each
// step.
func (n names) setPath(base string, path lakehouse.Path, val string) string {
	s := path[0]
	keys := make([]string, len(s.JSONKeys))
	for i, k := range s.JSONKeys {
		keys[i] = literal(k)
	}
	inner := val
	if len(path) > 1 {
		inner = n.setPath(access(base, path[:1]), path[1:], val)
	}
	return fmt.Sprintf("%spbtable_put(%s, ARRAY[%s], %s)", n.helperPrefix(), base, strings.Join(keys, ", "), inner)
}
