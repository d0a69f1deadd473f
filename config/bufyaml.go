package config

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Keys buf accepts in each part of buf.yaml. buf decodes strictly, so
// anything else is an error there and here; the values of keys pbregistry
// does not use (lint, deps, plugins, …) are accepted and ignored.
var (
	bufV1Keys       = []string{"version", "name", "deps", "build", "lint", "breaking"}
	bufV1BuildKeys  = []string{"roots", "excludes"}
	bufV2Keys       = []string{"version", "name", "modules", "deps", "lint", "breaking", "plugins", "policies"}
	bufV2ModuleKeys = []string{"path", "name", "includes", "excludes", "lint", "breaking"}
	bufLintV1Keys   = []string{"use", "except", "ignore", "ignore_only", "enum_zero_value_suffix",
		"rpc_allow_same_request_response", "rpc_allow_google_protobuf_empty_requests",
		"rpc_allow_google_protobuf_empty_responses", "service_suffix", "allow_comment_ignores", "disable_builtin"}
	bufLintV2Keys = []string{"use", "except", "ignore", "ignore_only", "enum_zero_value_suffix",
		"rpc_allow_same_request_response", "rpc_allow_google_protobuf_empty_requests",
		"rpc_allow_google_protobuf_empty_responses", "service_suffix", "disallow_comment_ignores", "disable_builtin"}
	bufPluginKeys = []string{"plugin", "options"}
	bufPolicyKeys = []string{"policy", "ignore", "ignore_only"}
	bufWorkKeys   = []string{"version", "directories"}
)

// bufYAML is a parsed buf.yaml.
type bufYAML struct {
	version string // "v1beta1", "v1" or "v2"
	modules []Module
	// top is the top-level breaking section resolved at ".", nil when
	// absent in a v2 file.
	top *Breaking
	// topRaw is the top-level section as written, nil when absent.
	topRaw *rawBreaking
}

// ruleVersion maps a buf.yaml version to the rule catalog version: buf's
// v1beta1, v1 and v2 catalogs differ.
func ruleVersion(v string) string {
	switch v {
	case "v2", "v1beta1":
		return v
	}
	return "v1"
}

// fileVersion reads and checks the version: key of a configuration file.
func fileVersion(file string, top []kv, accepted []string, suggest string) (string, *yaml.Node, error) {
	for _, p := range top {
		if p.key != "version" {
			continue
		}
		v, err := scalar(file, p.value, "version")
		if err != nil {
			return "", nil, err
		}
		for _, a := range accepted {
			if v == a {
				return v, p.value, nil
			}
		}
		shown := accepted
		if len(accepted) > 1 && accepted[0] == "v1beta1" {
			shown = accepted[1:] // still read, but not to be recommended
		}
		return "", nil, ErrorAt(file, p.value, "unsupported version %q: use %s", v, orList(shown))
	}
	return "", nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: fmt.Sprintf("missing version: add \"version: %s\" as the first line", suggest)}
}

func orList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// parseBufYAML parses the buf.yaml data read from file.
func parseBufYAML(file string, data []byte) (*bufYAML, error) {
	root, err := document(file, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty file: add \"version: v2\""}
	}
	top, err := mapping(file, root, "buf.yaml", nil)
	if err != nil {
		return nil, err
	}
	version, _, err := fileVersion(file, top, []string{"v1beta1", "v1", "v2"}, "v2")
	if err != nil {
		return nil, err
	}
	if version == "v2" {
		return parseBufYAMLV2(file, root)
	}
	return parseBufYAMLV1(file, version, root)
}

