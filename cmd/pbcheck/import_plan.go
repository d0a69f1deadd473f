package main

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
)

// importKey names a subject version.
type importKey struct {
	subject string
	version int64
}

func (k importKey) String() string { return fmt.Sprintf("%s version %d", k.subject, k.version) }

// importNode is a subject version of the source, to import.
type importNode struct {
	schema *csrSchema
	// deps are the versions that must be in the target first: the
	// subject's previous version and the versions it references.
	deps []importKey
	// refused says why the version cannot be imported, found while
	// reading the source ("" when it can).
	refused string
	// neededBy names a version referencing this subject when the subject
	// was not asked for (--subjects) but is imported as a reference.
	neededBy string
}

// importPlan is what the source holds, in the order to import it.
type importPlan struct {
	subjects []string
	nodes    map[importKey]*importNode
	order    []importKey
}

// readSource reads every version of the subjects of src matching globs
// (all when none), plus the subjects they reference, and orders them:
// each subject's versions in sequence, references before the versions
// that use them, otherwise by id.
func readSource(ctx context.Context, src *csrClient, globs []string) (*importPlan, error) {
	all, err := src.subjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the source's subjects: %w", err)
	}
	p := &importPlan{nodes: map[importKey]*importNode{}}
	latest := map[string]int64{}
	seen := map[string]bool{}
	var queue []string
	var neededBy = map[string]string{}
	for _, s := range all {
		if matchAny(globs, s) {
			queue = append(queue, s)
			seen[s] = true
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		p.subjects = append(p.subjects, s)
		vs, err := src.versions(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("list the versions of source subject %s: %w", s, err)
		}
		slices.Sort(vs)
		for i, v := range vs {
			sc, err := src.version(ctx, s, v)
			if err != nil {
				return nil, fmt.Errorf("read source subject %s version %d: %w", s, v, err)
			}
			sc.Subject, sc.Version = s, v
			n := &importNode{schema: sc, neededBy: neededBy[s]}
			switch {
			case int64(i+1) != v:
				n.refused = fmt.Sprintf("version %d follows version %d in the source: pbregistry numbers a subject's versions without gaps (versions deleted in the source?)", v, max(0, i))
			case sc.typ() != "PROTOBUF":
				n.refused = fmt.Sprintf("schemaType %s: pbregistry stores PROTOBUF schemas only", sc.typ())
			case sc.ID <= 0:
				n.refused = fmt.Sprintf("the source gives it no id (id %d)", sc.ID)
			}
			if i > 0 {
				n.deps = append(n.deps, importKey{s, vs[i-1]})
			}
			for _, r := range sc.References {
				if !seen[r.Subject] {
					seen[r.Subject] = true
					neededBy[r.Subject] = importKey{s, v}.String()
					queue = append(queue, r.Subject)
				}
			}
			p.nodes[importKey{s, v}] = n
			latest[s] = v
		}
	}
	// References name versions; -1 (latest) names the source's latest.
	for k, n := range p.nodes {
		for _, r := range n.schema.References {
			rv := r.Version
			if rv <= 0 {
				rv = latest[r.Subject]
			}
			dk := importKey{r.Subject, rv}
			if _, ok := p.nodes[dk]; !ok && n.refused == "" {
				n.refused = fmt.Sprintf("reference %q names %s, which the source does not list", r.Name, dk)
			}
			n.deps = append(n.deps, dk)
		}
		p.nodes[k] = n
	}
	p.order = p.topological()
	return p, nil
}

// topological orders the nodes: dependencies first, otherwise by id,
// subject and version. A version in a reference cycle is refused.
func (p *importPlan) topological() []importKey {
	keys := make([]importKey, 0, len(p.nodes))
	for k := range p.nodes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := p.nodes[keys[i]].schema, p.nodes[keys[j]].schema
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Version < b.Version
	})
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[importKey]int{}
	order := make([]importKey, 0, len(keys))
	var visit func(k importKey)
	visit = func(k importKey) {
		n, ok := p.nodes[k]
		if !ok || state[k] == done {
			return
		}
		state[k] = visiting
		for _, d := range n.deps {
			if state[d] == visiting {
				if n.refused == "" {
					n.refused = fmt.Sprintf("reference cycle: %s references %s, which depends on it", k, d)
				}
				continue
			}
			visit(d)
		}
		state[k] = done
		order = append(order, k)
	}
	for _, k := range keys {
		visit(k)
	}
	return order
}

// matchAny reports whether subject matches one of globs (path.Match
// patterns: * stops at /), or globs is empty.
func matchAny(globs []string, subject string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, subject); ok {
			return true
		}
	}
	return false
}
