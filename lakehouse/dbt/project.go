package dbt

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// Project is what a dbt project is generated from: a module version's
// subjects, each with its column model and landing table.
type Project struct {
	// Name is the dbt project's name; default: Source.
	Name string
	// Module is the registry module's name ("acme/shop"), for descriptions
	// and the source's default name.
	Module string
	// Version names the module version generated for, for descriptions;
	// may be empty.
	Version string
	// Source is the dbt source's name; default: the module's name in
	// snake_case ("acme/shop" → "acme_shop").
	Source string
	// Database and Schema locate the landing tables; Database may be empty
	// (the target's), Schema defaults to the source's name.
	Database, Schema string
	// Dialect is the warehouse's SQL dialect.
	Dialect Dialect
	// Models lists one model per subject; their order does not matter.
	Models []Model
}

// Model is one subject of a [Project].
type Model struct {
	// Table is the subject's column model over its history.
	Table *lakehouse.Table
	// Kind is the subject's kind (pbtable, event, log), for descriptions.
	Kind string
	// Description describes the subject: the message's comment.
	Description string
	// Landing is where its rows land.
	Landing Landing
	// Required lists fields every row must have, each with why: the
	// caller's reading of the policies in force (policies.RequiredFields).
	// See [Required] for which of them get a not_null test.
	Required []Required
}

// Required is a field of a model's message that its rows must have.
type Required struct {
	// Field is the field's name, or a dotted path through singular
	// message fields ("key.id"), in the latest version.
	Field string
	// Why says what requires it, e.g. "policy EVENT_OCCURRED_AT".
	Why string
	// Strict makes a field the latest message lacks, or one inside a
	// message kept as one JSON column, an error (pbregistry.yaml's
	// not_null:); otherwise it is skipped (a policy that was excepted).
	Strict bool
}

// Landing is the table an extract-load tool writes a subject's rows to.
type Landing struct {
	// Table is the landing table's name; default: the model's table name.
	Table string
	// JSONColumn is the column holding the row as proto-JSON; default
	// "row", the pbtable's own column.
	JSONColumn string
	// LoadedAtColumn is the column holding when a row was loaded; when
	// set, the source table gets freshness checks on it.
	LoadedAtColumn string
}

// DefaultJSONColumn is the JSON column read when a landing sets none.
const DefaultJSONColumn = "row"

// File is one generated file.
type File struct {
	// Path is the file's path, slash-separated, relative to the project.
	Path string
	// Data is the file's content.
	Data []byte
}

// Generate returns the files of the dbt project p, sorted by path:
// dbt_project.yml, the sources file, the models file and one staging model
// per subject. The same project always gives the same bytes.
func Generate(p Project) ([]File, error) {
	d, ok := dialects[p.Dialect]
	if !ok {
		return nil, fmt.Errorf("dbt: unknown dialect %q: use bigquery, duckdb, postgres or snowflake", p.Dialect)
	}
	if p.Source == "" {
		p.Source = DefaultSource(p.Module)
	}
	if p.Source == "" {
		return nil, fmt.Errorf("dbt: the project has no module and no source name: set Module or Source")
	}
	if p.Name == "" {
		p.Name = p.Source
	}
	if p.Schema == "" {
		p.Schema = p.Source
	}
	models := slices.Clone(p.Models)
	for i := range models {
		if models[i].Table == nil {
			return nil, fmt.Errorf("dbt: model %d has no table", i)
		}
		if models[i].Landing.Table == "" {
			models[i].Landing.Table = models[i].Table.Name
		}
		if models[i].Landing.JSONColumn == "" {
			models[i].Landing.JSONColumn = DefaultJSONColumn
		}
	}
	slices.SortFunc(models, func(a, b Model) int { return strings.Compare(a.Table.Name, b.Table.Name) })
	seen := map[string]string{}
	for _, m := range models {
		if other, dup := seen[m.Table.Name]; dup {
			return nil, fmt.Errorf("dbt: messages %s and %s both give the table name %q: one module cannot hold both as subjects of one source", other, m.Table.Message, m.Table.Name)
		}
		seen[m.Table.Name] = string(m.Table.Message)
	}
	g := &gen{p: p, d: d}
	dir := "models/staging/" + p.Source + "/"
	files := []File{
		{Path: "dbt_project.yml", Data: g.projectYAML()},
		{Path: dir + "_" + p.Source + "__sources.yml", Data: g.sourcesYAML(models)},
	}
	var specs []*modelSpec
	for _, m := range models {
		s, err := g.model(m)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
		files = append(files, File{Path: dir + s.name + ".sql", Data: s.sql})
	}
	files = append(files, File{Path: dir + "_" + p.Source + "__models.yml", Data: g.modelsYAML(specs)})
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// gen holds what generating a project needs.
type gen struct {
	p Project
	d *sqlDialect
}

// DefaultSource returns the source name of a module: its name in
// snake_case, "/" and "." becoming "_" ("acme/shop" → "acme_shop").
func DefaultSource(module string) string {
	return lakehouse.SnakeCase(module)
}

// ModelName returns the staging model's name of a table in source:
// stg_<source>__<table>s.
func ModelName(source, table string) string {
	return "stg_" + source + "__" + plural(table)
}

// plural returns the plural of a snake_case noun, enough for table names.
func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