func parseBufYAMLV1(file, version string, root *yaml.Node) (*bufYAML, error) {
	top, err := mapping(file, root, "buf.yaml "+version, bufV1Keys)
	if err != nil {
		return nil, err
	}
	var roots, excludes []item
	var rawB *rawBreaking
	var name string
	for _, p := range top {
		switch p.key {
		case "name":
			name, err = scalar(file, p.value, "name")
		case "deps":
			_, err = stringList(file, p.value, "deps")
		case "build":
			var build []kv
			if build, err = mapping(file, p.value, "build", bufV1BuildKeys); err != nil {
				return nil, err
			}
			for _, b := range build {
				switch b.key {
				case "roots":
					if version == "v1" {
						return nil, ErrorAt(file, b.keyN, "build.roots is only valid in version v1beta1: remove it, the directory of buf.yaml is the module root in %s", version)
					}
					roots, err = stringList(file, b.value, "build.roots")
				case "excludes":
					excludes, err = stringList(file, b.value, "build.excludes")
				}
				if err != nil {
					return nil, err
				}
			}
		case "lint":
			_, err = mapping(file, p.value, "lint", bufLintV1Keys)
		case "breaking":
			rawB, err = parseBreaking(file, "v1", p.keyN, p.value, bufBreakingKeys)
		}
		if err != nil {
			return nil, err
		}
	}
	breaking := DefaultBreaking("v1")
	if rawB != nil {
		if breaking, err = rawB.resolve(".", true); err != nil {
			return nil, err
		}
	}
	rootDirs := []string{"."}
	rootPos := map[string]Pos{".": {File: file, Line: 1, Col: 1}}
	if len(roots) > 0 {
		rootDirs = rootDirs[:0]
		for _, r := range roots {
			p, err := cleanPath(r.value)
			if err != nil {
				return nil, &Error{Pos: r.pos, Msg: "build.roots: " + err.Error()}
			}
			if _, dup := rootPos[p]; dup {
				return nil, &Error{Pos: r.pos, Msg: fmt.Sprintf("duplicate root %q: list it once", p)}
			}
			for _, o := range rootDirs {
				if within(o, p) || within(p, o) {
					return nil, &Error{Pos: r.pos, Msg: fmt.Sprintf("root %q overlaps root %q: roots must not contain each other", p, o)}
				}
			}
			rootDirs = append(rootDirs, p)
			rootPos[p] = r.pos
		}
	}
	byRoot, err := assignExcludes(excludes, rootDirs, "build.excludes")
	if err != nil {
		return nil, err
	}
	out := &bufYAML{version: version, top: breaking, topRaw: rawB}
	for _, r := range rootDirs {
		out.modules = append(out.modules, Module{
			Dir:      r,
			Excludes: byRoot[r],
			Breaking: breaking,
			Name:     name,
			Pos:      rootPos[r],
			Source:   file,
		})
	}
	return out, nil
}

// assignExcludes normalizes excludes (relative to the configuration file)
// and returns them per root, relative to that root.
func assignExcludes(excludes []item, roots []string, what string) (map[string][]string, error) {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, e := range excludes {
		p, err := cleanPath(e.value)
		if err != nil {
			return nil, &Error{Pos: e.pos, Msg: what + ": " + err.Error()}
		}
		if path.Ext(p) == ".proto" {
			return nil, &Error{Pos: e.pos, Msg: fmt.Sprintf("%s: %q is a file: excludes name directories", what, p)}
		}
		if seen[p] {
			return nil, &Error{Pos: e.pos, Msg: fmt.Sprintf("%s: duplicate exclude %q: list it once", what, p)}
		}
		seen[p] = true
		found := false
		for _, r := range roots {
			if p == r {
				return nil, &Error{Pos: e.pos, Msg: fmt.Sprintf("%s: %q is a root: excluding a whole root is not allowed, remove the root instead", what, p)}
			}
			if within(r, p) {
				out[r] = append(out[r], relTo(r, p))
				found = true
				break
			}
		}
		if !found {
			return nil, &Error{Pos: e.pos, Msg: fmt.Sprintf("%s: %q is not inside any root (%s): write it relative to the configuration file, starting with the root", what, p, strings.Join(roots, ", "))}
		}
	}
	return out, nil
}

