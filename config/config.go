// Package config reads the configuration files that shape an input:
// pbregistry.yaml (pbregistry's own), buf.yaml (versions v1beta1, v1 and
// v2) and buf.work.yaml (v1).
//
// Load reads the files found in one directory of an fs.FS — a directory on
// disk or a tree of a git commit — and merges them into a Config: the
// module roots with their excludes and their effective breaking sections,
// and, from pbregistry.yaml, the registry module name, the subjects and the
// raw policies. When pbregistry.yaml sits next to buf.yaml or
// buf.work.yaml it wins key by key: its roots (if set) replace buf's
// modules, its excludes replace buf's, and its breaking: section (if
// present) replaces buf's for every module.
//
// Every error is an *Error naming the file, line and column.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Names of buf's configuration files.
const (
	// BufYAML is buf's module or workspace configuration file.
	BufYAML = "buf.yaml"
	// BufWorkYAML is buf's v1 workspace file.
	BufWorkYAML = "buf.work.yaml"
)

// Config is the configuration found in one directory.
type Config struct {
	// Dir is the directory, in the fs.FS given to Load, holding the files.
	Dir string
	// Files lists the configuration files read, as display paths.
	Files []string
	// Name is the registry module name from pbregistry.yaml's module:.
	Name string
	// NamePos is where Name was written.
	NamePos Pos
	// Modules lists the module roots, each with its excludes and breaking
	// configuration. Never empty: without configuration it is one module
	// at ".".
	Modules []Module
	// Breaking is the top-level breaking section resolved at Dir: the
	// section of pbregistry.yaml, buf.yaml v1, or buf.yaml v2's top
	// level; nil when there is none. Inputs without modules of their own
	// (images) use it.
	Breaking *Breaking
	// Subjects are pbregistry.yaml's subjects.
	Subjects []Subject
	// Policies is pbregistry.yaml's policies: node, uninterpreted, with
	// its line numbers; nil when absent.
	Policies *yaml.Node
	// PoliciesFile is the display path of the file Policies was read from.
	PoliciesFile string
	// Lakehouse is pbregistry.yaml's lakehouse: section: the landing
	// tables the generated dbt project reads.
	Lakehouse Lakehouse
}

// Module is one module root of a Config.
type Module struct {
	// Dir is the root, relative to Config.Dir ("." for Config.Dir itself).
	// File paths in an image are relative to it.
	Dir string
	// Includes, when not empty, restricts the module to these
	// directories, relative to Dir (buf.yaml v2 includes).
	Includes []string
	// Excludes lists directories, relative to Dir, whose files are not
	// part of the module.
	Excludes []string
	// Breaking is the module's effective breaking configuration, with
	// paths relative to Dir. Never nil.
	Breaking *Breaking
	// Name is buf's module name (buf.yaml name:), if any.
	Name string
	// Pos is where the module was declared.
	Pos Pos
	// Source is the display path of the file that declared the module.
	Source string
}

// Contains reports whether the module-relative path p is part of the
// module according to its includes and excludes.
func (m *Module) Contains(p string) bool {
	for _, e := range m.Excludes {
		if within(e, p) {
			return false
		}
	}
	if len(m.Includes) == 0 {
		return true
	}
	for _, in := range m.Includes {
		if within(in, p) {
			return true
		}
	}
	return false
}

// Default returns the configuration of a directory without configuration
// files: one module at ".", buf's default breaking rules (v1, FILE).
func Default() *Config {
	return &Config{Dir: ".", Modules: []Module{{Dir: ".", Breaking: DefaultBreaking("v1")}}}
}

