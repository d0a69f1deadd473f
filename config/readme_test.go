package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExample parses the pbregistry.yaml README shows and checks that
// the keys it writes mean what its comments say.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```yaml\nversion: v1 ")
	if start < 0 {
		t.Fatal("README has no ```yaml block starting with version: v1")
	}
	block := text[start+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	cfg, err := Parse(FileName, []byte(block))
	if err != nil {
		t.Fatalf("README's pbregistry.yaml does not parse: %v", err)
	}
	if cfg.Name != "acme/commerce" {
		t.Errorf("module = %q, want acme/commerce", cfg.Name)
	}
	if len(cfg.Subjects) != 2 || cfg.Subjects[0].Kind != "pbtable" || cfg.Subjects[1].Compatibility != LevelFullTransitive {
		t.Errorf("subjects = %+v, not README's", cfg.Subjects)
	}
	b := cfg.Breaking
	if b == nil || b.Compatibility != LevelFull || len(b.Use) != 1 || b.Use[0] != "FILE" {
		t.Errorf("breaking = %+v, not README's", b)
	}
	if cfg.Policies == nil {
		t.Error("README's policies: were not read")
	}
}
