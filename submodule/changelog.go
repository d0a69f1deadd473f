package submodule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pbregistry/pbregistry/registry"
)

// Trailer keys of a publication's commit message.
const (
	TrailerModule  = "Pbregistry-Module"
	TrailerVersion = "Pbregistry-Version"
	TrailerDigest  = "Pbregistry-Digest"
	TrailerRelease = "Pbregistry-Release"
	TrailerPusher  = "Pbregistry-Pushed-By"
	TrailerCommit  = "Pbregistry-Source-Commit"
)

// Changelog returns the commit message of a publication of v (a version
// of a module) in release number release: a subject line, what changed,
// and trailers.
func Changelog(v registry.Version, release int64, prev, next *Lock) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d\n\n", v.Module, v.Number)
	old := prev.Module(v.Module)
	if old == nil {
		fmt.Fprintf(&b, "Adds module %s at version %d.\n", v.Module, v.Number)
	} else {
		fmt.Fprintf(&b, "Moves module %s from version %d to %d.\n", v.Module, old.Version, v.Number)
	}
	if m := next.Module(v.Module); m != nil {
		was := map[string]LockSubject{}
		if old != nil {
			for _, s := range old.Subjects {
				was[s.Name] = s
			}
		}
		var lines []string
		for _, s := range m.Subjects {
			o, ok := was[s.Name]
			switch {
			case !ok:
				lines = append(lines, fmt.Sprintf("  added   %s (%s)", s.Name, s.Kind))
			case o.Kind != s.Kind:
				lines = append(lines, fmt.Sprintf("  changed %s (%s, was %s)", s.Name, s.Kind, o.Kind))
			}
			delete(was, s.Name)
		}
		for name, s := range was {
			lines = append(lines, fmt.Sprintf("  dropped %s (%s)", name, s.Kind))
		}
		slices.Sort(lines)
		if len(lines) > 0 {
			b.WriteString("\nSubjects:\n")
			b.WriteString(strings.Join(lines, "\n"))
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\nPushed by %s", oneLine(v.Principal))
	if v.Build.Commit != "" {
		fmt.Fprintf(&b, " from commit %s", oneLine(v.Build.Commit))
		if v.Build.Branch != "" {
			fmt.Fprintf(&b, " on %s", oneLine(v.Build.Branch))
		}
	}
	if v.Build.CIURL != "" {
		fmt.Fprintf(&b, " (%s)", oneLine(v.Build.CIURL))
	}
	b.WriteString(".\n\n")
	fmt.Fprintf(&b, "%s: %s\n%s: %d\n%s: %s\n%s: %d\n", TrailerModule, v.Module, TrailerVersion, v.Number,
		TrailerDigest, v.Digest, TrailerRelease, release)
	fmt.Fprintf(&b, "%s: %s\n", TrailerPusher, oneLine(v.Principal))
	if v.Build.Commit != "" {
		fmt.Fprintf(&b, "%s: %s\n", TrailerCommit, oneLine(v.Build.Commit))
	}
	return b.String()
}

// oneLine keeps a pushed string on one line and bounded.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return registry.Truncate(s, 200)
}

// Trailers returns the trailers of a commit message, by key (the last
// value of each key).
func Trailers(message string) map[string]string {
	t := map[string]string{}
	paras := strings.Split(strings.TrimRight(message, "\n"), "\n\n")
	for _, line := range strings.Split(paras[len(paras)-1], "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if ok && strings.HasPrefix(k, "Pbregistry-") {
			t[k] = v
		}
	}
	return t
}

// releaseOf returns the Pbregistry-Release trailer of message, or 0.
func releaseOf(message string) int64 {
	n, _ := strconv.ParseInt(Trailers(message)[TrailerRelease], 10, 64)
	return n
}
