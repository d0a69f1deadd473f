package confluent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pbregistry/pbregistry/registry"
)

// parseVersion reads a version: "latest" or -1 (the latest), or 1, 2, …
// up to 2^31-1; 0 means latest.
func parseVersion(s string) (int64, *apiError) {
	if s == "latest" || s == "-1" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt32 {
		return 0, fail(codeInvalidVersion, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", registry.Truncate(s, 64))
	}
	return n, nil
}

// binding returns the binding of a subject's version (0 or -1: the
// latest live one); soft-deleted versions count only with deleted.
func (h *Handler) binding(ctx context.Context, module string, version int64, deleted bool) (registry.SchemaBinding, error) {
	subject, _ := h.subjectOf(module)
	if version == 0 || version == -1 {
		bs, err := h.ids.ListSchemaBindings(ctx, registry.SchemaBindingQuery{Module: module, IncludeDeleted: deleted})
		if err != nil {
			return registry.SchemaBinding{}, err
		}
		if len(bs) == 0 {
			return registry.SchemaBinding{}, fail(codeSubjectNotFound, "Subject '%s' not found.", subject)
		}
		return bs[len(bs)-1], nil
	}
	if version < 0 || version > math.MaxInt32 {
		return registry.SchemaBinding{}, fail(codeInvalidVersion, "The specified version '%d' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", version)
	}
	b, err := h.ids.GetSchemaBinding(ctx, module, version)
	if errors.Is(err, registry.ErrNotFound) || err == nil && b.Deleted && !deleted {
		live, lerr := h.ids.ListSchemaBindings(ctx, registry.SchemaBindingQuery{Module: module, IncludeDeleted: deleted, Limit: 1})
		if lerr != nil {
			return registry.SchemaBinding{}, lerr
		}
		if len(live) == 0 {
			return registry.SchemaBinding{}, fail(codeSubjectNotFound, "Subject '%s' not found.", subject)
		}
		return registry.SchemaBinding{}, fail(codeVersionNotFound, "Version %d not found.", version)
	}
	return b, err
}

// subjectVersion reads the path's subject and version.
func (h *Handler) subjectVersion(q *request) (string, registry.SchemaBinding, error) {
	subject := q.r.PathValue("subject")
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return "", registry.SchemaBinding{}, ae
	}
	v, ae := parseVersion(q.r.PathValue("version"))
	if ae != nil {
		return "", registry.SchemaBinding{}, ae
	}
	b, err := h.binding(q.r.Context(), module, v, q.flag("deleted"))
	return subject, b, err
}

// listSubjects serves GET /subjects (deleted=true: soft-deleted ones too;
// subjectPrefix: those starting with it).
func (h *Handler) listSubjects(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	bs, err := h.ids.ListSchemaBindings(q.r.Context(), registry.SchemaBindingQuery{
		ModulePrefix: h.cfg.ModulePrefix + "/", IncludeDeleted: q.flag("deleted"), Limit: h.cfg.MaxList,
	})
	if err != nil {
		return nil, err
	}
	prefix := q.query("subjectPrefix")
	out := []string{}
	for i, b := range bs {
		if i > 0 && bs[i-1].Module == b.Module {
			continue
		}
		if s, ok := h.subjectOf(b.Module); ok && strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out, nil
}

// listVersions serves GET /subjects/{subject}/versions.
func (h *Handler) listVersions(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	subject := q.r.PathValue("subject")
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return nil, ae
	}
	bs, err := h.ids.ListSchemaBindings(q.r.Context(), registry.SchemaBindingQuery{Module: module, IncludeDeleted: q.flag("deleted"), Limit: h.cfg.MaxList})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fail(codeSubjectNotFound, "Subject '%s' not found.", subject)
	}
	out := make([]int64, len(bs))
	for i, b := range bs {
		out[i] = b.Version
	}
	return out, nil
}

// getVersion serves GET /subjects/{subject}/versions/{version}.
func (h *Handler) getVersion(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	subject, b, err := h.subjectVersion(q)
	if err != nil {
		return nil, err
	}
	sc, err := h.schema(q.r.Context(), b.SchemaID)
	if err != nil {
		return nil, err
	}
	return h.schemaOf(subject, b.Version, sc), nil
}

// getVersionSchema serves GET /subjects/{subject}/versions/{version}/schema:
// the schema's text alone.
func (h *Handler) getVersionSchema(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	_, b, err := h.subjectVersion(q)
	if err != nil {
		return nil, err
	}
	sc, err := h.schema(q.r.Context(), b.SchemaID)
	if err != nil {
		return nil, err
	}
	return rawSchema(sc.Text), nil
}

