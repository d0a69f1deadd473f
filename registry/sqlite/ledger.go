package sqlite

import (
	"context"
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
)

// Ledger implements registry.Store. It reads through the ledger's primary
// key, (subject_id, scope, kind, key).
func (s *Store) Ledger(ctx context.Context, q registry.LedgerQuery) ([]registry.LedgerEntry, error) {
	var subjectID int64
	if err := s.r.QueryRowContext(ctx, `SELECT s.id FROM subjects s JOIN modules m ON m.id = s.module_id
		WHERE m.name = ? AND s.name = ?`, q.Module, q.Subject).Scan(&subjectID); err != nil {
		if _, gerr := s.GetSubject(ctx, q.Module, q.Subject); gerr != nil {
			err = gerr
		}
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	query := `SELECT scope, kind, key, meaning, first_version FROM ledger WHERE subject_id = ?`
	args := []any{subjectID}
	if q.Scope != "" {
		query += ` AND scope = ?`
		args = append(args, q.Scope)
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY scope, kind, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("read ledger of %s:%s: %w", q.Module, q.Subject, err)
	}
	defer rows.Close()
	var out []registry.LedgerEntry
	for rows.Next() {
		e := registry.LedgerEntry{Subject: q.Subject}
		var kind string
		if err := rows.Scan(&e.Scope, &kind, &e.Key, &e.Meaning, &e.FirstVersion); err != nil {
			return nil, fmt.Errorf("read ledger of %s:%s: %w", q.Module, q.Subject, err)
		}
		e.Kind = registry.LedgerKind(kind)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ledger of %s:%s: %w", q.Module, q.Subject, err)
	}
	return out, nil
}
