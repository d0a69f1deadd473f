package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// Ledger implements registry.Store. It reads through the ledger's primary
// key, (subject_id, scope, kind, key).
func (s *Store) Ledger(ctx context.Context, q registry.LedgerQuery) ([]registry.LedgerEntry, error) {
	var subjectID int64
	if err := s.pool.QueryRow(ctx, `SELECT s.id FROM subjects s JOIN modules m ON m.id = s.module_id
		WHERE m.name = $1 AND s.name = $2`, q.Module, q.Subject).Scan(&subjectID); err != nil {
		if _, gerr := s.GetSubject(ctx, q.Module, q.Subject); gerr != nil {
			err = gerr
		}
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT scope, kind, key, meaning, first_version FROM ledger
		WHERE subject_id = $1 AND ($2 = '' OR scope = $2) ORDER BY scope, kind, key`, subjectID, q.Scope)
	if err != nil {
		return nil, fmt.Errorf("read ledger of %s:%s: %w", q.Module, q.Subject, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.LedgerEntry, error) {
		e := registry.LedgerEntry{Subject: q.Subject}
		err := r.Scan(&e.Scope, &e.Kind, &e.Key, &e.Meaning, &e.FirstVersion)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read ledger of %s:%s: %w", q.Module, q.Subject, err)
	}
	return out, nil
}
