package confluent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/registry"
)

// registerResponse answers a registration.
type registerResponse struct {
	ID int64 `json:"id"`
}

// schemaRequestOf reads what the endpoints that take a schema share: the
// path's subject, its module, and the request body.
func (h *Handler) schemaRequestOf(q *request) (subject, module string, req schemaRequest, err error) {
	subject = q.r.PathValue("subject")
	if err := h.decode(q, &req); err != nil {
		return "", "", req, err
	}
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return "", "", req, ae
	}
	return subject, module, req, nil
}

// register serves POST /subjects/{subject}/versions: it answers the id of
// the schema, registering it as the subject's next version if the subject
// has no live version with the same content. A new version is a
// registry.Service.Push of the subject's module: checked like any push
// (the subject's level with WIRE rules, ledger, policies, exceptions) and
// recorded in the outbox.
func (h *Handler) register(q *request) (any, error) {
	ctx := q.r.Context()
	subject, module, req, err := h.schemaRequestOf(q)
	if err != nil {
		return nil, err
	}
	if h.readOnly {
		return nil, fail(codeOperationNotPermitted, "this registryd runs read-only (e.g. a replica): register schemas with the primary")
	}
	if err := q.principal.CanPush(module); err != nil {
		return nil, err
	}
	set, err := h.settingsOf(ctx, module)
	if err != nil {
		return nil, err
	}
	mode := set.mode()
	if mode == modeReadOnly {
		return nil, fail(codeOperationNotPermitted, "Subject %s is in read-only mode", subject)
	}
	if (req.ID != nil || req.Version != nil) && mode != modeImport {
		return nil, fail(codeOperationNotPermitted, "Subject %s is not in import mode: an id or a version may be given only in IMPORT mode (PUT /mode/%s {\"mode\": \"IMPORT\"})", subject, subject)
	}
	c, err := h.prepare(ctx, subject, &req, set.normalize(q))
	if err != nil {
		return nil, err
	}
	if c.digest == "" {
		if err := h.compile(ctx, c); err != nil {
			return nil, err
		}
	}
	if sc, err := h.schemaByDigest(ctx, c.digest); err == nil {
		if req.ID != nil && *req.ID != sc.ID {
			return nil, fail(codeIDDoesNotMatch, "Schema already registered with id %d instead of input id %d", sc.ID, *req.ID)
		}
		live, err := h.ids.ListSchemaBindings(ctx, registry.SchemaBindingQuery{Module: module, SchemaID: sc.ID})
		if err != nil {
			return nil, err
		}
		if len(live) > 0 && (req.Version == nil || *req.Version == live[len(live)-1].Version) {
			return registerResponse{ID: sc.ID}, nil
		}
	} else if !errors.Is(err, registry.ErrNotFound) {
		return nil, err
	}
	if err := h.compile(ctx, c); err != nil {
		return nil, err
	}
	if req.Version != nil {
		mod, err := h.store.GetModule(ctx, module)
		next := int64(1)
		if err == nil {
			next = mod.LatestVersion + 1
		} else if !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
		if *req.Version != next {
			return nil, fail(codeInvalidVersion, "version %d cannot be imported: subject %s's next version is %d (pbregistry numbers versions without gaps)", *req.Version, subject, next)
		}
	}
	want := registry.Schema{Digest: c.digest, Type: schemaTypeProtobuf, Text: c.text, References: c.refs}
	if req.ID != nil {
		if *req.ID <= 0 || *req.ID > registry.MaxSchemaID {
			return nil, fail(codeInvalidSchema, "id %d is not between 1 and %d", *req.ID, registry.MaxSchemaID)
		}
		want.ID = *req.ID
	}
	if want.ID != 0 {
		if other, err := h.schema(ctx, want.ID); err == nil && other.Digest != want.Digest {
			return nil, fail(codeIDDoesNotMatch, "Overwrite new schema with id %d is not permitted: the id names another schema", want.ID)
		} else if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
	}
	cc := set.check()
	if err := h.syncLevel(ctx, module, cc, q.principal.Name); err != nil {
		return nil, err
	}
	// The push first, so that a refused schema gets no id. A crash after
	// it leaves a version without an id: registering again finds the
	// version (same content, same push) and gives it its id.
	v, _, _, err := h.service.Push(ctx, h.pushRequest(c, cc, q.principal.Name))
	if err != nil {
		return nil, h.pushError(subject, err)
	}
	sc, _, err := h.ids.AssignSchemaID(ctx, want)
	if errors.Is(err, registry.ErrConflict) {
		return nil, fail(codeIDDoesNotMatch, "id %d cannot name this schema: %v", want.ID, err)
	}
	if err != nil {
		return nil, err
	}
	if err := h.ids.BindSchema(ctx, registry.SchemaBinding{Module: module, Version: v.Number, SchemaID: sc.ID}); err != nil {
		return nil, err
	}
	h.logger.InfoContext(ctx, "confluent schema registered", "subject", registry.Truncate(subject, 256), "module", module,
		"version", v.Number, "id", sc.ID, "principal", registry.Truncate(q.principal.Name, 256))
	return registerResponse{ID: sc.ID}, nil
}

