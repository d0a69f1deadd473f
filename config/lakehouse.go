package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

var (
	lakehouseKeys      = []string{"source", "database", "schema", "json_column", "loaded_at_column", "nested_depth", "tables"}
	lakehouseTableKeys = []string{"message", "table", "json_column", "loaded_at_column", "not_null"}
	// sqlNameRE is what a landing name may be: a plain SQL identifier.
	sqlNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)
)

// MaxNestedDepth is the largest lakehouse nested_depth accepted.
const MaxNestedDepth = 8

// Lakehouse is pbregistry.yaml's lakehouse: section: where an extract-load
// tool lands the module's rows in the warehouse, read by the generated dbt
// project. Every key is optional.
type Lakehouse struct {
	// Source is the dbt source's name; default: the module name in
	// snake_case.
	Source string
	// Database and Schema locate the landing tables; default: the
	// target's database, and a schema named like the source.
	Database, Schema string
	// Defaults holds the module-wide json_column and loaded_at_column.
	Defaults LandingTable
	// NestedDepth is how many levels of nested messages are flattened into
	// parent__child columns, when NestedDepthSet.
	NestedDepth int
	// NestedDepthSet reports whether nested_depth was given.
	NestedDepthSet bool
	// Tables holds each subject's landing table, by message.
	Tables map[string]LandingTable
	// NotNull lists, by subject message, the fields (names, or dotted
	// paths through singular message fields) whose model columns get a
	// not_null test: a table entry's not_null:.
	NotNull map[string][]string
	// Pos is where the section starts.
	Pos Pos
}

// LandingTable is where one subject's rows land.
type LandingTable struct {
	// Table is the landing table's name; default: the message's name in
	// snake_case.
	Table string
	// JSONColumn is the column holding the row as proto-JSON; default
	// "row".
	JSONColumn string
	// LoadedAtColumn is the column holding when the row was loaded;
	// when set the source gets freshness checks on it.
	LoadedAtColumn string
	// Pos is where the entry is.
	Pos Pos
}

// Landing returns the landing table of the subject message: its entry in
// tables: over the section's defaults.
func (l Lakehouse) Landing(message string) LandingTable {
	out := l.Defaults
	t, ok := l.Tables[message]
	if !ok {
		return out
	}
	out.Table, out.Pos = t.Table, t.Pos
	if t.JSONColumn != "" {
		out.JSONColumn = t.JSONColumn
	}
	if t.LoadedAtColumn != "" {
		out.LoadedAtColumn = t.LoadedAtColumn
	}
	return out
}

// parseLakehouse parses the lakehouse: section; subjects are the parsed
// subjects, which tables: entries must name.
func parseLakehouse(file string, n *yaml.Node, subjects []Subject) (Lakehouse, error) {
	l := Lakehouse{Pos: PosAt(file, n)}
	n = resolve(n)
	if isNull(n) {
		return l, nil
	}
	pairs, err := mapping(file, n, "lakehouse", lakehouseKeys)
	if err != nil {
		return l, err
	}
	name := func(v *yaml.Node, what string) (string, error) {
		s, err := scalar(file, v, what)
		if err != nil {
			return "", err
		}
		if !sqlNameRE.MatchString(s) {
			return "", ErrorAt(file, v, "%s %q is not a plain SQL name: use letters, digits and underscores, starting with a letter or underscore", what, s)
		}
		return s, nil
	}
	for _, p := range pairs {
		switch p.key {
		case "source":
			l.Source, err = name(p.value, "lakehouse.source")
		case "database":
			l.Database, err = name(p.value, "lakehouse.database")
		case "schema":
			l.Schema, err = name(p.value, "lakehouse.schema")
		case "json_column":
			l.Defaults.JSONColumn, err = name(p.value, "lakehouse.json_column")
		case "loaded_at_column":
			l.Defaults.LoadedAtColumn, err = name(p.value, "lakehouse.loaded_at_column")
		case "nested_depth":
			var s string
			if s, err = scalar(file, p.value, "lakehouse.nested_depth"); err != nil {
				return l, err
			}
			d, convErr := strconv.Atoi(s)
			if convErr != nil || d < 0 || d > MaxNestedDepth {
				return l, ErrorAt(file, p.value, "lakehouse.nested_depth must be a whole number from 0 to %d, not %q", MaxNestedDepth, s)
			}
			l.NestedDepth, l.NestedDepthSet = d, true
		case "tables":
			l.Tables, l.NotNull, err = parseLandingTables(file, p.value, subjects, name)
		}
		if err != nil {
			return l, err
		}
	}
	return l, nil
}

func parseLandingTables(file string, n *yaml.Node, subjects []Subject, name func(*yaml.Node, string) (string, error)) (map[string]LandingTable, map[string][]string, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, ErrorAt(file, n, "lakehouse.tables must be a list of mappings (- message: ..., table: ...), not %s", describe(n))
	}
	out := map[string]LandingTable{}
	notNull := map[string][]string{}
	for _, tn := range n.Content {
		tn = resolve(tn)
		pairs, err := mapping(file, tn, "lakehouse table", lakehouseTableKeys)
		if err != nil {
			return nil, nil, err
		}
		t := LandingTable{Pos: PosAt(file, tn)}
		var message string
		var messageN *yaml.Node
		var fields []string
		for _, p := range pairs {
			switch p.key {
			case "message":
				message, err = scalar(file, p.value, "lakehouse.tables.message")
				messageN = p.value
			case "table":
				t.Table, err = name(p.value, "lakehouse.tables.table")
			case "json_column":
				t.JSONColumn, err = name(p.value, "lakehouse.tables.json_column")
			case "loaded_at_column":
				t.LoadedAtColumn, err = name(p.value, "lakehouse.tables.loaded_at_column")
			case "not_null":
				var items []item
				if items, err = stringList(file, p.value, "lakehouse.tables.not_null"); err != nil {
					return nil, nil, err
				}
				for _, it := range items {
					if !isFieldPath(it.value) {
						return nil, nil, &Error{Pos: it.pos, Msg: fmt.Sprintf("lakehouse.tables.not_null: %q is not a field: use field names of the message, or dotted paths to fields of nested messages like key.id", it.value)}
					}
					if slices.Contains(fields, it.value) {
						return nil, nil, &Error{Pos: it.pos, Msg: fmt.Sprintf("lakehouse.tables.not_null lists %q twice", it.value)}
					}
					fields = append(fields, it.value)
				}
			}
			if err != nil {
				return nil, nil, err
			}
		}
		if messageN == nil {
			return nil, nil, ErrorAt(file, tn, "lakehouse table without message: add message: <a subject's fully-qualified message name>")
		}
		found := false
		for _, s := range subjects {
			found = found || s.Message == message
		}
		if !found {
			return nil, nil, ErrorAt(file, messageN, "lakehouse.tables names %s, which is not a subject: add it to subjects: or fix the name", message)
		}
		if _, dup := out[message]; dup {
			return nil, nil, ErrorAt(file, messageN, "lakehouse.tables lists %s twice", message)
		}
		out[message] = t
		if len(fields) > 0 {
			notNull[message] = fields
		}
	}
	return out, notNull, nil
}

// String describes the landing table for messages.
func (t LandingTable) String() string {
	return fmt.Sprintf("table %q, json column %q, loaded-at column %q", t.Table, t.JSONColumn, t.LoadedAtColumn)
}
