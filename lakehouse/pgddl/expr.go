package pgddl

import (
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// access returns the jsonb expression of path's value in base: each step
// reads every key the field ever had, newest first. A JSON null counts as
// absent, as in protobuf's JSON mapping.
func access(base string, path lakehouse.Path) string {
	expr := base
	for _, s := range path {
		if len(s.JSONKeys) == 1 {
			expr = fmt.Sprintf("%s->%s", expr, literal(s.JSONKeys[0]))
			continue
		}
		parts := make([]string, len(s.JSONKeys))
		for i, k := range s.JSONKeys {
			parts[i] = fmt.Sprintf("nullif(%s->%s, 'null'::jsonb)", expr, literal(k))
		}
		expr = "coalesce(" + strings.Join(parts, ", ") + ")"
	}
	return expr
}

// reader returns the expression reading c's SQL value from the jsonb
// expression j, or NULL when j does not hold one.
func (n names) reader(c *lakehouse.Column, j string) (string, error) {
	if c.Kind == lakehouse.KindEnum {
		return fmt.Sprintf("%s(%s)", n.qualified(n.enumFunc(c)), j), nil
	}
	st, err := typeOf(c)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s(%s)", n.qualified(st.Reader), j), nil
}

// generated returns the expression of c's generated column over the row.
func (n names) generated(c *lakehouse.Column) (string, error) {
	expr, err := n.reader(c, access(quote(n.row), c.Path))
	if err != nil {
		return "", err
	}
	if c.Presence {
		return expr, nil
	}
	zero := sqlTypes[c.Kind].Zero
	if c.Kind == lakehouse.KindEnum {
		zero = literal(c.Enum.ZeroName())
	}
	return fmt.Sprintf("coalesce(%s, %s)", expr, zero), nil
}

// enumFunc returns the name of c's enum reader.
func (n names) enumFunc(c *lakehouse.Column) string {
	return n.object("__" + c.Name)
}

// helperPrefix returns the prefix that qualifies a helper function.
func (n names) helperPrefix() string {
	if n.schema == "" {
		return ""
	}
	return quote(n.schema) + "."
}

// scalarColumns returns the columns of t that get a generated column.
func scalarColumns(t *lakehouse.Table) []*lakehouse.Column {
	var out []*lakehouse.Column
	for _, c := range t.Columns {
		if c.Kind.Scalar() {
			out = append(out, c)
		}
	}
	return out
}
