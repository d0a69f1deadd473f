package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pbregistry/pbregistry/compat"
)

// Breaking is a resolved breaking: section, as it applies to one module.
// Its paths are relative to the module root, like the paths of an image.
type Breaking struct {
	// Version is the rule version the IDs in Use and Except are read with:
	// "v1beta1", "v1" (buf.yaml v1, and no configuration at all) or "v2"
	// (buf.yaml v2 and pbregistry.yaml).
	Version string
	// Use lists rule IDs and categories to run; empty means the default.
	Use []string
	// Except lists rule IDs and categories not to run.
	Except []string
	// Ignore lists module-relative files and directories whose findings
	// are dropped.
	Ignore []string
	// IgnoreOnly maps a rule ID or category to module-relative paths whose
	// findings for it are dropped.
	IgnoreOnly map[string][]string
	// IgnoreUnstablePackages drops findings in packages such as foo.v1beta1.
	IgnoreUnstablePackages bool
	// DisableBuiltin is buf's disable_builtin key, kept for completeness:
	// pbregistry has no plugin rules, so it has no effect here.
	DisableBuiltin bool
	// Disabled is set when an ignore path names the module directory
	// itself, which turns breaking checks off for the module, as in buf.
	Disabled bool
	// Compatibility is pbregistry.yaml's compatibility level; unset ("")
	// for buf.yaml, where every finding counts (FULL).
	Compatibility Level
	// Pos is the position of the breaking: key; zero for defaults.
	Pos Pos
	// Positions holds where each part was written: "use", "except",
	// "ignore", "ignore_only", "ignore_unstable_packages" and
	// "compatibility" for keys; "use:ID", "except:ID", "ignore:PATH",
	// "ignore_only:ID" and "ignore_only:ID:PATH" for items (paths after
	// conversion to module-relative).
	Positions map[string]Pos
}

// PosOf returns the position recorded for key (see Positions), or the
// position of the section itself.
func (b *Breaking) PosOf(key string) Pos {
	if p, ok := b.Positions[key]; ok {
		return p
	}
	return b.Pos
}

// DefaultBreaking returns the breaking configuration of a module without
// one in the given file version ("v1" or "v2").
func DefaultBreaking(version string) *Breaking {
	return &Breaking{Version: version}
}

// CompatConfig converts b to the compatibility engine's configuration. A
// disabled section becomes compat.LevelNone, which accepts every change.
// A nil b is buf's default without configuration (v1 rules, FILE).
func (b *Breaking) CompatConfig() compat.Config {
	if b == nil {
		return compat.Config{Version: "v1"}
	}
	c := compat.Config{
		Version:                b.Version,
		Use:                    slices.Clone(b.Use),
		Except:                 slices.Clone(b.Except),
		Ignore:                 slices.Clone(b.Ignore),
		IgnoreUnstablePackages: b.IgnoreUnstablePackages,
		Level:                  compat.LevelFull,
	}
	if b.Compatibility != "" {
		c.Level = b.Compatibility.Directions()
	}
	if len(b.IgnoreOnly) > 0 {
		c.IgnoreOnly = make(map[string][]string, len(b.IgnoreOnly))
		for k, v := range b.IgnoreOnly {
			c.IgnoreOnly[k] = slices.Clone(v)
		}
	}
	if b.Disabled {
		c.Level = compat.LevelNone
	}
	return c
}

// Transitive reports whether the compatibility level is a _TRANSITIVE one:
// checked against every previous version, not only the latest.
func (b *Breaking) Transitive() bool { return b != nil && b.Compatibility.Transitive() }

// Keys of a breaking: section.
var (
	bufBreakingKeys = []string{"use", "except", "ignore", "ignore_only", "ignore_unstable_packages", "disable_builtin"}
	pbrBreakingKeys = []string{"use", "except", "ignore", "ignore_only", "ignore_unstable_packages", "compatibility"}
)

// rawBreaking is a breaking: section as written, before its paths are made
// relative to a module.
type rawBreaking struct {
	file           string
	version        string
	pos            Pos
	keys           map[string]Pos
	use, except    []item
	ignore         []item
	ignoreOnly     map[string][]item
	ignoreOnlyPos  map[string]Pos
	ignoreUnstable bool
	disableBuiltin bool
	compatibility  Level
}

// empty reports whether the section sets nothing, which buf treats as
// absent (a module with an empty breaking: inherits the top-level one).
func (r *rawBreaking) empty() bool {
	return r == nil || (len(r.use) == 0 && len(r.except) == 0 && len(r.ignore) == 0 &&
		len(r.ignoreOnly) == 0 && !r.ignoreUnstable && !r.disableBuiltin && r.compatibility == "")
}

