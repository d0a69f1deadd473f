package compat_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
)

// TestRulesDocumented checks that docs/compatibility.md lists every rule of
// the v2 catalog with its categories, and no rule that does not exist.
func TestRulesDocumented(t *testing.T) {
	f, err := os.Open("../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		parts := strings.Split(strings.Trim(line, "| "), " | ")
		id := strings.Trim(strings.Fields(parts[0])[0], "`")
		documented[id] = parts[1]
	}
	known := map[string]bool{}
	for _, version := range []string{"v2", "v1"} {
		for _, r := range compat.Rules(version) {
			if known[r.ID] {
				continue
			}
			known[r.ID] = true
			cats, ok := documented[r.ID]
			switch {
			case !ok:
				t.Errorf("rule %s is not documented in docs/compatibility.md", r.ID)
			case !r.Deprecated && cats != strings.Join(r.Categories, ", ") && !(len(r.Categories) == 0 && cats == "—"):
				t.Errorf("docs/compatibility.md lists %s in %q, the catalog in %q", r.ID, cats, strings.Join(r.Categories, ", "))
			}
		}
	}
	for id := range documented {
		if !known[id] {
			t.Errorf("docs/compatibility.md documents %s, which is not a rule", id)
		}
	}
}
