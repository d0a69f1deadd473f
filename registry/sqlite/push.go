package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/internal/labels"
)

// CommitPush implements registry.Store with registry.CommitPushTx. The
// whole push is one BEGIN IMMEDIATE transaction: it holds the database's
// write lock from its first statement, so the digest and baseline it reads
// cannot change before it commits.
func (s *Store) CommitPush(ctx context.Context, c registry.PushCommit) (registry.Version, bool, error) {
	if err := s.writable("commit push " + c.Module); err != nil {
		return registry.Version{}, false, err
	}
	return registry.CommitPushTx(ctx, c, s.runPushTx)
}

// runPushTx is the store's registry.PushTxRunner.
func (s *Store) runPushTx(ctx context.Context, fn func(registry.PushTx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&pushTx{tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// pushTx is a registry.PushTx over a BEGIN IMMEDIATE transaction.
type pushTx struct {
	tx       *sql.Tx
	moduleID int64
}

// LockModule implements registry.PushTx: the transaction holds the write
// lock already.
func (p *pushTx) LockModule(ctx context.Context, module string, create bool) (int64, bool, error) {
	var latest int64
	err := p.tx.QueryRowContext(ctx, `SELECT id, latest_version FROM modules WHERE name = ?`, module).Scan(&p.moduleID, &latest)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		at := toMicros(now())
		err = p.tx.QueryRowContext(ctx, `INSERT INTO modules (name, latest_version, created_at, updated_at) VALUES (?, 0, ?, ?) RETURNING id`,
			module, at, at).Scan(&p.moduleID)
		return 0, err == nil, err
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	}
	return latest, err == nil, err
}

// VersionByDigest implements registry.PushTx.
func (p *pushTx) VersionByDigest(ctx context.Context, digest string) (registry.Version, bool, error) {
	return found(scanVersion(p.tx.QueryRowContext(ctx, selectVersion+` WHERE v.module_id = ? AND v.digest = ? ORDER BY v.number DESC LIMIT 1`, p.moduleID, digest)))
}

// Version implements registry.PushTx.
func (p *pushTx) Version(ctx context.Context, number int64) (registry.Version, bool, error) {
	return found(scanVersion(p.tx.QueryRowContext(ctx, selectVersion+` WHERE v.module_id = ? AND v.number = ?`, p.moduleID, number)))
}

// found turns a row's ErrNoRows into found == false.
func found[T any](x T, err error) (T, bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return x, false, nil
	}
	return x, err == nil, err
}

// InsertVersion implements registry.PushTx.
func (p *pushTx) InsertVersion(ctx context.Context, v registry.Version) error {
	var promoted sql.NullInt64
	if v.PromotedFrom > 0 {
		promoted = sql.NullInt64{Int64: v.PromotedFrom, Valid: true}
	}
	_, err := p.tx.ExecContext(ctx, `INSERT INTO versions (module_id, number, digest, principal, created_at,
		build_commit, build_branch, build_ci_url, build_labels, file_count, promoted_from, promote_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.moduleID, v.Number, v.Digest, v.Principal, toMicros(v.CreatedAt),
		v.Build.Commit, v.Build.Branch, v.Build.CIURL, labels.Encode(v.Build.Labels), v.FileCount, promoted, v.PromoteReason)
	return err
}

// InsertFiles implements registry.PushTx.
func (p *pushTx) InsertFiles(ctx context.Context, number int64, files []registry.File, config, descriptorSet []byte) error {
	blob, err := p.tx.PrepareContext(ctx, `INSERT INTO blobs (module_id, digest, content) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer blob.Close()
	file, err := p.tx.PrepareContext(ctx, `INSERT INTO version_files (module_id, number, path, blob_digest) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer file.Close()
	for _, f := range files {
		d := registry.BlobDigest(f.Content)
		if _, err := blob.ExecContext(ctx, p.moduleID, d, nonNilBytes(f.Content)); err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
		if _, err := file.ExecContext(ctx, p.moduleID, number, f.Path, d); err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
	}
	if _, err := p.tx.ExecContext(ctx, `INSERT INTO version_contents (module_id, number, config, descriptor_set) VALUES (?, ?, ?, ?)`,
		p.moduleID, number, nonNilBytes(config), nonNilBytes(descriptorSet)); err != nil {
		return fmt.Errorf("descriptor set and config: %w", err)
	}
	return nil
}

// UpsertSubjects implements registry.PushTx.
func (p *pushTx) UpsertSubjects(ctx context.Context, number int64, specs []registry.SubjectSpec) (map[string]int64, error) {
	for _, sp := range specs {
		if _, err := p.tx.ExecContext(ctx, `INSERT INTO subjects (module_id, name, kind, primary_key, level, use_rules, except_rules, first_version, last_version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (module_id, name) DO UPDATE SET kind = excluded.kind, primary_key = excluded.primary_key,
				level = excluded.level, use_rules = excluded.use_rules, except_rules = excluded.except_rules,
				last_version = excluded.last_version`,
			p.moduleID, sp.Name, string(sp.Kind), encodeStrings(sp.PrimaryKey), string(sp.Compatibility.Level),
			encodeStrings(sp.Compatibility.Use), encodeStrings(sp.Compatibility.Except), number, number); err != nil {
			return nil, fmt.Errorf("subject %s: %w", sp.Name, err)
		}
	}
	rows, err := p.tx.QueryContext(ctx, `SELECT id, name FROM subjects WHERE module_id = ?`, p.moduleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make(map[string]int64)
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		ids[name] = id
	}
	return ids, rows.Err()
}

// LedgerOf implements registry.PushTx, through the ledger's primary key.
func (p *pushTx) LedgerOf(ctx context.Context, subjectIDs []int64) ([]registry.LedgerRow, error) {
	var out []registry.LedgerRow
	for _, id := range subjectIDs {
		rows, err := p.tx.QueryContext(ctx, `SELECT scope, kind, key, meaning, first_version FROM ledger WHERE subject_id = ?`, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r := registry.LedgerRow{SubjectID: id}
			if err := rows.Scan(&r.Scope, &r.Kind, &r.Key, &r.Meaning, &r.FirstVersion); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertLedger implements registry.PushTx.
func (p *pushTx) InsertLedger(ctx context.Context, number int64, rows []registry.LedgerRow) error {
	ins, err := p.tx.PrepareContext(ctx, `INSERT INTO ledger (subject_id, scope, kind, key, meaning, first_version) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, r := range rows {
		if _, err := ins.ExecContext(ctx, r.SubjectID, r.Scope, string(r.Kind), r.Key, r.Meaning, number); err != nil {
			return fmt.Errorf("entry %s: %w", r.LedgerEntry, err)
		}
	}
	return nil
}

// SetLedgerMeanings implements registry.PushTx.
func (p *pushTx) SetLedgerMeanings(ctx context.Context, rows []registry.LedgerRow) error {
	for _, r := range rows {
		if _, err := p.tx.ExecContext(ctx, `UPDATE ledger SET meaning = ? WHERE subject_id = ? AND scope = ? AND kind = ? AND key = ?`,
			r.Meaning, r.SubjectID, r.Scope, string(r.Kind), r.Key); err != nil {
			return fmt.Errorf("entry %s: %w", r.LedgerEntry, err)
		}
	}
	return nil
}

// ConsumeException implements registry.PushTx.
func (p *pushTx) ConsumeException(ctx context.Context, id int64, module, digest string, number int64, at time.Time) (bool, error) {
	res, err := p.tx.ExecContext(ctx, `UPDATE exceptions SET used_version = ?, used_at = ?
		WHERE id = ? AND module = ? AND digest = ? AND used_version IS NULL`, number, toMicros(at), id, module, digest)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Exception implements registry.PushTx.
func (p *pushTx) Exception(ctx context.Context, id int64) (registry.Exception, bool, error) {
	return found(scanException(p.tx.QueryRowContext(ctx, selectException+` WHERE id = ?`, id)))
}

// InsertOutboxEvent implements registry.PushTx.
func (p *pushTx) InsertOutboxEvent(ctx context.Context, e registry.OutboxEvent) error {
	if err := p.tx.QueryRowContext(ctx, `INSERT INTO outbox (type, module, version, digest, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Type, e.Module, e.Version, e.Digest, e.Payload, toMicros(e.CreatedAt)).Scan(&e.ID); err != nil {
		return err
	}
	if _, err := p.tx.ExecContext(ctx, `INSERT INTO outbox_deliveries (consumer, event_id) SELECT name, ? FROM outbox_consumers`, e.ID); err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	return nil
}

// SetLatest implements registry.PushTx.
func (p *pushTx) SetLatest(ctx context.Context, number int64, at time.Time) error {
	_, err := p.tx.ExecContext(ctx, `UPDATE modules SET latest_version = ?, updated_at = ? WHERE id = ?`, number, toMicros(at), p.moduleID)
	return err
}

// nonNilBytes returns b, or an empty slice for nil: BLOB columns are NOT
// NULL.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
