package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/registry"
)

// Search bounds.
const (
	// maxSearchModules is the most modules one search scans.
	maxSearchModules = 2000
	// maxSearchResults is the most results one search returns.
	maxSearchResults = 100
	// maxSearchQuery is the longest query, in bytes.
	maxSearchQuery = 200
	// maxIndexedVersions bounds the names kept in memory, one set per
	// module version.
	maxIndexedVersions = 4096
	// maxMatchesShown is the most matching names shown per module.
	maxMatchesShown = 5
)

// names are the searchable names of one module version.
type names struct {
	// entries are "package acme.v1", "message acme.v1.Order",
	// "field acme.v1.Order.id", …
	entries []nameEntry
}

type nameEntry struct {
	What string // package, message, enum, field
	Name string
	low  string
}

// searchIndex caches the names of module versions (versions are
// immutable, so entries never go stale).
type searchIndex struct {
	mu     sync.Mutex
	byVers map[string]*names
}

func newSearchIndex() *searchIndex { return &searchIndex{byVers: map[string]*names{}} }

// namesOf returns the names of module's version n.
func (x *searchIndex) namesOf(ctx context.Context, store registry.Store, module string, n int64) (*names, error) {
	key := fmt.Sprintf("%s@%d", module, n)
	x.mu.Lock()
	got, ok := x.byVers[key]
	x.mu.Unlock()
	if ok {
		return got, nil
	}
	blob, err := store.GetDescriptorSet(ctx, module, n)
	if err != nil {
		return nil, fmt.Errorf("search %s version %d: %w", module, n, err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(blob, &set); err != nil {
		return nil, fmt.Errorf("search %s version %d: descriptor set: %w", module, n, err)
	}
	got = &names{}
	add := func(what, name string) {
		got.entries = append(got.entries, nameEntry{What: what, Name: name, low: strings.ToLower(name)})
	}
	var walkMsg func(prefix string, m *descriptorpb.DescriptorProto)
	walkEnum := func(prefix string, e *descriptorpb.EnumDescriptorProto) {
		add("enum", prefix+e.GetName())
	}
	walkMsg = func(prefix string, m *descriptorpb.DescriptorProto) {
		full := prefix + m.GetName()
		add("message", full)
		for _, f := range m.GetField() {
			add("field", full+"."+f.GetName())
		}
		for _, nm := range m.GetNestedType() {
			if nm.GetOptions().GetMapEntry() {
				continue
			}
			walkMsg(full+".", nm)
		}
		for _, e := range m.GetEnumType() {
			walkEnum(full+".", e)
		}
	}
	seenPkg := map[string]bool{}
	for _, f := range set.GetFile() {
		prefix := ""
		if p := f.GetPackage(); p != "" {
			prefix = p + "."
			if !seenPkg[p] {
				seenPkg[p] = true
				add("package", p)
			}
		}
		for _, m := range f.GetMessageType() {
			walkMsg(prefix, m)
		}
		for _, e := range f.GetEnumType() {
			walkEnum(prefix, e)
		}
	}
	x.mu.Lock()
	if len(x.byVers) >= maxIndexedVersions {
		clear(x.byVers)
	}
	x.byVers[key] = got
	x.mu.Unlock()
	return got, nil
}

// searchResult is a module matching a query.
type searchResult struct {
	Module  registry.Module
	Matches []nameEntry
	// More counts the matches not shown.
	More int
}

// searchOutcome is a search's results.
type searchOutcome struct {
	Results []searchResult
	// Truncated is set when the search stopped at a bound.
	Truncated bool
}

// search scans the latest versions of up to maxSearchModules modules for
// names containing q (case-insensitive).
func (h *Handler) search(ctx context.Context, q string) (searchOutcome, error) {
	var out searchOutcome
	low := strings.ToLower(q)
	token := ""
	scanned := 0
	for {
		page, err := h.store.ListModules(ctx, registry.PageRequest{Size: registry.MaxPageSize, Token: token})
		if err != nil {
			return out, fmt.Errorf("search: list modules: %w", err)
		}
		for _, m := range page.Items {
			if scanned >= maxSearchModules || len(out.Results) >= maxSearchResults {
				out.Truncated = true
				return out, nil
			}
			scanned++
			if err := ctx.Err(); err != nil {
				return out, err
			}
			r := searchResult{Module: m}
			if strings.Contains(strings.ToLower(m.Name), low) {
				r.Matches = append(r.Matches, nameEntry{What: "module", Name: m.Name})
			}
			if m.LatestVersion > 0 {
				ns, err := h.index.namesOf(ctx, h.store, m.Name, m.LatestVersion)
				if err != nil {
					return out, err
				}
				for _, e := range ns.entries {
					if !strings.Contains(e.low, low) {
						continue
					}
					if len(r.Matches) < maxMatchesShown {
						r.Matches = append(r.Matches, e)
					} else {
						r.More++
					}
				}
			}
			if len(r.Matches) > 0 {
				out.Results = append(out.Results, r)
			}
		}
		if page.NextPageToken == "" {
			return out, nil
		}
		token = page.NextPageToken
	}
}
