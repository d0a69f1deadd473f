package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Config is what a generation run is asked for.
type Config struct {
	// Files is the number of .proto files of the previous module.
	Files int
	// Seed makes the output deterministic: same seed, same bytes.
	Seed uint64
}

// fileKind says what role a file plays in its package.
type fileKind int

const (
	kindEntity fileKind = iota
	kindEvents
	kindService
	kindFoundation
	kindOptions
)

// Corpus is the model of one module: its files in topological order and the
// external (well-known) files they reference.
type Corpus struct {
	Files   []*File
	Options *File // acme/options/v1/annotations.proto, the custom options

	wkt      map[string]*Message // well-known messages by simple name
	wktFiles []*File
	kinds    map[*File]fileKind
	names    map[string]map[string]bool // package -> names of types and extensions
	pkgs     []*pkgInfo
}

// pkgInfo is a package of the corpus and what the generator knows about it.
type pkgInfo struct {
	name, dir, domain, area, version string
	legacy                           bool // a proto2-era package
	nFiles                           int
	files                            []*File
	entities                         []*Message // main message of each entity file
}

// builder generates a Corpus from a Config.
type builder struct {
	r        *rand.Rand
	c        *Corpus
	cfg      Config
	ofDom    map[string][]*File  // importable files per domain, in order
	global   []*File             // importable files, in order
	upstream map[string][]string // the earlier domains a domain depends on
	domOrder []string            // business domains in the order generated
	editions int                 // number of editions files so far
}

// fileCtx is the state of the file being generated: the types it may use.
type fileCtx struct {
	f           *File
	p           *pkgInfo
	localMsgs   []*Message
	localEnums  []*Enum
	importMsgs  []*Message
	importEnums []*Enum
	chosen      []*File
	used        map[*File]bool
	custom      bool // the file uses the custom options
}

// Build generates the corpus for cfg. Calling it twice with the same cfg
// yields two identical, independent models.
func Build(cfg Config) *Corpus {
	b := &builder{
		r:        rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		cfg:      cfg,
		ofDom:    map[string][]*File{},
		upstream: map[string][]string{},
		c: &Corpus{
			wkt:   map[string]*Message{},
			kinds: map[*File]fileKind{},
			names: map[string]map[string]bool{},
		},
	}
	b.wellKnown()
	b.optionsFile()
	b.plan()
	for _, p := range b.c.pkgs {
		b.genPackage(p)
	}
	for i, f := range b.c.Files {
		f.Index = i
	}
	return b.c
}

// --- randomness helpers -------------------------------------------------------

func (b *builder) intn(n int) int { return b.r.IntN(n) }

func (b *builder) chance(p float64) bool { return b.r.Float64() < p }

// between returns an int in [lo, hi].
func (b *builder) between(lo, hi int) int { return lo + b.r.IntN(hi-lo+1) }

// skewed returns an int in [lo, hi] biased towards lo.
func (b *builder) skewed(lo, hi int) int {
	u := b.r.Float64()
	return lo + int(float64(hi-lo+1)*u*u)
}

func pick[T any](b *builder, xs []T) T { return xs[b.r.IntN(len(xs))] }

// --- well-known files and custom options ----------------------------------------

func (b *builder) wellKnown() {
	add := func(path string, names ...string) {
		f := &File{Path: path, Package: "google.protobuf", Syntax: Proto3, External: true}
		for _, n := range names {
			m := &Message{Name: n, File: f}
			f.Messages = append(f.Messages, m)
			b.c.wkt[n] = m
		}
		b.c.wktFiles = append(b.c.wktFiles, f)
	}
	add("google/protobuf/timestamp.proto", "Timestamp")
	add("google/protobuf/duration.proto", "Duration")
	add("google/protobuf/struct.proto", "Struct", "Value", "ListValue")
	add("google/protobuf/any.proto", "Any")
	add("google/protobuf/field_mask.proto", "FieldMask")
	add("google/protobuf/empty.proto", "Empty")
	add("google/protobuf/wrappers.proto", "StringValue", "Int64Value", "Int32Value", "BoolValue", "DoubleValue", "BytesValue", "UInt64Value", "FloatValue")
	add("google/protobuf/descriptor.proto", "FileOptions", "MessageOptions", "FieldOptions", "ServiceOptions", "MethodOptions", "EnumOptions")
}

// optionsFile creates acme/options/v1/annotations.proto, the shared custom
// options used across the corpus.
func (b *builder) optionsFile() {
	f := &File{
		Path: "acme/options/v1/annotations.proto", Package: "acme.options.v1", Syntax: Proto2,
		Header: "// Custom options shared by every Acme API. Owned by the API platform team.",
	}
	f.Options = []Option{
		{"go_package", `"github.com/acme/apis/gen/go/acme/options/v1;optionsv1"`},
		{"java_multiple_files", "true"},
		{"java_package", `"com.acme.options.v1"`},
	}
	rules := &Message{Name: "FieldRules", File: f, Comment: "FieldRules constrains the values a field accepts.", names: map[string]bool{}}
	rules.Fields = []*Field{
		{Name: "max_len", Number: 1, Label: Explicit, Scalar: "int32", Parent: rules},
		{Name: "min_len", Number: 2, Label: Explicit, Scalar: "int32", Parent: rules},
		{Name: "pattern", Number: 3, Label: Explicit, Scalar: "string", Parent: rules},
		{Name: "not_empty", Number: 4, Label: Explicit, Scalar: "bool", Parent: rules},
	}
	auth := &Message{Name: "AuthRequirement", File: f, Comment: "AuthRequirement says who may call a method.", names: map[string]bool{}}
	auth.Fields = []*Field{
		{Name: "scope", Number: 1, Label: Explicit, Scalar: "string", Parent: auth},
		{Name: "allow_anonymous", Number: 2, Label: Explicit, Scalar: "bool", Parent: auth},
	}
	f.Messages = []*Message{rules, auth}
	ext := func(extendee string, fields ...*Field) {
		f.Extends = append(f.Extends, &Extend{Extendee: b.c.wkt[extendee], Fields: fields})
	}
	ext("FileOptions", &Field{Name: "owner_team", Number: 51000, Label: Explicit, Scalar: "string", Comment: "The team that owns the file."})
	ext("MessageOptions",
		&Field{Name: "table_name", Number: 51100, Label: Explicit, Scalar: "string", Comment: "The database table that stores this message."},
		&Field{Name: "event_name", Number: 51101, Label: Explicit, Scalar: "string"},
		&Field{Name: "retention_days", Number: 51102, Label: Explicit, Scalar: "int32"})
	ext("FieldOptions",
		&Field{Name: "sensitive", Number: 51200, Label: Explicit, Scalar: "bool", Comment: "Sensitive fields are redacted in logs."},
		&Field{Name: "pii_kind", Number: 51201, Label: Explicit, Scalar: "string"},
		&Field{Name: "rules", Number: 51202, Label: Explicit, Msg: rules})
	ext("ServiceOptions", &Field{Name: "service_owner", Number: 51300, Label: Explicit, Scalar: "string"})
	ext("MethodOptions", &Field{Name: "auth", Number: 51400, Label: Explicit, Msg: auth})
	b.c.Options = f
	b.c.kinds[f] = kindOptions
	b.c.Files = append(b.c.Files, f)
}

