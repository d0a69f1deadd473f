package compat

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// pass runs the selected rules over the pairs of two indexed images and
// collects what they report.
type pass struct {
	prev, curr *schema
	sel        *selection
	// rule is the rule currently running; report attributes findings to it.
	rule     *rule
	findings []Finding
	// prevPackages and currPackages cache packagesOf for package rules.
	prevPackages, currPackages map[string]*packageContents
	// nestedByFile caches what each file declares, for deletion rules.
	nestedByFile map[protoreflect.FileDescriptor]nested
	// sourceIndexes caches the source locations of files by path.
	sourceIndexes map[protoreflect.FileDescriptor]map[string]int
}

// run pairs the elements of the two images and runs each rule on the pairs
// of its kind. When imports are excluded, pairs whose two sides are both in
// imports are skipped: every finding on them would be dropped anyway.
func (p *pass) run() {
	var global, files, messages, fields, enums, values, services, methods []*rule
	for _, r := range p.sel.rules {
		switch {
		case r.global != nil:
			global = append(global, r)
		case r.file != nil:
			files = append(files, r)
		case r.message != nil:
			messages = append(messages, r)
		case r.field != nil:
			fields = append(fields, r)
		case r.enum != nil:
			enums = append(enums, r)
		case r.enumValue != nil:
			values = append(values, r)
		case r.service != nil:
			services = append(services, r)
		case r.method != nil:
			methods = append(methods, r)
		}
	}
	for _, r := range global {
		p.rule = r
		r.global(p)
	}
	if len(files) > 0 {
		for _, pf := range p.prev.image.Files() {
			cf := p.curr.image.File(pf.Path())
			if cf == nil || (p.sel.excludeImports && pf.IsImport && cf.IsImport) {
				continue
			}
			for _, r := range files {
				p.rule = r
				r.file(p, pf.Descriptor, cf.Descriptor)
			}
		}
	}
	if len(messages) > 0 || len(fields) > 0 {
		for name, pm := range p.prev.messages {
			cm := p.curr.messages[name]
			if cm == nil || p.bothImports(pm, cm) {
				continue
			}
			for _, r := range messages {
				p.rule = r
				r.message(p, pm, cm)
			}
			if len(fields) == 0 {
				continue
			}
			pfs, cfs := pm.Fields(), cm.Fields()
			for i := 0; i < pfs.Len(); i++ {
				pfd := pfs.Get(i)
				cfd := cfs.ByNumber(pfd.Number())
				if cfd == nil {
					continue
				}
				for _, r := range fields {
					p.rule = r
					r.field(p, pfd, cfd)
				}
			}
		}
		if len(fields) > 0 {
			for extendee, prevByNumber := range p.prev.extensions {
				currByNumber := p.curr.extensions[extendee]
				for number, pfd := range prevByNumber {
					cfd := currByNumber[number]
					if cfd == nil || p.bothImports(pfd, cfd) {
						continue
					}
					for _, r := range fields {
						p.rule = r
						r.field(p, pfd, cfd)
					}
				}
			}
		}
	}
	if len(enums) > 0 || len(values) > 0 {
		for name, pe := range p.prev.enums {
			ce := p.curr.enums[name]
			if ce == nil || p.bothImports(pe, ce) {
				continue
			}
			for _, r := range enums {
				p.rule = r
				r.enum(p, pe, ce)
			}
			if len(values) == 0 {
				continue
			}
			prevGroups, currGroups := valuesByNumber(pe), valuesByNumber(ce)
			for number, pg := range prevGroups {
				cg, ok := currGroups[number]
				if !ok {
					continue
				}
				for _, r := range values {
					p.rule = r
					r.enumValue(p, pg, cg)
				}
			}
		}
	}
	if len(services) > 0 || len(methods) > 0 {
		for name, ps := range p.prev.services {
			cs := p.curr.services[name]
			if cs == nil || p.bothImports(ps, cs) {
				continue
			}
			for _, r := range services {
				p.rule = r
				r.service(p, ps, cs)
			}
			pms, cms := ps.Methods(), cs.Methods()
			for i := 0; i < pms.Len(); i++ {
				pmd := pms.Get(i)
				cmd := cms.ByName(pmd.Name())
				if cmd == nil {
					continue
				}
				for _, r := range methods {
					p.rule = r
					r.method(p, pmd, cmd)
				}
			}
		}
	}
}

