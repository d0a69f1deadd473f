package confluent

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/pbregistry/pbregistry/compat"

	"github.com/pbregistry/pbregistry/registry"
)

// Settings keys, per subject's module or global (module ""), in the
// registry.SchemaIDStore.
const (
	keyCompatibility = "confluent.compatibility"
	keyNormalize     = "confluent.normalize"
	keyMode          = "confluent.mode"
	keyRules         = "confluent.rules"
)

// The modes.
const (
	modeReadWrite = "READWRITE"
	modeReadOnly  = "READONLY"
	modeImport    = "IMPORT"
)

// defaultLevel is Confluent's default compatibility level.
const defaultLevel = registry.LevelBackward

// configJSON is the body of PUT /config and the answer of GET /config.
type configJSON struct {
	Compatibility      string `json:"compatibility,omitempty"`
	CompatibilityLevel string `json:"compatibilityLevel,omitempty"`
	Normalize          *bool  `json:"normalize,omitempty"`
	// Rules is pbregistry's own: the rule category the subject's
	// messages are checked with, WIRE (the default), WIRE_JSON or CSR
	// (buf's rules modelled on Confluent Schema Registry's checks).
	Rules string `json:"rules,omitempty"`
}

// modeJSON is the body of PUT /mode and the answer of GET /mode.
type modeJSON struct {
	Mode string `json:"mode"`
}

// settingModule returns the module of the request's subject, "" for the
// global endpoints.
func (h *Handler) settingModule(q *request) (string, string, error) {
	subject := q.r.PathValue("subject")
	if subject == "" {
		return "", "", nil
	}
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return "", "", ae
	}
	return subject, module, nil
}

// settings are the settings in force for a subject: its own, else the
// global ones.
type settings struct {
	module, global map[string]string
}

// settingsOf reads a subject's module's settings and the global ones, in
// one read.
func (h *Handler) settingsOf(ctx context.Context, module string) (settings, error) {
	all, err := h.ids.ListSchemaSettings(ctx, module, "")
	if err != nil {
		return settings{}, err
	}
	s := settings{module: map[string]string{}, global: map[string]string{}}
	for _, st := range all {
		if st.Module == "" {
			s.global[st.Key] = st.Value
		} else {
			s.module[st.Key] = st.Value
		}
	}
	return s, nil
}

// get returns the subject's setting, else the global one, else def.
func (s settings) get(key, def string) string {
	if v, ok := s.module[key]; ok {
		return v
	}
	if v, ok := s.global[key]; ok {
		return v
	}
	return def
}

// level returns the compatibility level in force.
func (s settings) level() registry.Level {
	return registry.Level(s.get(keyCompatibility, string(defaultLevel)))
}

// check returns the level and rules in force.
func (s settings) check() checkConfig {
	return checkConfig{level: s.level(), rules: s.get(keyRules, compat.CategoryWire)}
}

// mode returns the mode in force.
func (s settings) mode() string { return s.get(keyMode, modeReadWrite) }

// normalize reports whether a request normalizes: its normalize=
// parameter, else the subject's or global configuration.
func (s settings) normalize(q *request) bool {
	if v := q.query("normalize"); v != "" {
		return strings.EqualFold(v, "true")
	}
	return s.get(keyNormalize, "false") == "true"
}

// effectiveSetting returns a subject's setting, else the global one, else
// def.
func (h *Handler) effectiveSetting(ctx context.Context, module, key, def string) (string, error) {
	s, err := h.settingsOf(ctx, module)
	if err != nil {
		return "", err
	}
	return s.get(key, def), nil
}

// level returns the compatibility level in force for a subject's module.
func (h *Handler) level(ctx context.Context, module string) (registry.Level, error) {
	s, err := h.settingsOf(ctx, module)
	return s.level(), err
}

