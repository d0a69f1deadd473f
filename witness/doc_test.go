package witness_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/witness"
)

// docExample is a marker in docs/compatibility.md followed by a fenced
// block: `<!-- witness: FIXTURE CATEGORY RULE -->`.
var docExample = regexp.MustCompile("(?s)<!-- witness: (\\S+) (\\S+) (\\S+) -->\n```text\n(.*?)```\n")

// TestWitnessesDocumented keeps the examples of docs/compatibility.md's
// "Witnesses" section in sync with what Explain says of their fixtures.
func TestWitnessesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := docExample.FindAllStringSubmatch(string(doc), -1)
	if len(examples) < 3 {
		t.Fatalf("docs/compatibility.md has %d witness examples, want at least 3 (a witness, another layer, none)", len(examples))
	}
	for _, ex := range examples {
		fixture, category, rule, documented := ex[1], ex[2], ex[3], ex[4]
		t.Run(fixture, func(t *testing.T) {
			prev, curr := loadTxtar(t, "../testdata/directions/"+fixture+".txtar")
			findings, err := compat.Check(prev, curr, compat.Config{Use: []string{category}})
			if err != nil {
				t.Fatal(err)
			}
			x := witness.NewExplainer(prev, curr)
			for _, f := range findings {
				if f.Rule != rule {
					continue
				}
				want := f.Message + " (" + f.Rule + ")\n" + indentLines(x.Explain(f).String()) + "\n"
				if documented != want {
					t.Errorf("docs/compatibility.md's example for %s %s %s says:\n%s\nExplain says:\n%s", fixture, category, rule, documented, want)
				}
				return
			}
			t.Errorf("%s under %s reports no %s: %v", fixture, category, rule, findings)
		})
	}
}

func indentLines(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
