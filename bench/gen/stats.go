package main

import (
	"fmt"
	"slices"
	"strings"
)

// Stats summarises a corpus and its change list.
type Stats struct {
	Files, Packages, Messages, Fields, Enums, EnumValues int
	Services, RPCs, Extensions, Imports, Bytes           int
	Proto2, Proto3, Editions                             int
	Breaking, Compatible                                 int
	ByKind                                               map[string]int
}

// Count computes the statistics of the written files of c and of changes
// (all but Bytes, which the writer fills in).
func Count(c *Corpus, changes []Change) Stats {
	s := Stats{ByKind: map[string]int{}}
	pkgs := map[string]bool{}
	var msg func(m *Message)
	msg = func(m *Message) {
		if m.Gone {
			return
		}
		s.Messages++
		s.Fields += len(m.Fields)
		s.Enums += len(m.Enums)
		for _, e := range m.Enums {
			s.EnumValues += len(e.Values)
		}
		for _, n := range m.Nested {
			msg(n)
		}
	}
	for _, f := range c.Files {
		if f.Deleted {
			continue
		}
		s.Files++
		pkgs[f.Package] = true
		switch f.Syntax {
		case Proto2:
			s.Proto2++
		case Proto3:
			s.Proto3++
		default:
			s.Editions++
		}
		for _, m := range f.Messages {
			msg(m)
		}
		for _, e := range f.Enums {
			s.Enums++
			s.EnumValues += len(e.Values)
		}
		s.Services += len(f.Services)
		for _, sv := range f.Services {
			s.RPCs += len(sv.Methods)
		}
		for _, x := range f.Extends {
			s.Extensions += len(x.Fields)
		}
		s.Imports += len(Imports(f))
	}
	s.Packages = len(pkgs)
	for _, ch := range changes {
		s.ByKind[ch.Kind]++
		if ch.Breaking() {
			s.Breaking++
		} else {
			s.Compatible++
		}
	}
	return s
}

// String renders the statistics as a small report.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "previous: %d files (%d proto3, %d proto2, %d editions), %d packages, %.1f MiB\n",
		s.Files, s.Proto3, s.Proto2, s.Editions, s.Packages, float64(s.Bytes)/(1<<20))
	fmt.Fprintf(&b, "          %d messages, %d fields, %d enums (%d values), %d services, %d rpcs, %d extensions, %d imports\n",
		s.Messages, s.Fields, s.Enums, s.EnumValues, s.Services, s.RPCs, s.Extensions, s.Imports)
	fmt.Fprintf(&b, "changes:  %d breaking, %d compatible\n", s.Breaking, s.Compatible)
	kinds := make([]string, 0, len(s.ByKind))
	for k := range s.ByKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-32s %d\n", k, s.ByKind[k])
	}
	return b.String()
}