func parseBufYAMLV2(file string, root *yaml.Node) (*bufYAML, error) {
	top, err := mapping(file, root, "buf.yaml v2", bufV2Keys)
	if err != nil {
		return nil, err
	}
	var (
		name     string
		nameN    *yaml.Node
		modulesN *yaml.Node
		rawTop   *rawBreaking
	)
	for _, p := range top {
		switch p.key {
		case "name":
			name, err = scalar(file, p.value, "name")
			nameN = p.keyN
		case "modules":
			modulesN = p.value
		case "deps":
			_, err = stringList(file, p.value, "deps")
		case "lint":
			_, err = mapping(file, p.value, "lint", bufLintV2Keys)
		case "breaking":
			rawTop, err = parseBreaking(file, "v2", p.keyN, p.value, bufBreakingKeys)
		case "plugins":
			err = checkListOfMappings(file, p.value, "plugins", bufPluginKeys)
		case "policies":
			err = checkListOfMappings(file, p.value, "policies", bufPolicyKeys)
		}
		if err != nil {
			return nil, err
		}
	}
	out := &bufYAML{version: "v2", topRaw: rawTop}
	if !rawTop.empty() {
		if out.top, err = rawTop.resolve(".", false); err != nil {
			return nil, err
		}
	}
	modulesN = resolve(modulesN)
	if isNull(modulesN) || len(modulesN.Content) == 0 {
		b := DefaultBreaking("v2")
		if out.top != nil {
			b = out.top
		}
		out.modules = []Module{{Dir: ".", Breaking: b, Name: name, Pos: Pos{File: file, Line: 1, Col: 1}, Source: file}}
		return out, nil
	}
	if modulesN.Kind != yaml.SequenceNode {
		return nil, ErrorAt(file, modulesN, "modules must be a list of mappings with a path: key, not %s", describe(modulesN))
	}
	if name != "" {
		return nil, ErrorAt(file, nameN, "name cannot be set at the top level when modules are listed: set name on each module instead")
	}
	for _, mn := range modulesN.Content {
		m, err := parseBufV2Module(file, mn, rawTop)
		if err != nil {
			return nil, err
		}
		out.modules = append(out.modules, m)
	}
	return out, nil
}

func parseBufV2Module(file string, mn *yaml.Node, rawTop *rawBreaking) (Module, error) {
	pairs, err := mapping(file, mn, "modules entry", bufV2ModuleKeys)
	if err != nil {
		return Module{}, err
	}
	m := Module{Dir: ".", Pos: PosAt(file, resolve(mn)), Source: file}
	var includes, excludes []item
	var rawB *rawBreaking
	for _, p := range pairs {
		switch p.key {
		case "path":
			var s string
			if s, err = scalar(file, p.value, "modules.path"); err != nil {
				return Module{}, err
			}
			if s == "" {
				s = "."
			}
			if m.Dir, err = cleanPath(s); err != nil {
				return Module{}, ErrorAt(file, p.value, "modules.path: %v", err)
			}
			m.Pos = PosAt(file, p.value)
		case "name":
			m.Name, err = scalar(file, p.value, "modules.name")
		case "includes":
			includes, err = stringList(file, p.value, "modules.includes")
		case "excludes":
			excludes, err = stringList(file, p.value, "modules.excludes")
		case "lint":
			_, err = mapping(file, p.value, "lint", bufLintV2Keys)
		case "breaking":
			rawB, err = parseBreaking(file, "v2", p.keyN, p.value, bufBreakingKeys)
		}
		if err != nil {
			return Module{}, err
		}
	}
	var incl []string
	for _, it := range includes {
		p, err := cleanPath(it.value)
		if err != nil {
			return Module{}, &Error{Pos: it.pos, Msg: "modules.includes: " + err.Error()}
		}
		if p == m.Dir || !within(m.Dir, p) {
			return Module{}, &Error{Pos: it.pos, Msg: fmt.Sprintf("modules.includes: %q must be a directory inside module directory %q", p, m.Dir)}
		}
		if path.Ext(p) == ".proto" {
			return Module{}, &Error{Pos: it.pos, Msg: fmt.Sprintf("modules.includes: %q is a file: includes name directories", p)}
		}
		incl = append(incl, p)
		m.Includes = append(m.Includes, relTo(m.Dir, p))
	}
	for _, it := range excludes {
		p, err := cleanPath(it.value)
		if err != nil {
			return Module{}, &Error{Pos: it.pos, Msg: "modules.excludes: " + err.Error()}
		}
		if p == m.Dir || !within(m.Dir, p) {
			return Module{}, &Error{Pos: it.pos, Msg: fmt.Sprintf("modules.excludes: %q must be a directory inside module directory %q (paths are relative to buf.yaml)", p, m.Dir)}
		}
		if len(incl) > 0 {
			ok := false
			for _, in := range incl {
				if within(in, p) && in != p {
					ok = true
				}
			}
			if !ok {
				return Module{}, &Error{Pos: it.pos, Msg: fmt.Sprintf("modules.excludes: %q is not inside any of the includes: remove it", p)}
			}
		}
		m.Excludes = append(m.Excludes, relTo(m.Dir, p))
	}
	switch {
	case !rawB.empty():
		m.Breaking, err = rawB.resolve(m.Dir, true)
	case !rawTop.empty():
		m.Breaking, err = rawTop.resolve(m.Dir, false)
	default:
		m.Breaking = DefaultBreaking("v2")
	}
	if err != nil {
		return Module{}, err
	}
	return m, nil
}