// bothImports reports whether imports are excluded and both sides of a
// pair are in imports, so that every finding on the pair would be dropped.
func (p *pass) bothImports(prev, curr protoreflect.Descriptor) bool {
	return p.sel.excludeImports && p.prev.isImport(prev) && p.curr.isImport(curr)
}

// at designates a place for a finding: a source path in a file. A zero at
// has no file; a nil path designates the whole file. desc, when set, is the
// descriptor the path starts from (the path may add a sub-path of it).
type at struct {
	file protoreflect.FileDescriptor
	path protoreflect.SourcePath
	desc protoreflect.Descriptor
	sub  []int32
}

// atFile designates the whole file.
func atFile(fd protoreflect.FileDescriptor) at { return at{file: fd} }

// atDesc designates descriptor d, or a sub-path of it (e.g. fieldTypeTag).
func atDesc(d protoreflect.Descriptor, sub ...int32) at {
	return at{file: d.ParentFile(), path: sourcePath(d, sub...), desc: d, sub: sub}
}

// report records a finding of the running rule unless a filter drops it.
// dirs must be non-zero for rules that protect a direction; element is the
// full name of what the finding is about.
func (p *pass) report(curr, prev at, dirs Direction, element protoreflect.FullName, format string, args ...any) {
	f := Finding{
		Rule:       p.rule.id,
		Location:   p.locate(curr),
		Previous:   p.locate(prev),
		Message:    fmt.Sprintf(format, args...),
		Directions: dirs,
		Element:    string(element),
	}
	if p.dropped(f, curr, prev) {
		return
	}
	p.findings = append(p.findings, f)
}

// dropped reports whether a filter drops f: imports, ignored paths,
// unstable packages, or a direction the level does not protect.
func (p *pass) dropped(f Finding, curr, prev at) bool {
	if !p.sel.keepAll && f.Directions&p.sel.directions == 0 {
		return true
	}
	for i, a := range [2]at{curr, prev} {
		if a.file == nil {
			continue
		}
		s := p.curr
		if i == 1 {
			s = p.prev
		}
		filePath := a.file.Path()
		if p.sel.excludeImports && s.imports[filePath] {
			return true
		}
		if pathCovered(filePath, p.sel.ignore) {
			return true
		}
		if roots := p.sel.ignoreOnly[f.Rule]; roots != nil && pathCovered(filePath, roots) {
			return true
		}
		if p.sel.ignoreUnstablePackages && isUnstablePackage(string(a.file.Package())) {
			return true
		}
	}
	return false
}

// locate turns an at into a Location with 1-based positions. A whole-file
// location, or one whose source path has no source info, is 1:1.
func (p *pass) locate(a at) Location {
	if a.file == nil {
		return Location{}
	}
	loc := Location{Path: a.file.Path(), StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1}
	sl, ok := p.sourceLocation(a)
	if !ok {
		return loc
	}
	loc.StartLine, loc.StartColumn = sl.StartLine+1, sl.StartColumn+1
	loc.EndLine, loc.EndColumn = sl.EndLine+1, sl.EndColumn+1
	return loc
}

// sourceLocation finds the source info of a. Compilers write no source
// info for the messages they synthesize for map fields: their locations
// (and their fields' name, type and whole-field locations) fall back to the
// type of the map field, `map<K, V>`.
func (p *pass) sourceLocation(a at) (protoreflect.SourceLocation, bool) {
	if a.path == nil {
		return protoreflect.SourceLocation{}, false
	}
	if sl, ok := p.byPath(a.file, a.path); ok {
		return sl, true
	}
	if mapField := mapFieldOf(a); mapField != nil && p.hasSourceInfo(a.file) {
		return p.byPath(a.file, sourcePath(mapField, fieldTypeNameTag))
	}
	return protoreflect.SourceLocation{}, false
}

