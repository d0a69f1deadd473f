package input

import (
	"fmt"
	"path"
	"strings"
)

// pathFilter is buf's --path / --exclude-path selection over relative,
// slash-separated, cleaned paths.
type pathFilter struct {
	targets  []string
	excludes []string
}

func (f pathFilter) empty() bool { return len(f.targets) == 0 && len(f.excludes) == 0 }

// within reports whether p is dir or inside dir.
func within(dir, p string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// keep reports whether the file at p is selected. A target naming the file
// itself always selects it; otherwise a file is kept when some target
// contains it and no exclude inside (or equal to) that target contains it
// too. Without targets, a file is kept unless an exclude contains it.
func (f pathFilter) keep(p string) bool {
	if len(f.targets) == 0 {
		for _, e := range f.excludes {
			if within(e, p) {
				return false
			}
		}
		return true
	}
	for _, t := range f.targets {
		if t == p {
			return true
		}
	}
	for _, t := range f.targets {
		if !within(t, p) {
			continue
		}
		excluded := false
		for _, e := range f.excludes {
			if within(e, p) && within(t, e) {
				excluded = true
				break
			}
		}
		if !excluded {
			return true
		}
	}
	return false
}

// cleanRel normalizes a path relative to an input: forward slashes, no
// "./", no trailing slash. It fails on paths leaving the input.
func cleanRel(p string) (string, bool) {
	c := path.Clean(strings.ReplaceAll(p, "\\", "/"))
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return c, false
	}
	return c, true
}

// checkFilter rejects paths buf rejects: "." and a path given both as
// --path and --exclude-path.
func checkFilter(f pathFilter) error {
	for _, t := range f.targets {
		if t == "." {
			return fmt.Errorf(`--path "." selects the whole input, which is the same as no --path: remove it`)
		}
		for _, e := range f.excludes {
			if t == e {
				return fmt.Errorf("%s is given both as --path and --exclude-path: keep one", t)
			}
		}
	}
	return nil
}