// Load reads the configuration files in directory dir of fsys. display is
// the name errors and positions use for dir ("" means dir itself), so that
// they can name files as the user sees them. It returns (nil, nil) when
// dir holds no configuration file.
func Load(fsys fs.FS, dir, display string) (*Config, error) {
	if dir == "" {
		dir = "."
	}
	if display == "" {
		display = dir
	}
	read := func(name string) ([]byte, string, error) {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", nil
		}
		shown := joinDisplay(display, name)
		if err != nil {
			return nil, shown, fmt.Errorf("read %s: %w", shown, err)
		}
		return data, shown, nil
	}
	pbrData, pbrFile, err := read(FileName)
	if err != nil {
		return nil, err
	}
	bufData, bufFile, err := read(BufYAML)
	if err != nil {
		return nil, err
	}
	workData, workFile, err := read(BufWorkYAML)
	if err != nil {
		return nil, err
	}
	if pbrData == nil && bufData == nil && workData == nil {
		return nil, nil
	}
	cfg := &Config{Dir: dir}
	var buf *bufYAML
	switch {
	case workData != nil:
		cfg.Files = append(cfg.Files, workFile)
		if bufData != nil {
			if v, err := parseBufYAML(bufFile, bufData); err != nil {
				return nil, err
			} else if v.version == "v2" {
				return nil, &Error{Pos: Pos{File: workFile, Line: 1, Col: 1}, Msg: "buf.work.yaml cannot be used with a v2 buf.yaml in the same directory: list the modules in buf.yaml and delete buf.work.yaml"}
			}
		}
		if buf, err = loadWorkspace(fsys, dir, display, workFile, workData, cfg); err != nil {
			return nil, err
		}
	case bufData != nil:
		cfg.Files = append(cfg.Files, bufFile)
		if buf, err = parseBufYAML(bufFile, bufData); err != nil {
			return nil, err
		}
	}
	var pbr *pbrYAML
	if pbrData != nil {
		cfg.Files = append(cfg.Files, pbrFile)
		if pbr, err = parsePBRegistryYAML(pbrFile, pbrData); err != nil {
			return nil, err
		}
	}
	if err := merge(cfg, buf, pbr, pbrFile); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse parses one configuration file's data, as given to --config: a
// pbregistry.yaml when name's base is pbregistry.yaml (or, for inline data
// with an empty name, when it has a top-level module, roots, excludes or
// subjects key), else a buf.yaml. name is used in positions; "" shows as
// "--config". buf.work.yaml cannot be parsed alone: it names directories.
func Parse(name string, data []byte) (*Config, error) {
	file := name
	if file == "" {
		file = "--config"
	}
	base := baseName(file)
	if base == BufWorkYAML {
		return nil, fmt.Errorf("%s: buf.work.yaml cannot be used as --config: give a buf.yaml or pbregistry.yaml", file)
	}
	isPBR := base == FileName || base == "pbregistry.yml"
	if !isPBR && name == "" {
		isPBR = looksLikePBRegistry(data)
	}
	cfg := &Config{Dir: ".", Files: []string{file}}
	if isPBR {
		pbr, err := parsePBRegistryYAML(file, data)
		if err != nil {
			return nil, err
		}
		return cfg, merge(cfg, nil, pbr, file)
	}
	buf, err := parseBufYAML(file, data)
	if err != nil {
		return nil, err
	}
	return cfg, merge(cfg, buf, nil, "")
}

func looksLikePBRegistry(data []byte) bool {
	root, err := document("", data)
	if err != nil || root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "module", "roots", "excludes", "subjects":
			return true
		}
	}
	return false
}

func joinDisplay(display, name string) string {
	if display == "." || display == "" {
		return name
	}
	return strings.TrimSuffix(display, "/") + "/" + name
}

// loadWorkspace reads buf.work.yaml and the v1 buf.yaml of each directory.
func loadWorkspace(fsys fs.FS, dir, display, workFile string, workData []byte, cfg *Config) (*bufYAML, error) {
	dirs, err := parseBufWorkYAML(workFile, workData)
	if err != nil {
		return nil, err
	}
	out := &bufYAML{version: "v1"}
	for _, d := range dirs {
		full := path.Join(dir, d.value)
		if st, err := fs.Stat(fsys, full); err != nil || !st.IsDir() {
			return nil, &Error{Pos: d.pos, Msg: fmt.Sprintf("directory %q does not exist: create it or remove it from directories", d.value)}
		}
		file := joinDisplay(joinDisplay(display, d.value), BufYAML)
		data, err := fs.ReadFile(fsys, path.Join(full, BufYAML))
		if errors.Is(err, fs.ErrNotExist) {
			out.modules = append(out.modules, Module{Dir: d.value, Breaking: DefaultBreaking("v1"), Pos: d.pos, Source: workFile})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		cfg.Files = append(cfg.Files, file)
		sub, err := parseBufYAML(file, data)
		if err != nil {
			return nil, err
		}
		if sub.version == "v2" {
			return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "a buf.work.yaml directory must have a v1 or v1beta1 buf.yaml: to use v2, list the directories as modules in a v2 buf.yaml and delete buf.work.yaml"}
		}
		for _, m := range sub.modules {
			m.Dir = path.Join(d.value, m.Dir)
			out.modules = append(out.modules, m)
		}
	}
	return out, nil
}