// referencedBy serves GET /subjects/{subject}/versions/{version}/referencedby:
// the ids of the schemas that reference the version.
func (h *Handler) referencedBy(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	_, b, err := h.subjectVersion(q)
	if err != nil {
		return nil, err
	}
	ids, err := h.ids.SchemaReferrers(q.r.Context(), b.Module, b.Version)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

// deleteVersion serves DELETE /subjects/{subject}/versions/{version}: a
// soft delete, or with permanent=true (of a soft-deleted version) the
// binding's removal. It answers the version. The module version itself
// stays in pbregistry's history: versions are immutable there.
func (h *Handler) deleteVersion(q *request) (any, error) {
	if err := h.canAdmin(q, "deleting a subject version"); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, b, err := h.subjectVersionForDelete(q)
	if err != nil {
		return nil, err
	}
	if err := h.deleteBinding(ctx, subject, b, q.flag("permanent")); err != nil {
		return nil, err
	}
	return b.Version, nil
}

// subjectVersionForDelete reads the path's subject and version, deleted
// or not, refusing a read-only subject.
func (h *Handler) subjectVersionForDelete(q *request) (string, registry.SchemaBinding, error) {
	subject := q.r.PathValue("subject")
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return "", registry.SchemaBinding{}, ae
	}
	if err := h.writableSubject(q.r.Context(), subject, module); err != nil {
		return "", registry.SchemaBinding{}, err
	}
	v, ae := parseVersion(q.r.PathValue("version"))
	if ae != nil {
		return "", registry.SchemaBinding{}, ae
	}
	// An explicit version is found deleted or not (deleting it again is
	// 40406); "latest" is the latest live one, or any for permanent=true.
	b, err := h.binding(q.r.Context(), module, v, v != 0 || q.flag("permanent"))
	return subject, b, err
}

// writableSubject refuses a subject in READONLY mode.
func (h *Handler) writableSubject(ctx context.Context, subject, module string) error {
	mode, err := h.effectiveSetting(ctx, module, keyMode, modeReadWrite)
	if err != nil {
		return err
	}
	if mode == modeReadOnly {
		return fail(codeOperationNotPermitted, "Subject %s is in read-only mode", subject)
	}
	return nil
}

// deleteBinding soft-deletes b, or removes it when permanent (it must be
// soft-deleted first, and no schema may reference it).
func (h *Handler) deleteBinding(ctx context.Context, subject string, b registry.SchemaBinding, permanent bool) error {
	if !permanent {
		if b.Deleted {
			return fail(codeVersionSoftDeleted, "Subject '%s' Version %d was soft deleted. Set permanent=true to delete permanently", subject, b.Version)
		}
		if refs, err := h.ids.SchemaReferrers(ctx, b.Module, b.Version); err != nil {
			return err
		} else if len(refs) > 0 {
			return fail(codeReferenceExists, "One or more references exist to the schema {subject=%s, version=%d}: schemas %v", subject, b.Version, refs)
		}
		return h.ids.SetSchemaBindingDeleted(ctx, b.Module, b.Version, true)
	}
	if !b.Deleted {
		return fail(codeVersionNotSoftDeleted, "Subject '%s' Version %d was not deleted first before being permanently deleted", subject, b.Version)
	}
	err := h.ids.DeleteSchemaBinding(ctx, b.Module, b.Version)
	if errors.Is(err, registry.ErrConflict) {
		return fail(codeReferenceExists, "One or more references exist to the schema {subject=%s, version=%d}: %v", subject, b.Version, err)
	}
	return err
}

// deleteSubject serves DELETE /subjects/{subject}: every live version
// soft-deleted, or with permanent=true every soft-deleted one removed
// (the subject must be soft-deleted first). It answers the versions.
func (h *Handler) deleteSubject(q *request) (any, error) {
	if err := h.canAdmin(q, "deleting a subject"); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject := q.r.PathValue("subject")
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return nil, ae
	}
	if err := h.writableSubject(ctx, subject, module); err != nil {
		return nil, err
	}
	permanent := q.flag("permanent")
	all, err := h.ids.ListSchemaBindings(ctx, registry.SchemaBindingQuery{Module: module, IncludeDeleted: true})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fail(codeSubjectNotFound, "Subject '%s' not found.", subject)
	}
	var live []registry.SchemaBinding
	for _, b := range all {
		if !b.Deleted {
			live = append(live, b)
		}
	}
	if permanent && len(live) > 0 {
		return nil, fail(codeSubjectNotSoftDeleted, "Subject '%s' was not deleted first before being permanently deleted", subject)
	}
	if !permanent && len(live) == 0 {
		return nil, fail(codeSubjectSoftDeleted, "Subject '%s' was soft deleted. Set permanent=true to delete permanently", subject)
	}
	targets := live
	if permanent {
		targets = all
	}
	// Refuse before changing anything, so that a refused delete leaves
	// every version as it was.
	for _, b := range targets {
		refs, err := h.ids.SchemaReferrers(ctx, b.Module, b.Version)
		if err != nil {
			return nil, err
		}
		if len(refs) > 0 {
			return nil, fail(codeReferenceExists, "One or more references exist to the schema {subject=%s, version=%d}: schemas %v", subject, b.Version, refs)
		}
	}
	out := make([]int64, 0, len(targets))
	for _, b := range targets {
		if err := h.deleteBinding(ctx, subject, b, permanent); err != nil {
			return nil, fmt.Errorf("delete subject %s version %d: %w", subject, b.Version, err)
		}
		out = append(out, b.Version)
	}
	return out, nil
}
