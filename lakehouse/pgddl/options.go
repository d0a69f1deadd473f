package pgddl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// Options are the names and choices of a pbtable's DDL. The zero value
// derives every name from the message.
type Options struct {
	// Schema qualifies every object when set; empty leaves names
	// unqualified, resolved through search_path.
	Schema string
	// Table is the table's name; empty means the message's name in
	// snake_case.
	Table string
	// View is the view's name; empty means the table's name + "_view".
	View string
	// RowColumn is the jsonb column holding the row; empty means "row".
	RowColumn string
	// NoRewrite makes Migrate add new fields as expressions of the view,
	// each with an index built concurrently, instead of stored generated
	// columns that rewrite the table.
	NoRewrite bool
}

// identPattern is what a name given in Options must match: a plain SQL
// identifier, so that it needs no case folding surprises.
var identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// names are the resolved names of a pbtable's objects.
type names struct {
	schema, table, view, row string
}

// resolve applies the defaults of o and validates every name.
func (o Options) resolve(t *lakehouse.Table) (names, error) {
	n := names{schema: o.Schema, table: o.Table, view: o.View, row: o.RowColumn}
	if n.table == "" {
		n.table = t.Name
	}
	if n.view == "" {
		n.view = lakehouse.ShortName(n.table+"_view", lakehouse.MaxNameLen)
	}
	if n.row == "" {
		n.row = "row"
	}
	for _, c := range []struct{ what, v string }{{"schema", n.schema}, {"table", n.table}, {"view", n.view}, {"row column", n.row}} {
		if c.v == "" && c.what == "schema" {
			continue
		}
		if err := checkIdent(c.what, c.v); err != nil {
			return n, err
		}
	}
	if n.table == n.view {
		return n, invalid("table and view are both named %q: give them different names", n.table)
	}
	for _, c := range t.Columns {
		if err := checkIdent("column", c.Name); err != nil {
			return n, err
		}
		if c.Name == n.row {
			return n, invalid("field %s's column is named %q like the JSON column: choose another row column name (--row-column)", c.Field.FullName(), n.row)
		}
	}
	return n, nil
}

// checkIdent returns an error unless v is a valid identifier.
func checkIdent(what, v string) error {
	if len(v) > lakehouse.MaxNameLen || !identPattern.MatchString(v) {
		return invalid("invalid %s name %q: use lowercase letters, digits and underscores, starting with a letter or underscore, at most %d bytes", what, v, lakehouse.MaxNameLen)
	}
	return nil
}

// invalid returns an invalid-argument *lakehouse.Error.
func invalid(format string, args ...any) error {
	return &lakehouse.Error{Code: lakehouse.CodeInvalidArgument, Msg: fmt.Sprintf(format, args...)}
}

// quote returns the identifier s in double quotes.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// qualified returns name quoted, qualified by the schema when there is one.
func (n names) qualified(name string) string {
	if n.schema == "" {
		return quote(name)
	}
	return quote(n.schema) + "." + quote(name)
}

// object returns the name of a pbtable object derived from the table name.
func (n names) object(suffix string) string {
	return lakehouse.ShortName(n.table+suffix, lakehouse.MaxNameLen)
}

// literal returns s as a SQL string literal.
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