// --- planning -------------------------------------------------------------------

// plan decides the packages and how many files each one gets.
func (b *builder) plan() {
	total := b.cfg.Files - 1 // the options file
	if total < 4 {
		total = 4
	}
	found := []*pkgInfo{
		{name: "acme.type.v1", dir: "acme/type/v1", domain: "type", area: "type", version: "v1"},
		{name: "acme.common.v1", dir: "acme/common/v1", domain: "common", area: "common", version: "v1"},
	}
	nFound := min(20, max(2, total/50))
	found[0].nFiles = (nFound + 1) / 2
	found[1].nFiles = nFound / 2
	rest := total - nFound

	var pkgs []*pkgInfo
	for _, d := range domains {
		for _, a := range d.areas {
			var versions []string
			if b.chance(0.12) {
				versions = append(versions, "v1beta1")
			}
			versions = append(versions, "v1")
			if b.chance(0.2) {
				versions = append(versions, "v2")
			}
			legacy := b.chance(0.08)
			for _, v := range versions {
				pkgs = append(pkgs, &pkgInfo{
					name:   fmt.Sprintf("acme.%s.%s.%s", d.name, a, v),
					dir:    fmt.Sprintf("acme/%s/%s/%s", d.name, a, v),
					domain: d.name, area: a, version: v,
					legacy: legacy && v != "v2",
				})
			}
		}
	}
	// Small corpora keep fewer packages (about 6 files each), spread over domains.
	if want := max(1, rest/6); want < len(pkgs) {
		keep := make([]bool, len(pkgs))
		for i, n := 0, 0; n < want; i++ {
			j := (i*7919 + int(b.cfg.Seed)) % len(pkgs)
			for keep[j] {
				j = (j + 1) % len(pkgs)
			}
			keep[j] = true
			n++
		}
		var kept []*pkgInfo
		for i, p := range pkgs {
			if keep[i] {
				kept = append(kept, p)
			}
		}
		pkgs = kept
	}
	// Share the files out with some spread: big packages and small ones.
	weights := make([]float64, len(pkgs))
	sum := 0.0
	for i := range pkgs {
		weights[i] = 0.4 + 1.6*b.r.Float64()
		sum += weights[i]
	}
	assigned := 0
	for i, p := range pkgs {
		p.nFiles = max(1, int(float64(rest)*weights[i]/sum))
		assigned += p.nFiles
	}
	for i := 0; assigned < rest; i = (i + 1) % len(pkgs) {
		pkgs[i].nFiles++
		assigned++
	}
	for i := len(pkgs) - 1; assigned > rest && i >= 0; i-- {
		if pkgs[i].nFiles > 1 {
			pkgs[i].nFiles--
			assigned--
			i++
		}
	}
	b.c.pkgs = append(found, pkgs...)
}

// --- packages and files ---------------------------------------------------------

var foundationEntities = map[string][]string{
	"acme.type.v1":   {"Money", "PostalAddress", "PhoneNumber", "Date", "LatLng", "Interval", "Decimal", "LocalizedText", "TimeOfDay", "Color", "Quantity", "Percentage"},
	"acme.common.v1": {"AuditInfo", "ResourceRef", "ErrorDetail", "PageInfo", "Operation", "Actor", "Attribution", "Checksum", "Tenant", "Label"},
}

func (b *builder) genPackage(p *pkgInfo) {
	used := map[string]bool{}
	entityName := func(i int) string {
		if names, ok := foundationEntities[p.name]; ok && i < len(names) {
			return names[i]
		}
		base := pascal(p.area)
		if i == 0 {
			return base
		}
		for {
			n := pick(b, entityNouns)
			cand := base + n
			if b.chance(0.3) {
				cand = pascal(p.area) + pick(b, entityNouns) + n
			}
			if !used[cand] && !b.taken(p.name, cand) {
				return cand
			}
		}
	}
	kinds := make([]fileKind, p.nFiles)
	for i := range kinds {
		kinds[i] = kindEntity
	}
	if p.domain == "type" || p.domain == "common" {
		for i := range kinds {
			kinds[i] = kindFoundation
		}
	} else {
		switch {
		case p.nFiles >= 14:
			kinds[p.nFiles-1], kinds[p.nFiles-2], kinds[p.nFiles-3] = kindService, kindService, kindEvents
		case p.nFiles >= 3:
			kinds[p.nFiles-1], kinds[p.nFiles-2] = kindService, kindEvents
		case p.nFiles == 2:
			kinds[1] = kindService
		}
	}
	nService := 0
	for i, k := range kinds {
		syntax := Proto3
		switch {
		case p.legacy && b.chance(0.9) && k != kindService:
			syntax = Proto2
		case k == kindEntity && b.chance(0.03):
			syntax = Proto2
		case k == kindEntity && b.editions*80 < len(b.c.Files)+240 && b.chance(0.25):
			// About 1.2% of the files, and a few even in small corpora.
			syntax = Edition2023
			b.editions++
		}
		var f *File
		switch k {
		case kindEntity, kindFoundation:
			name := entityName(i)
			used[name] = true
			f = b.entityFile(p, name, syntax, k)
		case kindEvents:
			f = b.eventsFile(p, syntax)
		case kindService:
			f = b.serviceFile(p, nService)
			nService++
		}
		b.c.kinds[f] = k
		b.c.Files = append(b.c.Files, f)
		p.files = append(p.files, f)
		if k == kindEntity || k == kindFoundation {
			b.global = append(b.global, f)
			b.ofDom[p.domain] = append(b.ofDom[p.domain], f)
		}
	}
}

