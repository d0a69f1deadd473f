package confluent

import (
	"context"
	"errors"
	"fmt"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/registry"
)

// compatibilityJSON answers a compatibility check.
type compatibilityJSON struct {
	IsCompatible bool      `json:"is_compatible"`
	Messages     *[]string `json:"messages,omitempty"`
}

// compatibility serves POST /compatibility/subjects/{subject}/versions/{version}:
// would the schema be accepted after that version? Against the latest
// version it is registry.Service.CheckPush — exactly what registering
// would decide (levels, ledgers, policies, exceptions); against an older
// one, the subjects' rules at their level between the two schemas
// (registry.CheckImages, without ledger or policies). verbose=true lists
// the findings.
func (h *Handler) compatibility(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, req, err := h.schemaRequestOf(q)
	if err != nil {
		return nil, err
	}
	v, ae := parseVersion(q.r.PathValue("version"))
	if ae != nil {
		return nil, ae
	}
	b, err := h.binding(ctx, module, v, false)
	var e *apiError
	if v == 0 && errors.As(err, &e) && e.code == codeSubjectNotFound {
		// Nothing to be incompatible with: Confluent answers true too.
		return compatibilityJSON{IsCompatible: true}, nil
	}
	if err != nil {
		return nil, err
	}
	return h.check(ctx, q, subject, &req, b)
}

// compatibilityAll serves POST /compatibility/subjects/{subject}/versions:
// against the latest version, which under pbregistry's transitive levels
// checks every earlier one through the subjects' ledgers.
func (h *Handler) compatibilityAll(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, req, err := h.schemaRequestOf(q)
	if err != nil {
		return nil, err
	}
	b, err := h.binding(ctx, module, 0, false)
	var e *apiError
	if errors.As(err, &e) && e.code == codeSubjectNotFound {
		return compatibilityJSON{IsCompatible: true}, nil
	}
	if err != nil {
		return nil, err
	}
	return h.check(ctx, q, subject, &req, b)
}

// check checks req against the version b.
func (h *Handler) check(ctx context.Context, q *request, subject string, req *schemaRequest, b registry.SchemaBinding) (any, error) {
	set, err := h.settingsOf(ctx, b.Module)
	if err != nil {
		return nil, err
	}
	c, err := h.prepare(ctx, subject, req, set.normalize(q))
	if err != nil {
		return nil, err
	}
	if err := h.compile(ctx, c); err != nil {
		return nil, err
	}
	cc := set.check()
	mod, err := h.store.GetModule(ctx, b.Module)
	if err != nil {
		return nil, err
	}
	var findings []string
	if b.Version == mod.LatestVersion {
		verdict, err := h.service.CheckPush(ctx, h.pushRequest(c, cc, q.principal.Name))
		if err != nil {
			if errors.Is(err, registry.ErrInvalidArgument) {
				return nil, fail(codeInvalidSchema, "Invalid schema: %v", err)
			}
			return nil, err
		}
		findings = findingMessages(verdict)
	} else {
		data, err := h.store.GetDescriptorSet(ctx, b.Module, b.Version)
		if err != nil {
			return nil, err
		}
		base, err := image.DecodeWithLimits(data, image.StoredLimits)
		if err != nil {
			return nil, fmt.Errorf("decode %s version %d: %w", b.Module, b.Version, err)
		}
		var specs []registry.SubjectSpec
		msgs := c.file.Descriptor.Messages()
		for i := 0; i < msgs.Len(); i++ {
			specs = append(specs, registry.SubjectSpec{Name: string(msgs.Get(i).FullName()), Kind: registry.KindEvent,
				Compatibility: cc.compatibility()})
		}
		res, err := registry.CheckImages(ctx, base, c.img, registry.CheckSpec{
			Module:   compat.Config{Version: "v2", Use: []string{cc.rules}, Level: compat.LevelNone},
			Subjects: specs,
		}, nil)
		if err != nil {
			if errors.Is(err, registry.ErrInvalidArgument) {
				return nil, fail(codeInvalidSchema, "Invalid schema: %v", err)
			}
			return nil, err
		}
		for _, f := range res.Findings {
			if f.Blocking() {
				findings = append(findings, f.Describe(b.Version))
			}
		}
	}
	out := compatibilityJSON{IsCompatible: len(findings) == 0}
	if q.flag("verbose") {
		if findings == nil {
			findings = []string{}
		}
		out.Messages = &findings
	}
	return out, nil
}
