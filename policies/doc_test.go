package policies

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestObjectModelDocumented checks that docs/policies.md documents every
// field of every object expressions see, and every built-in policy.
func TestObjectModelDocumented(t *testing.T) {
	data, err := os.ReadFile("../docs/policies.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	types := []reflect.Type{reflect.TypeFor[Element](), reflect.TypeFor[KeyPath]()}
	for _, typ := range variableTypes {
		types = append(types, typ)
	}
	for _, typ := range types {
		section := "### " + typ.Name() + "\n"
		i := strings.Index(doc, section)
		if i < 0 {
			t.Errorf("docs/policies.md has no section %q", strings.TrimSpace(section))
			continue
		}
		body := doc[i+len(section):]
		if j := strings.Index(body, "\n### "); j >= 0 {
			body = body[:j]
		}
		for k := 0; k < typ.NumField(); k++ {
			tag := typ.Field(k).Tag.Get("cel")
			if !strings.Contains(body, "| `"+tag+"` |") {
				t.Errorf("docs/policies.md section %s does not document %s", typ.Name(), tag)
			}
		}
	}
	for _, b := range Builtins() {
		if !strings.Contains(doc, "| `"+b.Name+"` | "+string(b.Target)+" |") {
			t.Errorf("docs/policies.md does not document built-in %s (target %s)", b.Name, b.Target)
		}
	}
}
