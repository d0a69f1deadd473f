package confluent

import (
	"math"
	"strconv"

	"github.com/pbregistry/pbregistry/registry"
)

// idJSON is a schema by id as GET /schemas/ids/{id} answers.
type idJSON struct {
	SchemaType string          `json:"schemaType,omitempty"`
	References []referenceJSON `json:"references,omitempty"`
	Schema     string          `json:"schema"`
}

// subjectVersionJSON names a subject version.
type subjectVersionJSON struct {
	Subject string `json:"subject"`
	Version int64  `json:"version"`
}

// schemaByID reads the path's id: 1 … 2^31-1, else 40403.
func (h *Handler) schemaByID(q *request) (registry.Schema, error) {
	raw := q.r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || id > math.MaxInt32 {
		return registry.Schema{}, fail(codeSchemaNotFound, "Schema %s not found: schema ids are between 1 and 2147483647", registry.Truncate(raw, 32))
	}
	sc, err := h.schema(q.r.Context(), id)
	if err != nil {
		if registry.ErrorCode(err) == registry.CodeNotFound {
			return registry.Schema{}, fail(codeSchemaNotFound, "Schema %d not found", id)
		}
		return registry.Schema{}, err
	}
	return sc, nil
}

// getSchemaByID serves GET /schemas/ids/{id}.
func (h *Handler) getSchemaByID(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	sc, err := h.schemaByID(q)
	if err != nil {
		return nil, err
	}
	return idJSON{SchemaType: sc.Type, References: h.referencesOf(sc), Schema: sc.Text}, nil
}

// getSchemaTextByID serves GET /schemas/ids/{id}/schema.
func (h *Handler) getSchemaTextByID(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	sc, err := h.schemaByID(q)
	if err != nil {
		return nil, err
	}
	return rawSchema(sc.Text), nil
}

// versionsOf returns the subject versions holding schema sc.
func (h *Handler) versionsOf(q *request, sc registry.Schema) ([]subjectVersionJSON, error) {
	bs, err := h.ids.ListSchemaBindings(q.r.Context(), registry.SchemaBindingQuery{SchemaID: sc.ID, IncludeDeleted: q.flag("deleted"), Limit: h.cfg.MaxList})
	if err != nil {
		return nil, err
	}
	out := []subjectVersionJSON{}
	for _, b := range bs {
		if s, ok := h.subjectOf(b.Module); ok {
			out = append(out, subjectVersionJSON{Subject: s, Version: b.Version})
		}
	}
	return out, nil
}

// getSchemaVersions serves GET /schemas/ids/{id}/versions.
func (h *Handler) getSchemaVersions(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	sc, err := h.schemaByID(q)
	if err != nil {
		return nil, err
	}
	return h.versionsOf(q, sc)
}

// getSchemaSubjects serves GET /schemas/ids/{id}/subjects.
func (h *Handler) getSchemaSubjects(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	sc, err := h.schemaByID(q)
	if err != nil {
		return nil, err
	}
	vs, err := h.versionsOf(q, sc)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for i, v := range vs {
		if i == 0 || vs[i-1].Subject != v.Subject {
			out = append(out, v.Subject)
		}
	}
	return out, nil
}

// schemaTypes serves GET /schemas/types: PROTOBUF only.
func (h *Handler) schemaTypes(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	return []string{schemaTypeProtobuf}, nil
}
