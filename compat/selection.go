package compat

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// selection is a Config resolved against the catalog: the rules to run and
// the paths whose findings are dropped.
type selection struct {
	rules []*rule
	// ignore holds normalized paths whose findings are dropped.
	ignore []string
	// ignoreOnly maps a rule ID to normalized paths.
	ignoreOnly             map[string][]string
	ignoreUnstablePackages bool
	excludeImports         bool
	directions             Direction
	keepAll                bool
}

// UnknownRuleError reports a rule ID or category that the catalog of the
// configuration version does not have.
type UnknownRuleError struct {
	// Name is the unknown rule ID or category.
	Name string
	// Version is the configuration version the name was read with.
	Version string
}

func (e *UnknownRuleError) Error() string {
	hint := ""
	if r, ok := ruleByID[e.Name]; ok && !r.inVersion(e.Version) {
		var others []string
		for _, v := range []string{"v1beta1", "v1", "v2"} {
			if v != e.Version && r.inVersion(v) {
				others = append(others, v)
			}
		}
		hint = fmt.Sprintf(" (it exists in %s configurations)", strings.Join(others, " and "))
	} else if s := suggest(e.Name, e.Version); s != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", s)
	}
	return fmt.Sprintf("unknown breaking rule or category %q for configuration version %s%s; run `pbcheck rules` to list them", e.Name, e.Version, hint)
}

// suggest returns the known rule ID or category closest to name, if close.
func suggest(name, version string) string {
	best, bestDist := "", 4
	consider := func(candidate string) {
		if d := editDistance(strings.ToUpper(name), candidate); d < bestDist {
			best, bestDist = candidate, d
		}
	}
	for _, c := range Categories(version) {
		consider(c)
	}
	for _, r := range catalog {
		if r.inVersion(version) {
			consider(r.id)
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// expand turns rule IDs and categories into the rule IDs they stand for,
// replacing deprecated rules by their replacements.
func expand(names []string, version string) ([]string, error) {
	var ids []string
	isCategory := make(map[string]bool)
	for _, c := range Categories(version) {
		isCategory[c] = true
	}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if isCategory[name] {
			for _, r := range catalog {
				if r.inVersion(version) && slices.Contains(r.categoriesFor(version), name) {
					ids = append(ids, r.id)
				}
			}
			continue
		}
		r, ok := ruleByID[name]
		if !ok || !r.inVersion(version) {
			return nil, &UnknownRuleError{Name: name, Version: version}
		}
		if repl := r.replacementsFor(version); r.deprecated && len(repl) > 0 {
			ids = append(ids, repl...)
			continue
		}
		ids = append(ids, r.id)
	}
	sort.Strings(ids)
	return slices.Compact(ids), nil
}

// resolve checks cfg against the catalog and returns what to run.
func resolve(cfg Config) (*selection, error) {
	version := normalizeVersion(cfg.Version)
	use := cfg.Use
	if len(strings.Join(use, "")) == 0 {
		use = []string{CategoryFile}
	}
	useIDs, err := expand(use, version)
	if err != nil {
		return nil, err
	}
	exceptIDs, err := expand(cfg.Except, version)
	if err != nil {
		return nil, err
	}
	sel := &selection{
		ignoreUnstablePackages: cfg.IgnoreUnstablePackages,
		excludeImports:         cfg.ExcludeImports,
		directions:             cfg.Level.Directions(),
		keepAll:                cfg.Level == LevelFull,
	}
	for _, id := range useIDs {
		if !slices.Contains(exceptIDs, id) {
			sel.rules = append(sel.rules, ruleByID[id])
		}
	}
	if len(sel.rules) == 0 {
		return nil, fmt.Errorf("no breaking rules selected: use %v minus except %v leaves nothing to check", cfg.Use, cfg.Except)
	}
	if sel.ignore, err = normalizePaths(cfg.Ignore); err != nil {
		return nil, fmt.Errorf("ignore: %w", err)
	}
	if len(cfg.IgnoreOnly) > 0 {
		sel.ignoreOnly = make(map[string][]string)
		keys := make([]string, 0, len(cfg.IgnoreOnly))
		for k := range cfg.IgnoreOnly {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			ids, err := expand([]string{key}, version)
			if err != nil {
				return nil, fmt.Errorf("ignore_only: %w", err)
			}
			paths, err := normalizePaths(cfg.IgnoreOnly[key])
			if err != nil {
				return nil, fmt.Errorf("ignore_only %s: %w", key, err)
			}
			for _, id := range ids {
				sel.ignoreOnly[id] = append(sel.ignoreOnly[id], paths...)
			}
		}
	}
	return sel, nil
}

// normalizePaths cleans relative, slash-separated paths.
func normalizePaths(paths []string) ([]string, error) {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		clean := path.Clean(strings.ReplaceAll(p, "\\", "/"))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("path %q must be relative to the module root and stay inside it", p)
		}
		out = append(out, clean)
	}
	return out, nil
}

// pathCovered reports whether p equals one of roots or lies beneath one.
func pathCovered(p string, roots []string) bool {
	for _, root := range roots {
		if root == "." || p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}
