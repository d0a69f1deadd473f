package dbttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// schemaDir returns the directory of dbt's JSON schemas: $DBT_JSONSCHEMA_DIR,
// or ../shared/dbt-jsonschema beside the repository (where CI puts it). It
// skips the test when they are absent outside CI, and fails under CI.
func schemaDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DBT_JSONSCHEMA_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "dbt-jsonschema")
	}
	if _, err := os.Stat(filepath.Join(dir, "dbt_yml_files-latest.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the dbt JSON schemas are not at %s: CI must put dbt-jsonschema in ../shared beside the clone (%v)", dir, err)
		}
		t.Skipf("the dbt JSON schemas are not at %s (../shared/dbt-jsonschema beside the repository, or set DBT_JSONSCHEMA_DIR): skipping", dir)
	}
	return dir
}

// ecmaRegexp is a JSON-schema pattern compiled as ECMAScript: the dbt
// schemas use lookaheads Go's RE2 lacks.
type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

// compile compiles the schema file name of dir.
func compile(t *testing.T, dir, name string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	url := "file:///" + name
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling %s: %v", name, err)
	}
	return s
}

// instance returns YAML data as a JSON-schema instance.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("invalid YAML: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestYAMLValidatesAgainstDbtSchemas validates every generated YAML file of
// every dialect against both the dbt-core and the dbt Fusion schemas.
func TestYAMLValidatesAgainstDbtSchemas(t *testing.T) {
	dir := schemaDir(t)
	schemas := map[string][2]*jsonschema.Schema{
		"project":    {compile(t, dir, "dbt_project-latest.json"), compile(t, dir, "dbt_project-latest-fusion.json")},
		"properties": {compile(t, dir, "dbt_yml_files-latest.json"), compile(t, dir, "dbt_yml_files-latest-fusion.json")},
	}
	for _, d := range dbt.Dialects {
		n := 0
		for _, f := range shopFiles(t, d) {
			if !strings.HasSuffix(f.Path, ".yml") {
				continue
			}
			kind := "properties"
			if f.Path == "dbt_project.yml" {
				kind = "project"
			}
			for i, s := range schemas[kind] {
				if err := s.Validate(instance(t, f.Data)); err != nil {
					t.Errorf("%s %s is invalid under the %s schema: %v", d, f.Path, []string{"core", "fusion"}[i], err)
				}
				n++
			}
		}
		if n != 6 {
			t.Errorf("%s: %d validations, want 6 (3 files × 2 schemas)", d, n)
		}
	}
}

// TestSchemasRejectMisplacedMeta makes sure the validation above can fail:
// the Fusion schema refuses a column-level meta and a source-level
// loaded_at_field, the core schema an unknown model key.
func TestSchemasRejectMisplacedMeta(t *testing.T) {
	dir := schemaDir(t)
	core := compile(t, dir, "dbt_yml_files-latest.json")
	fusion := compile(t, dir, "dbt_yml_files-latest-fusion.json")
	for _, tt := range []struct {
		schema *jsonschema.Schema
		name   string
		yaml   string
	}{
		{fusion, "fusion", "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: c\n        meta: {a: 1}\n"},
		{fusion, "fusion", "version: 2\nsources:\n  - name: s\n    loaded_at_field: x\n    tables:\n      - name: t\n"},
		{core, "core", "version: 2\nmodels:\n  - name: m\n    bogus: 1\n"},
	} {
		if tt.schema.Validate(instance(t, []byte(tt.yaml))) == nil {
			t.Errorf("the %s schema accepts %q", tt.name, tt.yaml)
		}
	}
}