func (b *builder) newFile(p *pkgInfo, base string, syntax Syntax) *File {
	path := p.dir + "/" + base + ".proto"
	for i := 2; b.pathTaken(p, path); i++ {
		path = fmt.Sprintf("%s/%s_%d.proto", p.dir, base, i)
	}
	f := &File{Path: path, Package: p.name, Syntax: syntax, Domain: p.domain}
	f.Header = fmt.Sprintf("// Owners: @acme/%s-%s\n// Generated corpus file; do not edit by hand.", p.domain, strings.ReplaceAll(p.area, "_", "-"))
	if syntax == Edition2023 {
		f.ImplicitPresence = b.chance(0.3)
		f.ClosedEnums = b.chance(0.3)
		f.ExpandedRepeated = b.chance(0.2)
	}
	b.fileOptions(f, p, strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".proto"))
	return f
}

func (b *builder) pathTaken(p *pkgInfo, path string) bool {
	for _, f := range p.files {
		if f.Path == path {
			return true
		}
	}
	return false
}

// fileOptions sets the language options a real build system would set.
func (b *builder) fileOptions(f *File, p *pkgInfo, base string) {
	parts := strings.Split(p.name, ".")
	var pasc, upper []string
	for _, s := range parts {
		pasc = append(pasc, pascal(s))
		upper = append(upper, strings.ToUpper(s[:1]))
	}
	prefix := strings.Join(upper[:min(3, len(upper))], "")
	if len(prefix) < 3 {
		prefix += "X"
	}
	var o []Option
	if b.chance(0.6) {
		o = append(o, Option{"csharp_namespace", fmt.Sprintf("%q", strings.Join(pasc, "."))})
	}
	if b.chance(0.1) {
		o = append(o, Option{"cc_enable_arenas", "true"})
	}
	if b.chance(0.97) {
		o = append(o, Option{"go_package", fmt.Sprintf(`"github.com/acme/apis/gen/go/%s;%s%s"`, p.dir, strings.ReplaceAll(p.area, "_", ""), p.version)})
	}
	java := b.chance(0.8)
	if java {
		o = append(o, Option{"java_multiple_files", "true"})
		o = append(o, Option{"java_outer_classname", fmt.Sprintf("%q", pascal(base)+"Proto")})
		o = append(o, Option{"java_package", fmt.Sprintf("%q", "com."+p.name)})
	}
	if b.chance(0.03) {
		o = append(o, Option{"java_generic_services", "false"})
	}
	if b.chance(0.4) {
		o = append(o, Option{"objc_class_prefix", fmt.Sprintf("%q", prefix)})
	}
	if b.chance(0.05) {
		o = append(o, Option{"optimize_for", pick(b, []string{"SPEED", "CODE_SIZE"})})
	}
	php := b.chance(0.4)
	if php {
		o = append(o, Option{"php_namespace", fmt.Sprintf("%q", strings.Join(pasc, `\`))})
		if b.chance(0.1) {
			o = append(o, Option{"php_metadata_namespace", fmt.Sprintf("%q", strings.Join(pasc, `\`)+`\GPBMetadata`)})
		}
	}
	if b.chance(0.03) {
		o = append(o, Option{"py_generic_services", "false"})
	}
	if b.chance(0.4) {
		o = append(o, Option{"ruby_package", fmt.Sprintf("%q", strings.Join(pasc, "::"))})
	}
	if b.chance(0.15) {
		o = append(o, Option{"swift_prefix", fmt.Sprintf("%q", prefix)})
	}
	f.Options = o
}

// coreDomains is how many business domains, the first generated, are core
// domains that other domains build on.
const coreDomains = 8

// upstreamOf returns the business domains that domain may import from. Real
// systems are layered, which keeps the package import graph sparse: the
// first coreDomains domains (identity, accounts, catalog …) use only the
// shared type and common packages; every later domain also depends on up to
// two core domains, drawn once.
func (b *builder) upstreamOf(domain string) []string {
	if domain == "type" || domain == "common" {
		return nil
	}
	if ups, ok := b.upstream[domain]; ok {
		return ups
	}
	var ups []string
	if n := len(b.domOrder); n >= coreDomains {
		for _, i := range b.r.Perm(coreDomains)[:2] {
			ups = append(ups, b.domOrder[i])
		}
	}
	b.upstream[domain] = ups
	b.domOrder = append(b.domOrder, domain)
	return ups
}

// chooseImports picks 1–maxN earlier files the new file may reference.
func (b *builder) chooseImports(f *File, p *pkgInfo, maxN int) *fileCtx {
	ctx := &fileCtx{f: f, p: p, used: map[*File]bool{}}
	var samePkg []*File
	for _, g := range p.files {
		if k := b.c.kinds[g]; k == kindEntity || k == kindFoundation {
			samePkg = append(samePkg, g)
		}
	}
	var sameDom []*File
	for _, g := range b.ofDom[p.domain] {
		if g.Package != p.name {
			sameDom = append(sameDom, g)
		}
	}
	var foundation []*File
	for _, g := range b.global {
		if b.c.kinds[g] == kindFoundation && g.Package != p.name {
			foundation = append(foundation, g)
		}
	}
	var otherDom []*File
	for _, d := range b.upstreamOf(p.domain) {
		otherDom = append(otherDom, b.ofDom[d]...)
	}
	n := b.skewed(1, maxN)
	seen := map[*File]bool{}
	for tries := 0; len(ctx.chosen) < n && tries < 40; tries++ {
		var from []*File
		switch w := b.intn(100); {
		case w < 45:
			from = samePkg
		case w < 70:
			from = sameDom
		case w < 85:
			from = foundation
		default:
			from = otherDom
		}
		if len(from) == 0 {
			continue
		}
		g := pick(b, from)
		if seen[g] || g == f {
			continue
		}
		seen[g] = true
		ctx.chosen = append(ctx.chosen, g)
	}
	for _, g := range ctx.chosen {
		for _, m := range g.Messages {
			ctx.importMsgs = append(ctx.importMsgs, m)
		}
		for _, e := range g.Enums {
			if b.enumUsableFrom(e, f) {
				ctx.importEnums = append(ctx.importEnums, e)
			}
		}
	}
	ctx.custom = b.chance(0.3)
	return ctx
}

// enumUsableFrom reports whether a field of file f may have type e.
func (b *builder) enumUsableFrom(e *Enum, f *File) bool {
	switch f.Syntax {
	case Proto3:
		return !e.Closed()
	case Proto2:
		return e.File.Syntax == Proto2 || e.File == f
	}
	return e.File.Syntax != Proto2
}

// taken reports whether a type or extension name is used in the package.
func (b *builder) taken(pkg, name string) bool { return b.c.names[pkg][name] }

// claim reserves a type or extension name in the package.
func (b *builder) claim(pkg, name string) {
	if b.c.names[pkg] == nil {
		b.c.names[pkg] = map[string]bool{}
	}
	b.c.names[pkg][name] = true
}

// uniqueType returns name, or a variant of it, not used in the package, and claims it.
func (b *builder) uniqueType(pkg, name string) string {
	cand := name
	for i := 0; b.taken(pkg, cand); i++ {
		if i < len(entityNouns) {
			cand = name + entityNouns[(i*7+len(name))%len(entityNouns)]
		} else {
			cand = fmt.Sprintf("%s%d", name, i)
		}
	}
	b.claim(pkg, cand)
	return cand
}

// entityFile generates a file around one entity: its message, supporting
// messages, enums and, for proto2/editions, extensions.
func (b *builder) entityFile(p *pkgInfo, entity string, syntax Syntax, k fileKind) *File {
	f := b.newFile(p, snake(entity), syntax)
	ctx := b.chooseImports(f, p, 7) // 8 with the custom options
	b.claim(p.name, entity)

	for i, n := 0, b.skewed(0, 3); i < n; i++ {
		e := b.newEnum(ctx, nil, entity+pick(b, enumNouns))
		f.Enums = append(f.Enums, e)
	}
	main := b.newMessage(ctx, nil, entity)
	msgs := []*Message{main}
	for i, n := 0, b.skewed(0, 3); i < n; i++ {
		msgs = append(msgs, b.newMessage(ctx, nil, b.uniqueType(p.name, entity+pick(b, entityNouns))))
	}
	f.Messages = msgs
	lo, hi := 8, 40
	if k == kindFoundation {
		lo, hi = 5, 12
	}
	b.fillMessage(ctx, main, b.skewed(lo, hi), 0)
	for _, m := range msgs[1:] {
		b.fillMessage(ctx, m, b.skewed(5, 16), 0)
	}
	if ctx.custom && b.chance(0.5) {
		main.Options = append(main.Options, Option{"(acme.options.v1.table_name)", fmt.Sprintf("%q", plural(snake(entity)))})
	}
	if syntax != Proto3 && b.chance(0.3) {
		b.addExtend(ctx)
	}
	b.useAllImports(ctx, main)
	if ctx.custom && b.chance(0.2) {
		f.Options = append(f.Options, Option{"(acme.options.v1.owner_team)", fmt.Sprintf(`"%s-team"`, p.domain)})
	}
	p.entities = append(p.entities, main)
	return f
}

// eventsFile generates the domain events of a package with an envelope.
func (b *builder) eventsFile(p *pkgInfo, syntax Syntax) *File {
	f := b.newFile(p, p.area+"_events", syntax)
	ctx := b.chooseImports(f, p, 4) // plus up to 3 entity files and the options
	for _, e := range p.entities[:min(3, len(p.entities))] {
		ctx.chosen = append(ctx.chosen, e.File)
	}
	envelope := b.newMessage(ctx, nil, b.uniqueType(p.name, pascal(p.area)+"Event"))
	envelope.Comment = envelope.Name + " is the envelope published on the " + p.name + " topic."
	var events []*Message
	for _, e := range p.entities[:min(3, len(p.entities))] {
		for _, verb := range []string{"Created", "Updated", "Deleted"} {
			m := b.newMessage(ctx, nil, b.uniqueType(p.name, e.Name+verb))
			m.Comment = fmt.Sprintf("%s is published when a %s is %s.", m.Name, snake(e.Name), strings.ToLower(verb))
			b.addField(ctx, m, &Field{Name: "event_id", Label: b.singular(f), Scalar: "string"})
			b.addField(ctx, m, &Field{Name: "occur_time", Label: Explicit, Msg: b.c.wkt["Timestamp"]})
			ctx.used[b.c.wkt["Timestamp"].File] = true
			b.addField(ctx, m, &Field{Name: snake(e.Name), Label: Explicit, Msg: e})
			ctx.used[e.File] = true
			b.addField(ctx, m, &Field{Name: "actor", Label: b.singular(f), Scalar: "string"})
			b.fillMessage(ctx, m, b.skewed(1, 6), 2)
			if ctx.custom && b.chance(0.5) {
				m.Options = append(m.Options, Option{"(acme.options.v1.event_name)", fmt.Sprintf("%q", p.name+"."+snake(m.Name))})
			}
			events = append(events, m)
		}
	}
	f.Messages = append([]*Message{envelope}, events...)
	b.addField(ctx, envelope, &Field{Name: "event_id", Label: b.singular(f), Scalar: "string"})
	b.addField(ctx, envelope, &Field{Name: "publish_time", Label: Explicit, Msg: b.c.wkt["Timestamp"]})
	oo := &Oneof{Name: "payload", Comment: "The event; exactly one is set."}
	envelope.Oneofs = append(envelope.Oneofs, oo)
	envelope.names["payload"] = true
	for _, m := range events {
		b.addField(ctx, envelope, &Field{Name: snake(m.Name), Msg: m, Oneof: oo})
	}
	b.fillMessage(ctx, envelope, b.skewed(1, 5), 2)
	b.useAllImports(ctx, envelope)
	return f
}

// serviceFile generates a service with its request and response messages.
func (b *builder) serviceFile(p *pkgInfo, nth int) *File {
	base := p.area + "_service"
	svcName := pascal(p.area) + "Service"
	if nth > 0 {
		base, svcName = p.area+"_admin_service", pascal(p.area)+"AdminService"
	}
	f := b.newFile(p, base, Proto3)
	if p.legacy {
		f.Syntax = Proto2
	}
	f.ServiceFirst = true
	ctx := &fileCtx{f: f, p: p, used: map[*File]bool{}, custom: b.chance(0.3)}
	for _, e := range p.entities[:min(6, len(p.entities))] {
		ctx.chosen = append(ctx.chosen, e.File)
		ctx.importMsgs = append(ctx.importMsgs, e)
	}
	svc := &Service{Name: b.uniqueType(p.name, svcName)}
	svc.Comment = fmt.Sprintf("%s manages the resources of %s.", svc.Name, p.name)
	if ctx.custom && b.chance(0.5) {
		svc.Options = append(svc.Options, Option{"(acme.options.v1.service_owner)", fmt.Sprintf(`"%s-oncall"`, p.domain)})
	}
	if b.chance(0.03) {
		svc.Options = append(svc.Options, Option{"deprecated", "true"})
	}
	f.Services = []*Service{svc}
	nRPC := b.between(1, 10)
	verbs := b.r.Perm(len(rpcVerbs))
	entities := p.entities
	if len(entities) == 0 {
		entities = []*Message{b.c.wkt["Struct"]}
	}
	for i := 0; i < nRPC; i++ {
		verb := rpcVerbs[verbs[i%len(verbs)]]
		ent := entities[i%min(6, len(entities))]
		noun := ent.Name
		if verb == "List" || verb == "Search" || verb == "BatchGet" || verb == "Export" || verb == "Import" || verb == "Watch" || verb == "Sync" || verb == "Count" {
			noun = plural(ent.Name)
		}
		name := verb + noun
		for _, prefix := range []string{"Admin", "Internal", "Legacy"} {
			if !b.taken(p.name, name+"Request") && !b.taken(p.name, name+"Response") {
				break
			}
			name = prefix + verb + noun
		}
		if b.taken(p.name, name+"Request") || b.taken(p.name, name+"Response") {
			continue
		}
		req := b.newMessage(ctx, nil, b.uniqueType(p.name, name+"Request"))
		req.Comment = fmt.Sprintf("%s is the request of %s.%s.", req.Name, svc.Name, name)
		resp := b.newMessage(ctx, nil, b.uniqueType(p.name, name+"Response"))
		resp.Comment = fmt.Sprintf("%s is the response of %s.%s.", resp.Name, svc.Name, name)
		b.requestFields(ctx, req, verb, ent)
		b.responseFields(ctx, resp, verb, ent)
		f.Messages = append(f.Messages, req, resp)
		m := &Method{Name: name, Input: req, Output: resp}
		m.Comment = fmt.Sprintf("%s %s.", name, strings.ToLower(verb)+"s "+snake(noun))
		switch verb {
		case "Watch", "Export":
			m.ServerStreaming = true
		case "Import":
			m.ClientStreaming = true
		case "Sync":
			m.ClientStreaming, m.ServerStreaming = true, true
		case "Delete", "Archive":
			if b.chance(0.5) {
				m.Output = b.c.wkt["Empty"]
				resp.Comment = resp.Name + " is reserved for future use."
			}
		}
		switch verb {
		case "Get", "List", "Search", "Count", "BatchGet":
			if b.chance(0.6) {
				m.Options = append(m.Options, Option{"idempotency_level", "NO_SIDE_EFFECTS"})
			}
		case "Delete", "Update":
			if b.chance(0.3) {
				m.Options = append(m.Options, Option{"idempotency_level", "IDEMPOTENT"})
			}
		}
		if ctx.custom && b.chance(0.3) {
			m.Options = append(m.Options, Option{"(acme.options.v1.auth)", fmt.Sprintf(`{scope: "%s.%s"}`, p.domain, strings.ToLower(verb))})
		}
		if b.chance(0.02) {
			m.Options = append(m.Options, Option{"deprecated", "true"})
		}
		svc.Methods = append(svc.Methods, m)
	}
	// Every service file uses at least one entity of its package.
	used := false
	for _, g := range ctx.chosen {
		used = used || ctx.used[g]
	}
	if !used && len(f.Messages) > 1 && !entities[0].File.External {
		b.addField(ctx, f.Messages[1], &Field{Name: snake(entities[0].Name), Label: b.singular(f), Msg: entities[0]})
	}
	return f
}

func (b *builder) requestFields(ctx *fileCtx, m *Message, verb string, ent *Message) {
	sing := b.singular(ctx.f)
	entRef := func(label Label) {
		if ent.File.External {
			b.addField(ctx, m, &Field{Name: "resource", Label: label, Msg: ent})
		} else {
			b.addField(ctx, m, &Field{Name: snake(ent.Name), Label: label, Msg: ent})
		}
		ctx.used[ent.File] = true
	}
	switch verb {
	case "Get", "Delete", "Archive", "Restore":
		b.addField(ctx, m, &Field{Name: "name", Label: sing, Scalar: "string", Comment: "Required. The resource name."})
		if verb == "Get" {
			b.addField(ctx, m, &Field{Name: "read_mask", Label: Explicit, Msg: b.c.wkt["FieldMask"]})
			ctx.used[b.c.wkt["FieldMask"].File] = true
		} else {
			b.addField(ctx, m, &Field{Name: "etag", Label: sing, Scalar: "string"})
		}
	case "List", "Search", "Export", "Count":
		b.addField(ctx, m, &Field{Name: "parent", Label: sing, Scalar: "string"})
		b.addField(ctx, m, &Field{Name: "page_size", Label: sing, Scalar: "int32"})
		b.addField(ctx, m, &Field{Name: "page_token", Label: sing, Scalar: "string"})
		b.addField(ctx, m, &Field{Name: "filter", Label: sing, Scalar: "string"})
		b.addField(ctx, m, &Field{Name: "order_by", Label: sing, Scalar: "string"})
	case "Create", "Import", "Sync", "Validate":
		b.addField(ctx, m, &Field{Name: "parent", Label: sing, Scalar: "string"})
		entRef(Explicit)
		b.addField(ctx, m, &Field{Name: "request_id", Label: sing, Scalar: "string"})
	case "Update":
		entRef(Explicit)
		b.addField(ctx, m, &Field{Name: "update_mask", Label: Explicit, Msg: b.c.wkt["FieldMask"]})
		ctx.used[b.c.wkt["FieldMask"].File] = true
	case "BatchGet":
		b.addField(ctx, m, &Field{Name: "names", Label: Repeated, Scalar: "string"})
	case "Watch":
		b.addField(ctx, m, &Field{Name: "parent", Label: sing, Scalar: "string"})
		b.addField(ctx, m, &Field{Name: "resume_token", Label: sing, Scalar: "bytes"})
	}
	b.fillMessage(ctx, m, b.skewed(0, 4), 2)
}

func (b *builder) responseFields(ctx *fileCtx, m *Message, verb string, ent *Message) {
	name := snake(ent.Name)
	if ent.File.External {
		name = "resource"
	}
	switch verb {
	case "List", "Search", "BatchGet", "Export", "Watch", "Sync", "Import":
		ctx.used[ent.File] = true
		b.addField(ctx, m, &Field{Name: plural(name), Label: Repeated, Msg: ent})
		if verb == "List" || verb == "Search" {
			b.addField(ctx, m, &Field{Name: "next_page_token", Label: b.singular(ctx.f), Scalar: "string"})
			b.addField(ctx, m, &Field{Name: "total_size", Label: b.singular(ctx.f), Scalar: "int32"})
		}
	case "Count":
		b.addField(ctx, m, &Field{Name: "count", Label: b.singular(ctx.f), Scalar: "int64"})
	default:
		ctx.used[ent.File] = true
		b.addField(ctx, m, &Field{Name: name, Label: Explicit, Msg: ent})
	}
	b.fillMessage(ctx, m, b.skewed(0, 3), 2)
}

// singular is the label of a plain singular scalar field in f.
func (b *builder) singular(f *File) Label {
	switch f.Syntax {
	case Proto3:
		return Implicit
	case Edition2023:
		if f.ImplicitPresence {
			return Implicit
		}
	}
	return Explicit
}

// --- messages, enums, fields ----------------------------------------------------

func (b *builder) newMessage(ctx *fileCtx, parent *Message, name string) *Message {
	m := &Message{Name: name, File: ctx.f, Parent: parent, names: map[string]bool{}}
	if b.chance(0.85) {
		m.Comment = fmt.Sprintf(pick(b, commentTemplates), name)
	}
	if b.chance(0.02) {
		m.Options = append(m.Options, Option{"deprecated", "true"})
	}
	ctx.localMsgs = append(ctx.localMsgs, m)
	return m
}

func (b *builder) newEnum(ctx *fileCtx, parent *Message, name string) *Enum {
	name = b.uniqueType(ctx.p.name, name)
	e := &Enum{Name: name, File: ctx.f, Parent: parent}
	if b.chance(0.7) {
		e.Comment = fmt.Sprintf("%s enumerates the possible values of %s.", name, snake(name))
	}
	prefix := e.Prefix()
	e.Values = []*EnumValue{{Name: prefix + "UNSPECIFIED", Number: 0, Comment: "Unset; never a valid value."}}
	words := b.r.Perm(len(enumWords))
	n := b.skewed(2, 14)
	num := 1
	for i := 0; i < n; i++ {
		if b.chance(0.05) && i > 0 {
			e.Reserved = append(e.Reserved, Range{num, num})
			num++
		}
		v := &EnumValue{Name: prefix + enumWords[words[i]], Number: num}
		if b.chance(0.03) {
			v.Options = append(v.Options, Option{"deprecated", "true"})
		}
		if b.chance(0.2) {
			v.Comment = "The " + strings.ToLower(strings.ReplaceAll(enumWords[words[i]], "_", " ")) + " case."
		}
		e.Values = append(e.Values, v)
		num++
	}
	if len(e.Reserved) > 0 && b.chance(0.5) {
		e.ReservedNames = append(e.ReservedNames, prefix+"LEGACY_"+enumWords[words[n]])
	}
	if ctx.f.Syntax == Edition2023 && b.chance(0.2) {
		if ctx.f.ClosedEnums {
			e.Options = append(e.Options, Option{"features.enum_type", "OPEN"})
		} else {
			e.Options = append(e.Options, Option{"features.enum_type", "CLOSED"})
		}
	}
	if b.chance(0.02) {
		e.Options = append(e.Options, Option{"deprecated", "true"})
	}
	ctx.localEnums = append(ctx.localEnums, e)
	return e
}

// fieldName makes a name unique within m (and its JSON name too).
func (b *builder) fieldName(m *Message, base string) string {
	ok := func(n string) bool { return !m.names[n] && !m.names["json:"+jsonKey(n)] }
	if ok(base) {
		return base
	}
	for _, i := range b.r.Perm(len(fieldModifiers)) {
		if n := fieldModifiers[i] + "_" + base; ok(n) {
			return n
		}
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s_%d", base, i); ok(n) {
			return n
		}
	}
}

// addField appends a field to m, giving it a unique name and the next number.
func (b *builder) addField(ctx *fileCtx, m *Message, fd *Field) {
	fd.Name = b.fieldName(m, fd.Name)
	if _, ok := option(fd.Options, "json_name"); ok {
		fd.Options = setOption(fd.Options, "json_name", fmt.Sprintf("%q", fd.Name))
	}
	m.names[fd.Name] = true
	m.names["json:"+jsonKey(fd.Name)] = true
	m.maxNum++
	fd.Number = m.maxNum
	fd.Parent = m
	if fd.Group {
		fd.Msg.Parent = m
	}
	if ctx.f.Syntax == Proto2 && fd.Label == Implicit {
		fd.Label = Explicit
	}
	if fd.Msg != nil && fd.Label == Implicit && ctx.f.Syntax != Proto3 {
		fd.Label = Explicit
	}
	if fd.Msg != nil && fd.Label == Explicit && ctx.f.Syntax == Proto3 {
		fd.Label = Implicit // proto3 message fields always track presence
	}
	if fd.Oneof != nil || fd.IsMap() {
		fd.Label = Implicit
	}
	if fd.Enum != nil && fd.Enum.Closed() && fd.Label == Implicit && fd.Oneof == nil && !fd.IsMap() {
		fd.Label = Explicit
	}
	m.Fields = append(m.Fields, fd)
}

// reserveGap skips numbers in m and reserves them, like a deleted field would.
func (b *builder) reserveGap(m *Message) {
	n := b.between(1, 3)
	m.Reserved = append(m.Reserved, Range{m.maxNum + 1, m.maxNum + n})
	m.maxNum += n
}

// fillMessage adds n generated fields to m, possibly nested types and a oneof.
func (b *builder) fillMessage(ctx *fileCtx, m *Message, n int, depth int) {
	f := ctx.f
	gaps := b.chance(0.15)
	// Nested types first so fields can use them.
	var nested []*Message
	if depth < 3 && b.chance([]float64{0.25, 0.12, 0.06}[depth]) {
		for i, k := 0, b.between(1, 2); i < k; i++ {
			base := pick(b, nestedNouns)
			if b.chance(0.5) {
				base = pick(b, entityNouns) + base
			}
			nm := b.newMessage(ctx, m, b.uniqueType(ctx.p.name, base))
			m.Nested = append(m.Nested, nm)
			nested = append(nested, nm)
		}
	}
	if depth < 3 && b.chance(0.15) {
		m.Enums = append(m.Enums, b.newEnum(ctx, m, pick(b, enumNouns)))
	}
	for _, nm := range nested {
		b.fillMessage(ctx, nm, b.skewed(5, 12), depth+1)
		label := b.singular(f)
		if b.chance(0.5) {
			label = Repeated
		}
		b.addField(ctx, m, &Field{Name: snake(nm.Name), Label: label, Msg: nm})
	}
	for i := 0; i < n; i++ {
		if gaps && b.chance(0.08) {
			b.reserveGap(m)
		}
		b.addField(ctx, m, b.genField(ctx, m))
	}
	for _, e := range m.Enums {
		b.addField(ctx, m, &Field{Name: snake(e.Name), Label: b.singular(f), Enum: e})
	}
	if n >= 7 && b.chance(0.18) {
		b.addOneof(ctx, m)
	}
	if f.Syntax == Proto2 && b.chance(0.02) {
		b.addGroup(ctx, m)
	}
	if gaps && len(m.Reserved) > 0 && b.chance(0.5) {
		name := "legacy_" + pick(b, scalarNames["string"])
		if !m.names[name] && !m.names["json:"+jsonKey(name)] {
			m.ReservedNames = append(m.ReservedNames, name)
			m.names[name] = true
		}
	}
	if m.Parent == nil && f.Syntax != Proto3 && !m.Group && b.chance(0.25) {
		if b.chance(0.7) {
			m.ExtRanges = append(m.ExtRanges, Range{1000, 1999})
			m.NextExt = 1000
		} else {
			m.ExtRanges = append(m.ExtRanges, Range{500, Max})
			m.NextExt = 500
		}
	}
}

// genField draws one field: its type, label, name and options.
func (b *builder) genField(ctx *fileCtx, m *Message) *Field {
	f := ctx.f
	fd := &Field{Label: b.singular(f)}
	local := b.usableLocal(ctx, m)
	switch w := b.intn(100); {
	case w < 5:
		return b.genMap(ctx, m)
	case w < 17:
		names := []string{"Timestamp", "Timestamp", "Timestamp", "Duration", "Struct", "Value", "Any", "FieldMask", "StringValue", "Int64Value", "BoolValue", "DoubleValue", "Int32Value"}
		wk := pick(b, names)
		fd.Msg = b.c.wkt[wk]
		fd.Name = pick(b, wktFields[wk])
		ctx.used[fd.Msg.File] = true
	case w < 27 && local != nil:
		fd.Msg = local
		fd.Name = snake(fd.Msg.Name)
	case w < 40 && len(ctx.importMsgs) > 0:
		fd.Msg = pick(b, ctx.importMsgs)
		fd.Name = snake(fd.Msg.Name)
		ctx.used[fd.Msg.File] = true
	case w < 48 && len(ctx.localEnums)+len(ctx.importEnums) > 0:
		all := append(append([]*Enum(nil), ctx.localEnums...), ctx.importEnums...)
		fd.Enum = pick(b, all)
		fd.Name = snake(fd.Enum.Name)
		if fd.Enum.File != f {
			ctx.used[fd.Enum.File] = true
		}
	default:
		fd.Scalar = b.scalar()
		fd.Name = pick(b, scalarNames[fd.Scalar])
	}
	if fd.Msg != nil && fd.Label == Implicit && f.Syntax != Proto3 {
		fd.Label = Explicit
	}
	switch f.Syntax {
	case Proto3:
		if b.chance(0.12) {
			fd.Label = Repeated
		} else if fd.Msg == nil && b.chance(0.07) {
			fd.Label = Explicit
		}
	case Proto2:
		if b.chance(0.14) {
			fd.Label = Repeated
		} else if b.chance(0.04) {
			fd.Label = Required
		}
	case Edition2023:
		if b.chance(0.12) {
			fd.Label = Repeated
		} else if fd.Msg == nil && (fd.Enum == nil || !fd.Enum.Closed()) {
			if !f.ImplicitPresence && b.chance(0.15) {
				fd.Label = Implicit
			} else if f.ImplicitPresence && b.chance(0.2) {
				fd.Label = Explicit
			}
		}
		if fd.Label != Repeated && b.chance(0.02) {
			fd.Label = Required
		}
	}
	if fd.Label == Repeated {
		fd.Name = plural(fd.Name)
	}
	b.fieldOptions(ctx, fd)
	if b.chance(0.5) {
		fd.Comment = fmt.Sprintf(pick(b, fieldComments), strings.ReplaceAll(fd.Name, "_", " "))
	} else if b.chance(0.06) {
		fd.Trailing = pick(b, []string{"Deprecated upstream; kept for clients.", "Set by the ingestion job.", "TODO: tighten validation.", "See go/acme-ids."})
	}
	return fd
}

// usableLocal returns a message of this file a field of m may use (not m or its ancestors).
func (b *builder) usableLocal(ctx *fileCtx, m *Message) *Message {
	if len(ctx.localMsgs) == 0 {
		return nil
	}
	cand := pick(b, ctx.localMsgs)
	for a := m; a != nil; a = a.Parent {
		if a == cand {
			return nil
		}
	}
	if cand.Group {
		return nil
	}
	return cand
}

func (b *builder) scalar() string {
	total := 0
	for _, s := range scalarTypes {
		total += s.weight
	}
	w := b.intn(total)
	for _, s := range scalarTypes {
		if w < s.weight {
			return s.name
		}
		w -= s.weight
	}
	return "string"
}

func (b *builder) genMap(ctx *fileCtx, m *Message) *Field {
	fd := &Field{MapKey: pick(b, []string{"string", "string", "string", "int64", "int32", "uint32"})}
	switch w := b.intn(10); {
	case w < 5:
		fd.Scalar = pick(b, []string{"string", "string", "int64", "double", "bool"})
		fd.Name = pick(b, []string{"labels", "annotations", "counters", "tags", "properties", "headers", "limits"})
	case w < 8 && len(ctx.importMsgs) > 0:
		fd.Msg = pick(b, ctx.importMsgs)
		ctx.used[fd.Msg.File] = true
		fd.Name = snake(fd.Msg.Name) + "_by_key"
	default:
		if lm := b.usableLocal(ctx, m); lm != nil {
			fd.Msg = lm
			fd.Name = snake(lm.Name) + "_by_key"
		} else {
			fd.Scalar = "string"
			fd.Name = "metadata"
		}
	}
	if b.chance(0.3) {
		fd.Comment = "Keyed by " + strings.ReplaceAll(fd.Name, "_", " ") + " identifier."
	}
	return fd
}

// fieldOptions sets json_name, deprecated, jstype, ctype, defaults,
// editions features and custom options on a new field.
func (b *builder) fieldOptions(ctx *fileCtx, fd *Field) {
	f := ctx.f
	singular := fd.Label != Repeated && !fd.IsMap()
	if strings.Contains(fd.Name, "_") && b.chance(0.03) {
		fd.Options = append(fd.Options, Option{"json_name", fmt.Sprintf("%q", fd.Name)})
	}
	if b.chance(0.03) {
		fd.Options = append(fd.Options, Option{"deprecated", "true"})
	}
	switch fd.Scalar {
	case "int64", "uint64", "sint64", "fixed64", "sfixed64":
		if b.chance(0.06) {
			fd.Options = append(fd.Options, Option{"jstype", pick(b, []string{"JS_STRING", "JS_NUMBER"})})
		}
	case "string", "bytes":
		if singular && f.Syntax != Edition2023 && b.chance(0.015) {
			fd.Options = append(fd.Options, Option{"ctype", pick(b, []string{"CORD", "STRING_PIECE"})})
		}
	}
	if singular && fd.Label == Explicit && f.Syntax != Proto3 && b.chance(0.12) {
		if v, ok := b.defaultFor(fd); ok {
			fd.Options = append(fd.Options, Option{"default", v})
		}
	}
	if f.Syntax == Edition2023 {
		if fd.Scalar == "string" && b.chance(0.05) {
			fd.Options = append(fd.Options, Option{"features.utf8_validation", "NONE"})
		}
		if fd.Label == Repeated && fd.Scalar != "" && fd.Scalar != "string" && fd.Scalar != "bytes" && !f.ExpandedRepeated && b.chance(0.2) {
			fd.Options = append(fd.Options, Option{"features.repeated_field_encoding", "EXPANDED"})
		}
	}
	if ctx.custom {
		switch {
		case fd.Scalar == "string" && (strings.Contains(fd.Name, "email") || strings.Contains(fd.Name, "phone") || strings.Contains(fd.Name, "ip_address")):
			fd.Options = append(fd.Options, Option{"(acme.options.v1.sensitive)", "true"})
			if b.chance(0.5) {
				fd.Options = append(fd.Options, Option{"(acme.options.v1.pii_kind)", `"CONTACT"`})
			}
		case fd.Scalar == "string" && b.chance(0.06):
			fd.Options = append(fd.Options, Option{"(acme.options.v1.rules)", fmt.Sprintf("{max_len: %d}", pick(b, []int{64, 128, 256, 1024}))})
		case fd.Scalar == "string" && b.chance(0.03):
			fd.Options = append(fd.Options, Option{"(acme.options.v1.rules).not_empty", "true"})
		}
	}
}

// defaultFor returns a [default = ...] value for the field type.
func (b *builder) defaultFor(fd *Field) (string, bool) {
	switch fd.Scalar {
	case "string":
		return fmt.Sprintf("%q", pick(b, []string{"", "n/a", "USD", "en-US", "unknown"})), true
	case "bytes":
		return `"\000\001"`, true
	case "bool":
		return pick(b, []string{"true", "false"}), true
	case "double", "float":
		return pick(b, []string{"0.5", "1.5", "-1", "inf", "100"}), true
	case "":
		if fd.Enum != nil && len(fd.Enum.Values) > 1 {
			return fd.Enum.Values[1].Name, true
		}
		return "", false
	case "uint32", "uint64", "fixed32", "fixed64":
		return fmt.Sprint(b.between(1, 1000)), true
	}
	return fmt.Sprint(b.between(-5, 1000)), true
}

func (b *builder) addOneof(ctx *fileCtx, m *Message) {
	name := pick(b, []string{"source", "target", "payload", "selector", "value", "destination", "identity", "schedule", "trigger", "scope"})
	if m.names[name] || m.names["json:"+jsonKey(name)] {
		return
	}
	m.names[name] = true
	oo := &Oneof{Name: name}
	if b.chance(0.5) {
		oo.Comment = "Exactly one " + name + " is set."
	}
	m.Oneofs = append(m.Oneofs, oo)
	for i, k := 0, b.between(2, 4); i < k; i++ {
		fd := &Field{Oneof: oo}
		switch {
		case i%2 == 1 && len(ctx.importMsgs) > 0:
			fd.Msg = pick(b, ctx.importMsgs)
			fd.Name = name + "_" + snake(fd.Msg.Name)
			ctx.used[fd.Msg.File] = true
		default:
			fd.Scalar = b.scalar()
			fd.Name = name + "_" + pick(b, scalarNames[fd.Scalar])
		}
		b.addField(ctx, m, fd)
	}
}

func (b *builder) addGroup(ctx *fileCtx, m *Message) {
	gname := b.uniqueType(ctx.p.name, pick(b, nestedNouns)+"Group")
	fname := strings.ToLower(gname)
	if m.names[fname] || m.names["json:"+jsonKey(fname)] {
		return
	}
	body := &Message{Name: gname, File: ctx.f, Parent: m, Group: true, names: map[string]bool{}}
	for i, k := 0, b.between(2, 4); i < k; i++ {
		s := b.scalar()
		b.addField(ctx, body, &Field{Name: pick(b, scalarNames[s]), Scalar: s, Label: Explicit})
	}
	m.Nested = append(m.Nested, body)
	label := Explicit
	if b.chance(0.3) {
		label = Repeated
	}
	fd := &Field{Name: fname, Group: true, Msg: body, Label: label}
	b.addField(ctx, m, fd)
	fd.Name = fname // the group's field name is fixed by the group name
}

// addExtend extends a message with an extension range (of this file or an
// imported one) with 1–3 extension fields.
func (b *builder) addExtend(ctx *fileCtx) {
	var cands []*Message
	for _, m := range append(append([]*Message(nil), ctx.f.Messages...), ctx.importMsgs...) {
		if len(m.ExtRanges) > 0 && !m.File.External {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return
	}
	target := pick(b, cands)
	ext := &Extend{Extendee: target}
	for i, k := 0, b.between(1, 3); i < k; i++ {
		s := b.scalar()
		name := b.uniqueExtName(ctx.p.name, ctx.p.area+"_"+pick(b, scalarNames[s]))
		fd := &Field{Name: name, Scalar: s, Label: Explicit, Number: target.NextExt}
		if b.chance(0.2) {
			fd.Label = Repeated
		}
		if b.chance(0.4) {
			fd.Comment = "Extension set by " + ctx.p.name + "."
		}
		target.NextExt++
		ext.Fields = append(ext.Fields, fd)
	}
	if target.File != ctx.f {
		ctx.used[target.File] = true
	}
	ctx.f.Extends = append(ctx.f.Extends, ext)
}

func (b *builder) uniqueExtName(pkg, name string) string {
	cand := name
	for i := 2; b.taken(pkg, cand); i++ {
		cand = fmt.Sprintf("%s_%d", name, i)
	}
	b.claim(pkg, cand)
	return cand
}

// useAllImports makes sure every chosen import is referenced, so no import is
// unused: a field of the first usable message of each unused file is added.
func (b *builder) useAllImports(ctx *fileCtx, m *Message) {
	for _, g := range ctx.chosen {
		if ctx.used[g] || len(g.Messages) == 0 {
			continue
		}
		target := g.Messages[0]
		b.addField(ctx, m, &Field{Name: snake(target.Name), Label: Explicit, Msg: target})
		ctx.used[g] = true
	}
}
