package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// selectSubject selects, from subjects s joined with modules m, the
// columns scanSubject reads.
const selectSubject = `SELECT m.name, s.name, s.kind, s.primary_key, s.level, s.use_rules, s.except_rules,
	s.first_version, s.last_version, s.override_level, s.override_use, s.override_except, s.override_by, s.override_at,
	s.retired_version, s.retired_by, s.retired_at, s.retired_reason
	FROM subjects s JOIN modules m ON m.id = s.module_id`

// scanSubject reads a row of selectSubject.
func scanSubject(row pgx.Row) (registry.Subject, error) {
	var s registry.Subject
	var kind, level string
	var oLevel, oBy *string
	var oUse, oExcept []string
	var oAt *time.Time
	var rVersion *int64
	var rBy, rReason *string
	var rAt *time.Time
	if err := row.Scan(&s.Module, &s.Name, &kind, &s.PrimaryKey, &level, &s.Pushed.Use, &s.Pushed.Except,
		&s.FirstVersion, &s.LastVersion, &oLevel, &oUse, &oExcept, &oBy, &oAt,
		&rVersion, &rBy, &rAt, &rReason); err != nil {
		return s, err
	}
	if rVersion != nil && s.LastVersion <= *rVersion {
		s.Retired = &registry.SubjectRetirement{Version: *rVersion}
		if rBy != nil {
			s.Retired.Principal = *rBy
		}
		if rAt != nil {
			s.Retired.At = rAt.UTC()
		}
		if rReason != nil {
			s.Retired.Reason = *rReason
		}
	}
	s.Kind = registry.SubjectKind(kind)
	s.Pushed.Level = registry.Level(level)
	s.PrimaryKey, s.Pushed.Use, s.Pushed.Except = nilIfEmpty(s.PrimaryKey), nilIfEmpty(s.Pushed.Use), nilIfEmpty(s.Pushed.Except)
	if oLevel != nil {
		s.Override = &registry.SubjectOverride{
			Compatibility: registry.Compatibility{Level: registry.Level(*oLevel), Use: nilIfEmpty(oUse), Except: nilIfEmpty(oExcept)},
		}
		if oBy != nil {
			s.Override.Principal = *oBy
		}
		if oAt != nil {
			s.Override.SetAt = oAt.UTC()
		}
	}
	return s, nil
}

// getSubject reads a subject through q.
func getSubject(ctx context.Context, q querier, module, subject string) (registry.Subject, error) {
	s, err := scanSubject(q.QueryRow(ctx, selectSubject+` WHERE m.name = $1 AND s.name = $2`, module, subject))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, registry.SubjectNotFound(module, subject)
	}
	return s, err
}

// GetSubject implements registry.Store.
func (s *Store) GetSubject(ctx context.Context, module, subject string) (registry.Subject, error) {
	sub, err := getSubject(ctx, s.pool, module, subject)
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
	rows, err := s.pool.Query(ctx, selectSubject+` WHERE m.name = $1 ORDER BY s.name`, module)
	if err != nil {
		return nil, fmt.Errorf("list subjects of %s: %w", module, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.Subject, error) { return scanSubject(r) })
	if err != nil {
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
	return s.updateOverride(ctx, "set subject config", r.Module, r.Subject,
		`override_level = $3, override_use = $4, override_except = $5, override_by = $6, override_at = $7`,
		string(r.Compatibility.Level), nonNil(r.Compatibility.Use), nonNil(r.Compatibility.Except), r.Principal, now())
}

// ClearSubjectConfig implements registry.Store.
func (s *Store) ClearSubjectConfig(ctx context.Context, module, subject string) (registry.Subject, error) {
	if err := s.writable("clear subject config"); err != nil {
		return registry.Subject{}, err
	}
	return s.updateOverride(ctx, "clear subject config", module, subject,
		`override_level = NULL, override_use = NULL, override_except = NULL, override_by = NULL, override_at = NULL`)
}

// updateOverride sets the override columns of a subject with set, whose
// parameters start at $3, and returns the subject.
func (s *Store) updateOverride(ctx context.Context, op, module, subject, set string, args ...any) (registry.Subject, error) {
	var sub registry.Subject
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE subjects SET `+set+`
			WHERE module_id = (SELECT id FROM modules WHERE name = $1) AND name = $2`,
			append([]any{module, subject}, args...)...); err != nil {
			return err
		}
		var err error
		sub, err = getSubject(ctx, tx, module, subject)
		return err
	})
	if err != nil {
		return registry.Subject{}, fmt.Errorf("%s %s:%s: %w", op, module, subject, err)
	}
	return sub, nil
}
