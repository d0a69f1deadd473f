package compat_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
)

// documentedRule is a row of docs/compatibility.md's rule table.
type documentedRule struct {
	categories string // "CSR, FILE", or "—"
	breaks     string // source, both, backward, forward or per change
}

// TestRulesDocumented checks that docs/compatibility.md lists every rule of
// the v2 catalog with its categories and the directions it breaks, and no
// rule that does not exist; and that every rule guarding a layer (WIRE,
// WIRE_JSON and their LOSSLESS categories) has a row in the change × layer
// × direction table whose cells agree with those directions.
func TestRulesDocumented(t *testing.T) {
	f, err := os.Open("../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]documentedRule{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		parts := strings.Split(strings.Trim(line, "| "), " | ")
		if len(parts) != 4 {
			t.Fatalf("docs/compatibility.md: rule row %q: want 4 columns, got %d", line, len(parts))
		}
		id := strings.Trim(strings.Fields(parts[0])[0], "`")
		documented[id] = documentedRule{categories: parts[1], breaks: parts[2]}
	}
	known := map[string]bool{}
	for _, version := range []string{"v2", "v1"} {
		for _, r := range compat.Rules(version) {
			if known[r.ID] {
				continue
			}
			known[r.ID] = true
			doc, ok := documented[r.ID]
			switch {
			case !ok:
				t.Errorf("rule %s is not documented in docs/compatibility.md", r.ID)
				continue
			case !r.Deprecated && doc.categories != strings.Join(r.Categories, ", ") && !(len(r.Categories) == 0 && doc.categories == "—"):
				t.Errorf("docs/compatibility.md lists %s in %q, the catalog in %q", r.ID, doc.categories, strings.Join(r.Categories, ", "))
			}
			if want := breaksFor(r); !slices.Contains(want, doc.breaks) {
				t.Errorf("docs/compatibility.md says %s breaks %q, the catalog (directions %s, categories %v) wants one of %q", r.ID, doc.breaks, r.Directions, r.Categories, want)
			}
		}
	}
	for id := range documented {
		if !known[id] {
			t.Errorf("docs/compatibility.md documents %s, which is not a rule", id)
		}
	}
	checkLayerRulesHaveRows(t, documented)
}

// layerCategories maps each category that guards a layer to the index of
// the layer's BACKWARD cell in a directionsRow (FORWARD is the next one).
var layerCategories = map[string]int{
	compat.CategoryWire:             0,
	compat.CategoryWireLossless:     0,
	compat.CategoryWireJSON:         2,
	compat.CategoryWireJSONLossless: 2,
}

// breaksFor returns the values the rule table's "Breaks" column may hold for
// r: a rule that guards no layer is a source rule; otherwise the catalog's
// directions decide, Both being "both" or "per change" (the finding's own
// directions then depend on the change).
func breaksFor(r compat.RuleInfo) []string {
	if r.Deprecated {
		return []string{"both"}
	}
	layered := false
	for _, c := range r.Categories {
		_, ok := layerCategories[c]
		layered = layered || ok
	}
	switch {
	case !layered:
		return []string{"source"}
	case r.Directions == compat.Backward:
		return []string{"backward"}
	case r.Directions == compat.Forward:
		return []string{"forward"}
	default:
		return []string{"both", "per change"}
	}
}

// checkLayerRulesHaveRows checks that every v2 rule in WIRE, WIRE_JSON,
// WIRE_LOSSLESS or WIRE_JSON_LOSSLESS is reported by some row of the
// directions table at each of its layers, and that wherever a row lists a
// rule at a layer, the directions it is listed in match the rule table:
// "both" in BACKWARD and FORWARD, "backward" or "forward" only there.
// TestDirectionsTable checks the cells themselves against the engine.
func checkLayerRulesHaveRows(t *testing.T, documented map[string]documentedRule) {
	rows := readDirectionsTable(t, "../docs/compatibility.md")
	for _, r := range compat.Rules("v2") {
		if r.Deprecated {
			continue
		}
		for _, c := range r.Categories {
			col, ok := layerCategories[c]
			if !ok {
				continue
			}
			found := false
			for _, row := range rows {
				found = found || cellHas(row.cells[col], r.ID) || cellHas(row.cells[col+1], r.ID)
			}
			if !found {
				t.Errorf("rule %s (%s) has no row in docs/compatibility.md's change × layer × direction table: add a fixture under testdata/directions and a row whose %s columns list it", r.ID, c, []string{"WIRE", "", "WIRE_JSON"}[col])
			}
		}
	}
	for _, row := range rows {
		for _, col := range []int{0, 2} {
			layerName := []string{"WIRE", "", "WIRE_JSON"}[col]
			for _, id := range cellRules(row.cells[col], row.cells[col+1]) {
				backward, forward := cellHas(row.cells[col], id), cellHas(row.cells[col+1], id)
				var bad bool
				switch breaks := documented[id].breaks; breaks {
				case "both":
					bad = backward != forward
				case "backward":
					bad = forward
				case "forward":
					bad = backward
				}
				if bad {
					t.Errorf("docs/compatibility.md:%d: %s lists %s under %s BACKWARD=%t FORWARD=%t, but the rule table says it breaks %q", row.line, row.id, id, layerName, backward, forward, documented[id].breaks)
				}
			}
		}
	}
}

// cellHas reports whether a directions-table cell lists the rule.
func cellHas(cell, id string) bool {
	return slices.Contains(strings.Split(cell, ", "), id)
}

// cellRules returns the rules listed in any of the cells, without "—".
func cellRules(cells ...string) []string {
	var ids []string
	for _, c := range cells {
		for _, id := range strings.Split(c, ", ") {
			if id != "—" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