// pushRequest is the push of a candidate: its schema file, the files it
// imports, and a pbregistry.yaml declaring each top-level message of the
// schema an event subject at the subject's level and rules. The configuration
// names the schema's digest and references, so that two registrations
// differing only in the versions they reference are two versions.
func (h *Handler) pushRequest(c *candidate, cc checkConfig, principal string) registry.PushRequest {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by registryd's Confluent Schema Registry API for subject %s.\n", strconv.Quote(c.subject))
	fmt.Fprintf(&b, "# Schema digest %s.\n", c.digest)
	for _, r := range c.refs {
		subject, _ := h.subjectOf(r.Module)
		fmt.Fprintf(&b, "# Reference %s: subject %s version %d.\n", strconv.Quote(r.Name), strconv.Quote(subject), r.Version)
	}
	fmt.Fprintf(&b, "version: v1\nmodule: %s\n", c.module)
	fmt.Fprintf(&b, "breaking:\n  use: [%s]\n  compatibility: NONE\n", cc.rules)
	msgs := c.file.Descriptor.Messages()
	if msgs.Len() > 0 {
		b.WriteString("subjects:\n")
	}
	for i := 0; i < msgs.Len(); i++ {
		fmt.Fprintf(&b, "  - message: %s\n    kind: event\n    compatibility: %s\n    use: [%s]\n", msgs.Get(i).FullName(), cc.level, cc.rules)
	}
	var relaxed []string
	for _, name := range conventionPolicies {
		if !slices.Contains(h.locked, name) {
			relaxed = append(relaxed, name)
		}
	}
	if len(relaxed) > 0 {
		b.WriteString("policies:\n")
	}
	for _, name := range relaxed {
		fmt.Fprintf(&b, "  - {name: %s, severity: warning}\n", name)
	}
	files := []registry.File{{Path: schemaPath(c.module), Content: []byte(c.text)}, {Path: registry.ConfigFileName, Content: []byte(b.String())}}
	names := make([]string, 0, len(c.files))
	for name := range c.files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		files = append(files, registry.File{Path: name, Content: []byte(c.files[name])})
	}
	return registry.PushRequest{
		Module:    c.module,
		Files:     files,
		Principal: principal,
		Build:     registry.BuildInfo{Labels: map[string]string{"confluent.subject": c.subject}},
	}
}

// conventionPolicies are the built-in policies of pbregistry's naming
// and event conventions, which schemas written for Confluent's registry
// seldom follow: a Confluent subject's module makes them warnings (unless
// the server's configuration locks them). EVENT_NO_REQUIRED stays an
// error: a required field breaks readers, whatever the registry.
var conventionPolicies = []string{"EVENT_ID_FIELD", "EVENT_OCCURRED_AT", "PACKAGE_VERSIONED", "ENUM_ZERO_VALUE_UNSPECIFIED", "FIELD_LOWER_SNAKE_CASE"}

