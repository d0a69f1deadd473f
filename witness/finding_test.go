package witness_test

import (
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/witness"
)

// TestExplain gives findings of a few fixtures of testdata/directions
// their witness (or the reason there is none), at the layer of the
// categories checked and in the direction the level protects.
func TestExplain(t *testing.T) {
	tests := []struct {
		fixture string
		use     []string
		rule    string
		// layer, direction and kind of the witness; none is a substring of
		// the reason when there is no witness.
		layer witness.Layer
		dir   compat.Direction
		kind  witness.Kind
		none  string
	}{
		{"field-int32-to-int64", []string{compat.CategoryWireLossless}, "FIELD_WIRE_LOSSLESS_TYPE", witness.Wire, compat.Forward, witness.ValueChanged, ""},
		{"field-int32-to-int64", []string{compat.CategoryWireJSON}, "FIELD_WIRE_JSON_COMPATIBLE_TYPE", witness.JSON, compat.Forward, witness.ParseError, ""},
		{"enum-value-add-open", []string{compat.CategoryWireJSONLossless}, "ENUM_VALUE_WIRE_JSON_LOSSLESS_ADD", witness.JSON, compat.Forward, witness.FieldLost, ""},
		{"field-rename", []string{compat.CategoryFile}, "FIELD_SAME_NAME", witness.JSON, compat.Backward, witness.FieldLost, ""},
		{"file-option", []string{compat.CategoryFile}, "FILE_SAME_GO_PACKAGE", 0, 0, "", "generated code breaks, data does not"},
		{"field-delete-reserve-number", []string{compat.CategoryWireJSON}, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", 0, 0, "", "conservative"},
		{"field-bytes-to-string", []string{compat.CategoryWire}, "FIELD_WIRE_COMPATIBLE_TYPE", witness.Wire, compat.Backward, witness.ParseError, ""},
		{"field-rename-keep-json-name", []string{compat.CategoryFile}, "FIELD_SAME_NAME", witness.JSON, compat.Forward, witness.FieldLost, ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			prev, curr := loadTxtar(t, "../testdata/directions/"+tt.fixture+".txtar")
			findings, err := compat.Check(prev, curr, compat.Config{Use: tt.use})
			if err != nil {
				t.Fatal(err)
			}
			var f *compat.Finding
			for i := range findings {
				if findings[i].Rule == tt.rule {
					f = &findings[i]
					break
				}
			}
			if f == nil {
				t.Fatalf("no finding of rule %q among %v", tt.rule, findings)
			}
			e := witness.NewExplainer(prev, curr).Explain(*f)
			if tt.none != "" {
				if e.Witness != nil || !strings.Contains(e.None, tt.none) {
					t.Fatalf("%s: want no witness (%q), got %s", f.Rule, tt.none, e)
				}
				return
			}
			w := e.Witness
			if w == nil {
				t.Fatalf("%s: no witness: %s", f.Rule, e.None)
			}
			if w.Layer != tt.layer || w.Direction != tt.dir || w.Kind != tt.kind {
				t.Fatalf("%s: got witness %s %s %s, want %s %s %s:\n%s", f.Rule, w.Layer, w.Direction, w.Kind, tt.layer, tt.dir, tt.kind, w)
			}
			if w.Written == "" || (w.Layer == witness.Wire) != (w.WrittenHex != "") {
				t.Fatalf("%s: witness without its data: %+v", f.Rule, w)
			}
			t.Logf("%s\n%s", f.Rule, w)
		})
	}
}

// TestExplainAllBounded: findings after the first MaxExplained get no
// search, and say so.
func TestExplainAllBounded(t *testing.T) {
	prev, curr := loadTxtar(t, "../testdata/directions/field-int32-to-int64.txtar")
	findings, err := compat.Check(prev, curr, compat.Config{Use: []string{compat.CategoryWireLossless}})
	if err != nil || len(findings) == 0 {
		t.Fatalf("findings %v, %v", findings, err)
	}
	many := make([]compat.Finding, witness.MaxExplained+1)
	for i := range many {
		many[i] = findings[0]
	}
	got := witness.NewExplainer(prev, curr).ExplainAll(many)
	if got[0].Witness == nil || got[witness.MaxExplained-1].Witness == nil {
		t.Fatalf("first findings without witness: %s / %s", got[0], got[witness.MaxExplained-1])
	}
	if last := got[witness.MaxExplained]; last.Witness != nil || !strings.Contains(last.None, "only the first 20") {
		t.Fatalf("finding %d: %s", witness.MaxExplained+1, last)
	}
}