// getConfig serves GET /config and GET /config/{subject}.
func (h *Handler) getConfig(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, err := h.settingModule(q)
	if err != nil {
		return nil, err
	}
	if subject != "" && !q.flag("defaultToGlobal") {
		v, err := h.ids.GetSchemaSetting(ctx, module, keyCompatibility)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, fail(codeSubjectCompatNotSet, "Subject '%s' does not have subject-level compatibility configured", subject)
		}
		if err != nil {
			return nil, err
		}
		out := configJSON{CompatibilityLevel: v}
		if n, err := h.ids.GetSchemaSetting(ctx, module, keyNormalize); err == nil {
			b := n == "true"
			out.Normalize = &b
		}
		if r, err := h.ids.GetSchemaSetting(ctx, module, keyRules); err == nil {
			out.Rules = r
		}
		return out, nil
	}
	set, err := h.settingsOf(ctx, module)
	if err != nil {
		return nil, err
	}
	out := configJSON{CompatibilityLevel: string(set.level()), Rules: set.get(keyRules, "")}
	if n := set.get(keyNormalize, ""); n != "" {
		b := n == "true"
		out.Normalize = &b
	}
	return out, nil
}

// putConfig serves PUT /config and PUT /config/{subject}: the level is
// stored, and put in force at once on the subject's pbregistry subjects
// (a subject without its own level gets the global one at its next
// registration).
func (h *Handler) putConfig(q *request) (any, error) {
	if err := h.canAdmin(q, "setting a compatibility level"); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, err := h.settingModule(q)
	if err != nil {
		return nil, err
	}
	var req configJSON
	if err := h.decode(q, &req); err != nil {
		return nil, err
	}
	name := req.Compatibility
	if name == "" {
		name = req.CompatibilityLevel
	}
	if name == "" && req.Normalize == nil && req.Rules == "" {
		return nil, fail(codeInvalidCompatibility, "Invalid compatibility level: the request names none: send {\"compatibility\": \"BACKWARD\"}")
	}
	rules := strings.ToUpper(req.Rules)
	if req.Rules != "" && !slices.Contains(ruleCategories, rules) {
		return nil, fail(codeInvalidCompatibility, "Invalid rules %q: use one of %s", registry.Truncate(req.Rules, 64), strings.Join(ruleCategories, ", "))
	}
	var level registry.Level
	if name != "" {
		level = registry.Level(strings.ToUpper(name))
		if !level.Valid() {
			return nil, fail(codeInvalidCompatibility, "Invalid compatibility level %q. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive", registry.Truncate(name, 64))
		}
	}
	out := configJSON{}
	if level != "" {
		if err := h.ids.PutSchemaSetting(ctx, module, keyCompatibility, string(level)); err != nil {
			return nil, err
		}
		out.Compatibility = string(level)
	}
	if rules != "" {
		if err := h.ids.PutSchemaSetting(ctx, module, keyRules, rules); err != nil {
			return nil, err
		}
		out.Rules = rules
	}
	if req.Normalize != nil {
		v := "false"
		if *req.Normalize {
			v = "true"
		}
		if err := h.ids.PutSchemaSetting(ctx, module, keyNormalize, v); err != nil {
			return nil, err
		}
		out.Normalize = req.Normalize
	}
	if subject != "" && (level != "" || rules != "") {
		set, err := h.settingsOf(ctx, module)
		if err != nil {
			return nil, err
		}
		if err := h.syncLevel(ctx, module, set.check(), q.principal.Name); err != nil {
			return nil, err
		}
	}
	h.logger.InfoContext(ctx, "confluent config set", "subject", registry.Truncate(subject, 256), "compatibility", out.Compatibility, "principal", q.principal.Name)
	return out, nil
}