// merge fills cfg from buf (may be nil) and pbr (may be nil).
func merge(cfg *Config, buf *bufYAML, pbr *pbrYAML, pbrFile string) error {
	if buf != nil {
		cfg.Modules = buf.modules
		cfg.Breaking = buf.top
	}
	if pbr == nil {
		if len(cfg.Modules) == 0 {
			cfg.Modules = Default().Modules
		}
		return nil
	}
	cfg.Name, cfg.NamePos = pbr.name, pbr.namePos
	cfg.Subjects = pbr.subjects
	cfg.Policies = pbr.policies
	cfg.PoliciesFile = pbrFile
	if pbr.lakehouse != nil {
		lh, err := parseLakehouse(pbrFile, pbr.lakehouse, pbr.subjects)
		if err != nil {
			return err
		}
		cfg.Lakehouse = lh
	}
	bufVersion := "v2"
	var bufTop *rawBreaking
	if buf != nil {
		bufVersion = ruleVersion(buf.version)
		bufTop = buf.topRaw
	}
	// breakingAt returns the breaking configuration of a module at dir
	// that has no buf.yaml section of its own.
	breakingAt := func(dir string, own *Breaking) (*Breaking, error) {
		switch {
		case pbr.breaking != nil:
			return pbr.breaking.resolve(dir, false)
		case own != nil:
			return own, nil
		case bufTop != nil:
			return bufTop.resolve(dir, false)
		default:
			return DefaultBreaking(bufVersion), nil
		}
	}
	if pbr.breaking != nil {
		top, err := pbr.breaking.resolve(".", false)
		if err != nil {
			return err
		}
		cfg.Breaking = top
	}
	var err error
	if pbr.hasRoots {
		byDir := map[string]*Breaking{}
		for _, m := range cfg.Modules {
			byDir[m.Dir] = m.Breaking
		}
		cfg.Modules = nil
		seen := map[string]bool{}
		for _, r := range pbr.roots {
			p, err := cleanPath(r.value)
			if err != nil {
				return &Error{Pos: r.pos, Msg: "roots: " + err.Error()}
			}
			if seen[p] {
				return &Error{Pos: r.pos, Msg: fmt.Sprintf("roots: %q is listed twice", p)}
			}
			for _, o := range cfg.Modules {
				if within(o.Dir, p) || within(p, o.Dir) {
					return &Error{Pos: r.pos, Msg: fmt.Sprintf("roots: %q overlaps %q: roots must not contain each other", p, o.Dir)}
				}
			}
			seen[p] = true
			m := Module{Dir: p, Pos: r.pos, Source: pbrFile}
			if m.Breaking, err = breakingAt(p, byDir[p]); err != nil {
				return err
			}
			cfg.Modules = append(cfg.Modules, m)
		}
	} else {
		if len(cfg.Modules) == 0 {
			cfg.Modules = []Module{{Dir: ".", Pos: Pos{File: pbrFile, Line: 1, Col: 1}, Source: pbrFile}}
		}
		for i := range cfg.Modules {
			m := &cfg.Modules[i]
			own := m.Breaking
			if buf == nil {
				own = nil
			}
			if m.Breaking, err = breakingAt(m.Dir, own); err != nil {
				return err
			}
		}
	}
	if pbr.hasExcl || pbr.hasRoots {
		roots := make([]string, len(cfg.Modules))
		for i, m := range cfg.Modules {
			roots[i] = m.Dir
		}
		byRoot, err := assignExcludes(pbr.excludes, roots, "excludes")
		if err != nil {
			return err
		}
		for i := range cfg.Modules {
			cfg.Modules[i].Excludes = byRoot[cfg.Modules[i].Dir]
		}
	}
	return nil
}
