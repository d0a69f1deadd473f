package dbt_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// notNullColumns generates the duckdb project of the module files and
// returns, by column, whether the models file gives it a not_null test,
// and its description.
func notNullColumns(t *testing.T, model string, files map[string]string, required map[string][]dbt.Required, history ...map[string]string) (map[string]bool, map[string]string, error) {
	t.Helper()
	load := func(files map[string]string) *input.Input {
		fsys := fstest.MapFS{}
		for p, c := range files {
			fsys[p] = &fstest.MapFile{Data: []byte(c)}
		}
		in, err := input.LoadFS(context.Background(), fsys, "test")
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	in := load(files)
	var hist []*image.Index
	for _, h := range history {
		hist = append(hist, image.NewIndex(load(h).Image))
	}
	p, err := dbt.NewProject(in.Config, image.NewIndex(in.Image), hist, dbt.DuckDB, dbt.ModuleOptions{Required: required})
	if err != nil {
		t.Fatal(err)
	}
	out, err := dbt.Generate(*p)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range out {
		if !strings.HasSuffix(f.Path, "__models.yml") {
			continue
		}
		var doc struct {
			Models []struct {
				Name    string
				Columns []struct {
					Name        string
					Description string
					DataTests   []any `yaml:"data_tests"`
				}
			}
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			t.Fatal(err)
		}
		notNull, desc := map[string]bool{}, map[string]string{}
		for _, m := range doc.Models {
			if m.Name != model {
				continue
			}
			for _, c := range m.Columns {
				notNull[c.Name] = false
				desc[c.Name] = c.Description
				for _, dt := range c.DataTests {
					if dt == "not_null" {
						notNull[c.Name] = true
					}
				}
			}
		}
		return notNull, desc, nil
	}
	t.Fatal("no models file")
	return nil, nil, nil
}

// TestRequiredNotNull: fields the caller says policies require, and
// proto2 required fields, get not_null when their column can be NULL
// (presence, not deprecated); others do not.
func TestRequiredNotNull(t *testing.T) {
	files := map[string]string{
		"pbregistry.yaml": "version: v1\nmodule: acme/events\nsubjects:\n  - {message: acme.ev.v1.Placed, kind: event}\n  - {message: acme.ev.v2.Legacy, kind: log}\n",
		"acme/ev/v1/placed.proto": `syntax = "proto3";
package acme.ev.v1;
import "google/protobuf/timestamp.proto";
message Placed {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
  Where where = 3;
  string note = 4;
}
message Where { optional string city = 1; }
`,
		"acme/ev/v2/legacy.proto": `syntax = "proto2";
package acme.ev.v2;
message Legacy {
  required string id = 1;
  optional string note = 2;
  optional Inner inner = 3;
  message Inner { required int64 n = 1; }
}
`,
	}
	required := map[string][]dbt.Required{"acme.ev.v1.Placed": {
		{Field: "event_id", Why: "policy EVENT_ID_FIELD"},
		{Field: "occurred_at", Why: "policy EVENT_OCCURRED_AT"},
		{Field: "where.city", Why: "policy X"},
	}}
	notNull, desc, err := notNullColumns(t, "stg_acme_events__placeds", files, required)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"event_id":    false, // no presence: reads as '' when absent, never NULL
		"occurred_at": true,
		"where__city": true,
		"note":        false,
	}
	for col, w := range want {
		if got, ok := notNull[col]; !ok || got != w {
			t.Errorf("%s: not_null %v (column present: %v), want %v", col, got, ok, w)
		}
	}
	if !strings.Contains(desc["occurred_at"], "Required (policy EVENT_OCCURRED_AT)") {
		t.Errorf("occurred_at's description does not say why it is required: %q", desc["occurred_at"])
	}

	// A field added in a later version: rows written before lack it.
	older := map[string]string{}
	for k, v := range files {
		older[k] = strings.Replace(v, "google.protobuf.Timestamp occurred_at = 2;", "", 1)
	}
	notNull, _, err = notNullColumns(t, "stg_acme_events__placeds", files, required, older)
	if err != nil {
		t.Fatal(err)
	}
	if !notNull["where__city"] || notNull["occurred_at"] {
		t.Errorf("with a version before occurred_at: not_null on where__city %v (want true), on occurred_at %v (want false)", notNull["where__city"], notNull["occurred_at"])
	}

	// proto2: the required id; inner.n only when inner is required too.
	files["pbregistry.yaml"] = "version: v1\nmodule: acme/events\nsubjects:\n  - {message: acme.ev.v2.Legacy, kind: log}\n"
	notNull, _, err = notNullColumns(t, "stg_acme_events__legacies", files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for col, w := range map[string]bool{"id": true, "note": false, "inner__n": false} {
		if got, ok := notNull[col]; !ok || got != w {
			t.Errorf("proto2 %s: not_null %v (column present: %v), want %v", col, got, ok, w)
		}
	}

	// pbregistry.yaml's not_null: the field gets a test; one the model
	// has no column for is an error naming it.
	files["pbregistry.yaml"] = "version: v1\nmodule: acme/events\nsubjects:\n  - {message: acme.ev.v1.Placed, kind: event}\nlakehouse:\n  tables:\n    - {message: acme.ev.v1.Placed, not_null: [occurred_at]}\n"
	notNull, desc, err = notNullColumns(t, "stg_acme_events__placeds", files, nil)
	if err != nil || !notNull["occurred_at"] || !strings.Contains(desc["occurred_at"], "lakehouse.tables not_null") {
		t.Errorf("not_null: in pbregistry.yaml: not_null %v, description %q, error %v", notNull["occurred_at"], desc["occurred_at"], err)
	}
	files["pbregistry.yaml"] = "version: v1\nmodule: acme/events\nsubjects:\n  - {message: acme.ev.v1.Placed, kind: event}\nlakehouse:\n  tables:\n    - {message: acme.ev.v1.Placed, not_null: [happened_at]}\n"
	if _, _, err = notNullColumns(t, "stg_acme_events__placeds", files, nil); err == nil || !strings.Contains(err.Error(), `"happened_at"`) {
		t.Errorf("not_null: naming no field: error %v, want one naming happened_at", err)
	}

	// A required field the message lacks (an excepted policy) gets no
	// test, and is no error.
	files["pbregistry.yaml"] = "version: v1\nmodule: acme/events\nsubjects:\n  - {message: acme.ev.v1.Placed, kind: event}\n"
	notNull, _, err = notNullColumns(t, "stg_acme_events__placeds", files, map[string][]dbt.Required{"acme.ev.v1.Placed": {{Field: "happened_at", Why: "policy EVENT_OCCURRED_AT"}, {Field: "note.x", Why: "policy X"}}})
	if err != nil {
		t.Fatal(err)
	}
	for col, nn := range notNull {
		if nn {
			t.Errorf("required fields the message lacks: not_null on %s", col)
		}
	}
}