// syncLevel puts the Confluent level and rules in force on the module's
// stored subjects (an override, when the pushed ones differ), so that a
// level lowered with PUT /config is not a SUBJECT_LEVEL_NO_WEAKEN finding
// of the next push, and one raised applies to it.
func (h *Handler) syncLevel(ctx context.Context, module string, cc checkConfig, principal string) error {
	subs, err := h.store.ListSubjects(ctx, module)
	if errors.Is(err, registry.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, s := range subs {
		eff := s.Effective()
		want := cc.compatibility()
		if eff.Level == want.Level && slices.Equal(eff.Use, want.Use) && len(eff.Except) == 0 {
			continue
		}
		if _, err := h.service.SetSubjectConfig(ctx, registry.SubjectConfigRequest{
			Module: module, Subject: s.Name, Principal: principal, Compatibility: want,
		}); err != nil {
			return fmt.Errorf("put compatibility %s with rules %s in force on %s:%s: %w", cc.level, cc.rules, module, s.Name, err)
		}
	}
	return nil
}

// checkConfig is how a Confluent subject's messages are checked: the
// level, and the rule category (WIRE by default; CSR for the rules buf
// models on Confluent Schema Registry's checks).
type checkConfig struct {
	level registry.Level
	rules string
}

// compatibility is cc as a pbregistry subject's configuration.
func (cc checkConfig) compatibility() registry.Compatibility {
	return registry.Compatibility{Level: cc.level, Use: []string{cc.rules}}
}

// ruleCategories are the rule categories a Confluent subject may be
// checked with.
var ruleCategories = []string{compat.CategoryWire, compat.CategoryWireJSON, compat.CategoryCSR}

// pushError maps an error of Service.Push to Confluent's.
func (h *Handler) pushError(subject string, err error) error {
	var rejected *registry.RejectedError
	if errors.As(err, &rejected) {
		return fail(codeIncompatible, "Schema being registered is incompatible with an earlier schema for subject %q, details: [%s]; "+
			"an admin may let a finding through with `pbcheck registry approve %s %s <RULE> <element> --reason …`",
			subject, strings.Join(findingMessages(rejected.Verdict), ", "), rejected.Verdict.Module, rejected.Verdict.Digest)
	}
	switch {
	case errors.Is(err, registry.ErrInvalidArgument):
		return fail(codeInvalidSchema, "Invalid schema: %v", err)
	case errors.Is(err, registry.ErrStaleBaseline):
		return fail(codeOperationTimeoutOrRetry, "other registrations of subject %s kept landing first: %v: retry", subject, err)
	}
	return err
}

// findingMessages returns the blocking findings of v, one line each.
func findingMessages(v *registry.Verdict) []string {
	var out []string
	for _, f := range v.Findings {
		if f.Blocking() {
			out = append(out, fmt.Sprintf("{%s}", f.Describe(v.Baseline)))
		}
	}
	return out
}

// lookup serves POST /subjects/{subject}: the subject version holding the
// schema, if any.
func (h *Handler) lookup(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, req, err := h.schemaRequestOf(q)
	if err != nil {
		return nil, err
	}
	deleted := q.flag("deleted")
	all, err := h.ids.ListSchemaBindings(ctx, registry.SchemaBindingQuery{Module: module, IncludeDeleted: deleted, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fail(codeSubjectNotFound, "Subject '%s' not found.", subject)
	}
	set, err := h.settingsOf(ctx, module)
	if err != nil {
		return nil, err
	}
	c, err := h.prepare(ctx, subject, &req, set.normalize(q))
	if err != nil {
		return nil, err
	}
	if c.digest == "" {
		if err := h.compile(ctx, c); err != nil {
			return nil, err
		}
	}
	sc, err := h.schemaByDigest(ctx, c.digest)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fail(codeSchemaNotFound, "Schema not found")
	}
	if err != nil {
		return nil, err
	}
	bs, err := h.ids.ListSchemaBindings(ctx, registry.SchemaBindingQuery{Module: module, SchemaID: sc.ID, IncludeDeleted: deleted})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fail(codeSchemaNotFound, "Schema not found")
	}
	return h.schemaOf(subject, bs[len(bs)-1].Version, sc), nil
}

// schemaOf is a subject version as the API writes it.
func (h *Handler) schemaOf(subject string, version int64, sc registry.Schema) schemaJSON {
	return schemaJSON{Subject: subject, Version: version, ID: sc.ID, SchemaType: sc.Type, References: h.referencesOf(sc), Schema: sc.Text}
}

// referencesOf is the references of sc as the API writes them.
func (h *Handler) referencesOf(sc registry.Schema) []referenceJSON {
	var out []referenceJSON
	for _, r := range sc.References {
		subject, _ := h.subjectOf(r.Module)
		out = append(out, referenceJSON{Name: r.Name, Subject: subject, Version: r.Version})
	}
	return out
}