// deleteConfig serves DELETE /config and DELETE /config/{subject}: the
// level returns to the global one (Confluent's default for the global
// level). It answers the level that was set.
func (h *Handler) deleteConfig(q *request) (any, error) {
	if err := h.canAdmin(q, "deleting a compatibility level"); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, err := h.settingModule(q)
	if err != nil {
		return nil, err
	}
	old, err := h.level(ctx, module)
	if err != nil {
		return nil, err
	}
	deleted := 0
	for _, key := range []string{keyCompatibility, keyNormalize, keyRules} {
		err := h.ids.DeleteSchemaSetting(ctx, module, key)
		if err == nil {
			deleted++
		} else if !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
	}
	if deleted == 0 && subject != "" {
		return nil, fail(codeSubjectCompatNotSet, "Subject '%s' does not have subject-level compatibility configured", subject)
	}
	if subject != "" {
		set, err := h.settingsOf(ctx, module)
		if err != nil {
			return nil, err
		}
		if err := h.syncLevel(ctx, module, set.check(), q.principal.Name); err != nil {
			return nil, err
		}
	}
	return configJSON{CompatibilityLevel: string(old)}, nil
}

// getMode serves GET /mode and GET /mode/{subject}.
func (h *Handler) getMode(q *request) (any, error) {
	if err := canRead(q); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, err := h.settingModule(q)
	if err != nil {
		return nil, err
	}
	if subject != "" && !q.flag("defaultToGlobal") {
		v, err := h.ids.GetSchemaSetting(ctx, module, keyMode)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, fail(codeSubjectModeNotSet, "Subject '%s' does not have subject-level mode configured", subject)
		}
		if err != nil {
			return nil, err
		}
		return modeJSON{Mode: v}, nil
	}
	v, err := h.effectiveSetting(ctx, module, keyMode, modeReadWrite)
	if err != nil {
		return nil, err
	}
	return modeJSON{Mode: v}, nil
}

// putMode serves PUT /mode and PUT /mode/{subject}. IMPORT needs a
// subject (or, globally, a registry) without Confluent versions, unless
// force=true.
func (h *Handler) putMode(q *request) (any, error) {
	if err := h.canAdmin(q, "setting a mode"); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, err := h.settingModule(q)
	if err != nil {
		return nil, err
	}
	var req modeJSON
	if err := h.decode(q, &req); err != nil {
		return nil, err
	}
	mode := strings.ToUpper(req.Mode)
	if mode != modeReadWrite && mode != modeReadOnly && mode != modeImport {
		return nil, fail(codeInvalidMode, "Invalid mode %q. Valid values are READWRITE, READONLY and IMPORT", registry.Truncate(req.Mode, 64))
	}
	if mode == modeImport && !q.flag("force") {
		query := registry.SchemaBindingQuery{ModulePrefix: h.cfg.ModulePrefix + "/", IncludeDeleted: true, Limit: 1}
		if subject != "" {
			query = registry.SchemaBindingQuery{Module: module, IncludeDeleted: true, Limit: 1}
		}
		bs, err := h.ids.ListSchemaBindings(ctx, query)
		if err != nil {
			return nil, err
		}
		if len(bs) > 0 {
			return nil, fail(codeOperationNotPermitted, "Cannot import since found existing subjects: set IMPORT on a registry (or subject) without schemas, or pass force=true")
		}
	}
	if err := h.ids.PutSchemaSetting(ctx, module, keyMode, mode); err != nil {
		return nil, err
	}
	h.logger.InfoContext(ctx, "confluent mode set", "subject", registry.Truncate(subject, 256), "mode", mode, "principal", q.principal.Name)
	return modeJSON{Mode: mode}, nil
}

// deleteMode serves DELETE /mode/{subject}: the subject follows the
// global mode again. It answers the mode that was set.
func (h *Handler) deleteMode(q *request) (any, error) {
	if err := h.canAdmin(q, "deleting a mode"); err != nil {
		return nil, err
	}
	ctx := q.r.Context()
	subject, module, err := h.settingModule(q)
	if err != nil {
		return nil, err
	}
	old, err := h.ids.GetSchemaSetting(ctx, module, keyMode)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fail(codeSubjectModeNotSet, "Subject '%s' does not have subject-level mode configured", subject)
	}
	if err != nil {
		return nil, err
	}
	if err := h.ids.DeleteSchemaSetting(ctx, module, keyMode); err != nil && !errors.Is(err, registry.ErrNotFound) {
		return nil, err
	}
	return modeJSON{Mode: old}, nil
}