// checkListOfMappings checks that n is a list of mappings with valid keys.
func checkListOfMappings(file string, n *yaml.Node, what string, valid []string) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return ErrorAt(file, n, "%s must be a list, not %s", what, describe(n))
	}
	for _, c := range n.Content {
		if _, err := mapping(file, c, what+" entry", valid); err != nil {
			return err
		}
	}
	return nil
}

// parseBufWorkYAML parses buf.work.yaml and returns its directories.
func parseBufWorkYAML(file string, data []byte) ([]item, error) {
	root, err := document(file, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty file: add \"version: v1\" and directories"}
	}
	top, err := mapping(file, root, "buf.work.yaml", bufWorkKeys)
	if err != nil {
		return nil, err
	}
	if _, _, err := fileVersion(file, top, []string{"v1"}, "v1"); err != nil {
		return nil, err
	}
	var dirs []item
	var dirsN *yaml.Node
	for _, p := range top {
		if p.key == "directories" {
			if dirs, err = stringList(file, p.value, "directories"); err != nil {
				return nil, err
			}
			dirsN = p.keyN
		}
	}
	if len(dirs) == 0 {
		pos := Pos{File: file, Line: 1, Col: 1}
		if dirsN != nil {
			pos = PosAt(file, dirsN)
		}
		return nil, &Error{Pos: pos, Msg: "directories is empty: list the module directories of the workspace"}
	}
	seen := map[string]bool{}
	out := make([]item, 0, len(dirs))
	for _, d := range dirs {
		p, err := cleanPath(d.value)
		if err != nil {
			return nil, &Error{Pos: d.pos, Msg: "directories: " + err.Error()}
		}
		if p == "." {
			return nil, &Error{Pos: d.pos, Msg: `directories: "." is not a workspace directory: remove buf.work.yaml or list subdirectories`}
		}
		if seen[p] {
			return nil, &Error{Pos: d.pos, Msg: fmt.Sprintf("directories: %q is listed twice", p)}
		}
		for _, o := range out {
			if within(o.value, p) || within(p, o.value) {
				return nil, &Error{Pos: d.pos, Msg: fmt.Sprintf("directories: %q overlaps %q: workspace directories must not contain each other", p, o.value)}
			}
		}
		seen[p] = true
		out = append(out, item{value: p, pos: d.pos})
	}
	return out, nil
}
