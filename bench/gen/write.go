package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// bufYAML is the module configuration written into previous/ and current/.
const bufYAML = `version: v2
breaking:
  use:
    - FILE
`

// Generate builds both models, applies the changes and writes the corpus
// into dir. It returns a human-readable summary.
func Generate(dir string, cfg Config) (Stats, error) {
	// The two models are independent: build and write them concurrently.
	var prev, cur *Corpus
	var changes []Change
	var wg sync.WaitGroup
	wg.Go(func() { prev = Build(cfg) })
	wg.Go(func() {
		cur = Build(cfg)
		changes = Mutate(cur, cfg.Seed)
	})
	wg.Wait()
	size, err := writeModule(filepath.Join(dir, "previous"), prev)
	if err != nil {
		return Stats{}, err
	}
	if _, err := writeModule(filepath.Join(dir, "current"), cur); err != nil {
		return Stats{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "changes.txt"), formatChanges(cfg, changes), 0o644); err != nil {
		return Stats{}, fmt.Errorf("write changes.txt: %w", err)
	}
	stats := Count(prev, changes)
	stats.Bytes = size
	return stats, nil
}

// writeModule replaces dir with the rendered files of c and a buf.yaml; it
// returns the number of bytes of .proto source written.
func writeModule(dir string, c *Corpus) (int, error) {
	if err := os.RemoveAll(dir); err != nil {
		return 0, fmt.Errorf("clean %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "buf.yaml"), []byte(bufYAML), 0o644); err != nil {
		return 0, fmt.Errorf("write buf.yaml: %w", err)
	}
	size := 0
	made := map[string]bool{}
	for _, f := range c.Files {
		if f.Deleted {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if d := filepath.Dir(p); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return 0, fmt.Errorf("create %s: %w", d, err)
			}
			made[d] = true
		}
		src := Render(f)
		size += len(src)
		if err := os.WriteFile(p, src, 0o644); err != nil {
			return 0, fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return size, nil
}

// formatChanges renders changes.txt: a header then one tab-separated line per
// change: class, kind, file, element, expected buf rule.
func formatChanges(cfg Config, changes []Change) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Deliberate changes from previous/ to current/ (gen -files %d -seed %d).\n", cfg.Files, cfg.Seed)
	b.WriteString("# Columns (tab-separated): class, kind, file, element, expected rule, detail.\n")
	b.WriteString("# class is \"breaking\" (the FILE category must report it) or \"compatible\" (must not).\n")
	b.WriteString("# expected rule is the buf rule ID the change triggers at least once in that file (\"-\" for compatible changes).\n")
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, func(a, b Change) int {
		if a.Breaking() != b.Breaking() {
			if a.Breaking() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	for _, c := range sorted {
		class, rule := "compatible", "-"
		if c.Breaking() {
			class, rule = "breaking", c.Rule
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", class, c.Kind, c.File, c.Element, rule, c.Detail)
	}
	return b.Bytes()
}