// mapFieldOf returns the map field whose synthesized entry a designates
// (the entry, or its fields' name or type), or nil.
func mapFieldOf(a at) protoreflect.FieldDescriptor {
	var entry protoreflect.MessageDescriptor
	switch d := a.desc.(type) {
	case protoreflect.MessageDescriptor:
		if len(a.sub) == 0 || (len(a.sub) == 1 && a.sub[0] == fieldNameTag) {
			entry = d
		}
	case protoreflect.FieldDescriptor:
		if len(a.sub) == 0 || (len(a.sub) == 1 && (a.sub[0] == fieldNameTag || a.sub[0] == fieldTypeTag || a.sub[0] == fieldTypeNameTag)) {
			entry, _ = d.Parent().(protoreflect.MessageDescriptor)
		}
	}
	if entry == nil || !entry.IsMapEntry() {
		return nil
	}
	parent, ok := entry.Parent().(protoreflect.MessageDescriptor)
	if !ok {
		return nil
	}
	fields := parent.Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.IsMap() && fd.Message().FullName() == entry.FullName() {
			return fd
		}
	}
	return nil
}

// byPath looks a path up in a file's source info; when several locations
// share a path, the first one wins.
func (p *pass) byPath(fd protoreflect.FileDescriptor, path protoreflect.SourcePath) (protoreflect.SourceLocation, bool) {
	index := p.sourceIndex(fd)
	i, ok := index[pathKey(path)]
	if !ok {
		return protoreflect.SourceLocation{}, false
	}
	return fd.SourceLocations().Get(i), true
}

func (p *pass) hasSourceInfo(fd protoreflect.FileDescriptor) bool {
	return len(p.sourceIndex(fd)) > 0
}

// sourceIndex indexes a file's source locations by path, once per pass.
func (p *pass) sourceIndex(fd protoreflect.FileDescriptor) map[string]int {
	if index, ok := p.sourceIndexes[fd]; ok {
		return index
	}
	locs := fd.SourceLocations()
	index := make(map[string]int, locs.Len())
	for i := 0; i < locs.Len(); i++ {
		key := pathKey(locs.Get(i).Path)
		if _, dup := index[key]; !dup {
			index[key] = i
		}
	}
	if p.sourceIndexes == nil {
		p.sourceIndexes = make(map[protoreflect.FileDescriptor]map[string]int)
	}
	p.sourceIndexes[fd] = index
	return index
}

// pathKey encodes a source path as a map key.
func pathKey(path protoreflect.SourcePath) string {
	b := make([]byte, 0, 4*len(path))
	for _, e := range path {
		b = append(b, byte(e), byte(e>>8), byte(e>>16), byte(e>>24))
	}
	return string(b)
}

// isUnstablePackage reports whether the last component of pkg is an
// unstable version: vNalphaM, vNbetaM, vNpPalphaM, vNpPbetaM or vNtest….
func isUnstablePackage(pkg string) bool {
	i := strings.LastIndexByte(pkg, '.')
	if i < 0 {
		return false
	}
	v, ok := strings.CutPrefix(pkg[i+1:], "v")
	if !ok || v == "" {
		return false
	}
	if major, _, ok := strings.Cut(v, "test"); ok {
		return isVersionNumber(major)
	}
	for _, level := range []string{"alpha", "beta"} {
		head, minor, ok := strings.Cut(v, level)
		if !ok {
			continue
		}
		if minor != "" && !isVersionNumber(minor) {
			return false
		}
		major, patch, hasPatch := strings.Cut(head, "p")
		return isVersionNumber(major) && (!hasPatch || isVersionNumber(patch))
	}
	return false
}

// isVersionNumber reports whether s is a decimal of at least 1 that fits in
// 32 bits, as buf reads version numbers (leading zeros allowed: v01beta1 is
// unstable).
func isVersionNumber(s string) bool {
	n, err := strconv.ParseInt(s, 10, 32)
	return err == nil && n >= 1
}
