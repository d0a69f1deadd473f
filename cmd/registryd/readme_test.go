package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/server"
)

// TestREADMEConfig loads the registryd configuration README shows, as
// registryd --config would, and checks that every key it writes took effect.
func TestREADMEConfig(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```yaml\nanonymous_read:")
	if start < 0 {
		t.Fatal("README has no ```yaml block starting with anonymous_read:")
	}
	block := text[start+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	cfg, err := server.ParseConfig("README.md", []byte(block))
	if err != nil {
		t.Fatalf("README's registryd configuration does not load: %v", err)
	}
	if cfg.AnonymousRead == nil || *cfg.AnonymousRead {
		t.Errorf("anonymous_read = %v, README sets false", cfg.AnonymousRead)
	}
	if l := cfg.Limits; l.MaxFiles != 5000 || l.MaxFileBytes != 4194304 || l.MaxTotalBytes != 67108864 || l.MaxPathBytes != 1024 || l.MaxRequestBytes != 68157440 {
		t.Errorf("limits = %+v, not README's", l)
	}
	if len(cfg.Policies) != 1 || cfg.Policies[0].Name != "NO_FLOATS" {
		t.Errorf("policies = %+v, README lists NO_FLOATS", cfg.Policies)
	}
}