// parseBreaking reads a breaking: mapping. keyN is the "breaking" key node.
func parseBreaking(file, version string, keyN, n *yaml.Node, valid []string) (*rawBreaking, error) {
	pairs, err := mapping(file, n, "breaking", valid)
	if err != nil {
		return nil, err
	}
	r := &rawBreaking{file: file, version: version, pos: PosAt(file, keyN), keys: map[string]Pos{}}
	for _, p := range pairs {
		r.keys[p.key] = PosAt(file, p.keyN)
		what := "breaking." + p.key
		switch p.key {
		case "use":
			r.use, err = stringList(file, p.value, what)
		case "except":
			r.except, err = stringList(file, p.value, what)
		case "ignore":
			r.ignore, err = stringList(file, p.value, what)
		case "ignore_only":
			var rules []kv
			if rules, err = mapping(file, p.value, what, nil); err != nil {
				return nil, err
			}
			r.ignoreOnly = make(map[string][]item, len(rules))
			r.ignoreOnlyPos = make(map[string]Pos, len(rules))
			for _, rule := range rules {
				var paths []item
				if paths, err = stringList(file, rule.value, what+"."+rule.key); err != nil {
					return nil, err
				}
				r.ignoreOnly[rule.key] = paths
				r.ignoreOnlyPos[rule.key] = PosAt(file, rule.keyN)
			}
		case "ignore_unstable_packages":
			r.ignoreUnstable, err = boolean(file, p.value, what)
		case "disable_builtin":
			r.disableBuiltin, err = boolean(file, p.value, what)
		case "compatibility":
			var s string
			if s, err = scalar(file, p.value, what); err != nil {
				return nil, err
			}
			if r.compatibility, err = ParseLevel(s); err != nil {
				return nil, ErrorAt(file, p.value, "%v", err)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	for _, list := range [][]item{r.use, r.except} {
		for _, it := range list {
			if strings.TrimSpace(it.value) == "" {
				return nil, &Error{Pos: it.pos, Msg: "empty rule ID or category: remove it"}
			}
		}
	}
	return r, nil
}

// resolve makes the section's paths relative to moduleDir (relative to the
// configuration file's directory). Paths outside moduleDir are an error
// when strict (a module's own section) and skipped otherwise (a workspace
// default), as buf does.
func (r *rawBreaking) resolve(moduleDir string, strict bool) (*Breaking, error) {
	b := &Breaking{
		Version:                r.version,
		Use:                    values(r.use),
		Except:                 values(r.except),
		IgnoreUnstablePackages: r.ignoreUnstable,
		DisableBuiltin:         r.disableBuiltin,
		Compatibility:          r.compatibility,
		Pos:                    r.pos,
		Positions:              maps.Clone(r.keys),
	}
	for _, it := range r.use {
		b.Positions["use:"+it.value] = it.pos
	}
	for _, it := range r.except {
		b.Positions["except:"+it.value] = it.pos
	}
	rel := func(it item, what string) (string, bool, error) {
		p, err := cleanPath(it.value)
		if err != nil {
			return "", false, &Error{Pos: it.pos, Msg: fmt.Sprintf("%s: %v", what, err)}
		}
		if !within(moduleDir, p) {
			if strict {
				return "", false, &Error{Pos: it.pos, Msg: fmt.Sprintf("%s: path %q is not inside module directory %q: write paths relative to %s, starting with the module directory", what, p, moduleDir, baseName(r.file))}
			}
			return "", false, nil
		}
		return relTo(moduleDir, p), true, nil
	}
	for _, it := range r.ignore {
		p, ok, err := rel(it, "breaking.ignore")
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if p == "." {
			b.Disabled = true
			continue
		}
		b.Ignore = append(b.Ignore, p)
		b.Positions["ignore:"+p] = it.pos
	}
	if b.Disabled {
		b.Ignore = nil
	}
	if err := checkPathSet(b.Ignore, b.Positions, "ignore:", "ignore"); err != nil {
		return nil, err
	}
	for _, rule := range slices.Sorted(maps.Keys(r.ignoreOnly)) {
		var paths []string
		for _, it := range r.ignoreOnly[rule] {
			p, ok, err := rel(it, "breaking.ignore_only")
			if err != nil {
				return nil, err
			}
			if ok {
				paths = append(paths, p)
				b.Positions["ignore_only:"+rule+":"+p] = it.pos
			}
		}
		if len(paths) == 0 {
			continue
		}
		if err := checkPathSet(paths, b.Positions, "ignore_only:"+rule+":", "ignore_only path"); err != nil {
			return nil, err
		}
		if b.IgnoreOnly == nil {
			b.IgnoreOnly = map[string][]string{}
		}
		b.IgnoreOnly[rule] = paths
		b.Positions["ignore_only:"+rule] = r.ignoreOnlyPos[rule]
	}
	return b, nil
}

// checkPathSet rejects duplicate and nested paths, which buf rejects too.
func checkPathSet(paths []string, pos map[string]Pos, prefix, what string) error {
	sorted := slices.Sorted(slices.Values(paths))
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			a, b := sorted[i], sorted[j]
			switch {
			case a == b:
				return &Error{Pos: pos[prefix+b], Msg: fmt.Sprintf("duplicate %s %q: list it once", what, a)}
			case within(a, b):
				return &Error{Pos: pos[prefix+b], Msg: fmt.Sprintf("%s %q is inside %s %q: keep only %q", what, b, what, a, a)}
			}
		}
	}
	return nil
}

func baseName(file string) string {
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		return file[i+1:]
	}
	return file
}
