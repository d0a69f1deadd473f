package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
)

// selectSubject selects, from subjects s joined with modules m, the
// columns scanSubject reads.
const selectSubject = `SELECT m.name, s.name, s.kind, s.primary_key, s.level, s.use_rules, s.except_rules,
	s.first_version, s.last_version, s.override_level, s.override_use, s.override_except, s.override_by, s.override_at,
	s.retired_version, s.retired_by, s.retired_at, s.retired_reason
	FROM subjects s JOIN modules m ON m.id = s.module_id`

// scanSubject reads a row of selectSubject.
func scanSubject(row interface{ Scan(...any) error }) (registry.Subject, error) {
	var s registry.Subject
	var kind, pk, level, use, except string
	var oLevel, oUse, oExcept, oBy sql.NullString
	var oAt sql.NullInt64
	var rVersion, rAt sql.NullInt64
	var rBy, rReason sql.NullString
	if err := row.Scan(&s.Module, &s.Name, &kind, &pk, &level, &use, &except,
		&s.FirstVersion, &s.LastVersion, &oLevel, &oUse, &oExcept, &oBy, &oAt,
		&rVersion, &rBy, &rAt, &rReason); err != nil {
		return s, err
	}
	if rVersion.Valid && s.LastVersion <= rVersion.Int64 {
		s.Retired = &registry.SubjectRetirement{Principal: rBy.String, At: fromMicros(rAt.Int64), Reason: rReason.String, Version: rVersion.Int64}
	}
	s.Kind = registry.SubjectKind(kind)
	s.Pushed.Level = registry.Level(level)
	var err error
	if s.PrimaryKey, err = decodeStrings(pk); err != nil {
		return s, err
	}
	if s.Pushed.Use, err = decodeStrings(use); err != nil {
		return s, err
	}
	if s.Pushed.Except, err = decodeStrings(except); err != nil {
		return s, err
	}
	if oLevel.Valid {
		o := &registry.SubjectOverride{Principal: oBy.String, SetAt: fromMicros(oAt.Int64)}
		o.Compatibility.Level = registry.Level(oLevel.String)
		if o.Compatibility.Use, err = decodeStrings(oUse.String); err != nil {
			return s, err
		}
		if o.Compatibility.Except, err = decodeStrings(oExcept.String); err != nil {
			return s, err
		}
		s.Override = o
	}
	return s, nil
}

// getSubject reads a subject through q.
func getSubject(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, module, subject string) (registry.Subject, error) {
	s, err := scanSubject(q.QueryRowContext(ctx, selectSubject+` WHERE m.name = ? AND s.name = ?`, module, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return s, registry.SubjectNotFound(module, subject)
	}
	return s, err
}

// GetSubject implements registry.Store.
func (s *Store) GetSubject(ctx context.Context, module, subject string) (registry.Subject, error) {
	sub, err := getSubject(ctx, s.r, module, subject)
	if err != nil {
		return sub, fmt.Errorf("get subject %s:%s: %w", module, subject, err)
	}
	return sub, nil
}

// ListSubjects implements registry.Store.
func (s *Store) ListSubjects(ctx context.Context, module string) ([]registry.Subject, error) {
	if _, err := s.GetModule(ctx, module); err != nil {
		return nil, fmt.Errorf("list subjects: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, selectSubject+` WHERE m.name = ? ORDER BY s.name`, module)
	if err != nil {
		return nil, fmt.Errorf("list subjects of %s: %w", module, err)
	}
	defer rows.Close()
	var out []registry.Subject
	for rows.Next() {
		sub, err := scanSubject(rows)
		if err != nil {
			return nil, fmt.Errorf("list subjects of %s: %w", module, err)
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list subjects of %s: %w", module, err)
	}
	return out, nil
}

// SetSubjectConfig implements registry.Store.
func (s *Store) SetSubjectConfig(ctx context.Context, r registry.SubjectConfigRequest) (registry.Subject, error) {
	if err := s.writable("set subject config"); err != nil {
		return registry.Subject{}, err
	}
	if err := r.Validate(); err != nil {
		return registry.Subject{}, fmt.Errorf("set subject config: %w", err)
	}
	return s.updateOverride(ctx, "set subject config", r.Module, r.Subject, `override_level = ?, override_use = ?, override_except = ?, override_by = ?, override_at = ?`,
		string(r.Compatibility.Level), encodeStrings(r.Compatibility.Use), encodeStrings(r.Compatibility.Except), r.Principal, toMicros(now()))
}

// ClearSubjectConfig implements registry.Store.
func (s *Store) ClearSubjectConfig(ctx context.Context, module, subject string) (registry.Subject, error) {
	if err := s.writable("clear subject config"); err != nil {
		return registry.Subject{}, err
	}
	return s.updateOverride(ctx, "clear subject config", module, subject,
		`override_level = NULL, override_use = NULL, override_except = NULL, override_by = NULL, override_at = NULL`)
}

// updateOverride sets the override columns of a subject with set and args
// and returns the subject.
func (s *Store) updateOverride(ctx context.Context, op, module, subject, set string, args ...any) (registry.Subject, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return registry.Subject{}, fmt.Errorf("%s %s:%s: %w", op, module, subject, err)
	}
	defer tx.Rollback()
	args = append(args, module, subject)
	if _, err := tx.ExecContext(ctx, `UPDATE subjects SET `+set+`
		WHERE module_id = (SELECT id FROM modules WHERE name = ?) AND name = ?`, args...); err != nil {
		return registry.Subject{}, fmt.Errorf("%s %s:%s: %w", op, module, subject, err)
	}
	sub, err := getSubject(ctx, tx, module, subject)
	if err != nil {
		return sub, fmt.Errorf("%s %s:%s: %w", op, module, subject, err)
	}
	if err := tx.Commit(); err != nil {
		return registry.Subject{}, fmt.Errorf("%s %s:%s: commit: %w", op, module, subject, err)
	}
	return sub, nil
}
