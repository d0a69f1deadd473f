package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/internal/labels"
)

// CommitPush implements registry.Store with registry.CommitPushTx. The
// push is one READ COMMITTED transaction that locks the module's row
// before reading the digest and the baseline: a concurrent pusher of the
// module, in this process or another, waits for the lock, then sees this
// push committed (or not).
func (s *Store) CommitPush(ctx context.Context, c registry.PushCommit) (registry.Version, bool, error) {
	if err := s.writable("commit push " + c.Module); err != nil {
		return registry.Version{}, false, err
	}
	v, created, err := registry.CommitPushTx(ctx, c, s.runPushTx)
	return v, created, s.pool.busy(ctx, err, c.Module)
}

// runPushTx is the store's registry.PushTxRunner.
func (s *Store) runPushTx(ctx context.Context, fn func(registry.PushTx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&pushTx{tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// pushTx is a registry.PushTx over a READ COMMITTED transaction holding
// the module's row lock.
type pushTx struct {
	tx       pgx.Tx
	moduleID int64
}

// LockModule implements registry.PushTx with SELECT … FOR UPDATE; every
// statement after it sees the pushes committed before the lock was ours.
func (p *pushTx) LockModule(ctx context.Context, module string, create bool) (int64, bool, error) {
	if create {
		// If the row exists, or a concurrent push is creating it, this
		// waits and does nothing.
		if _, err := p.tx.Exec(ctx, `INSERT INTO modules (name, latest_version, created_at, updated_at) VALUES ($1, 0, $2, $2)
			ON CONFLICT (name) DO NOTHING`, module, now()); err != nil {
			return 0, false, fmt.Errorf("create module: %w", err)
		}
	}
	var latest int64
	err := p.tx.QueryRow(ctx, `SELECT id, latest_version FROM modules WHERE name = $1 FOR UPDATE`, module).Scan(&p.moduleID, &latest)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return latest, err == nil, err
}

// VersionByDigest implements registry.PushTx.
func (p *pushTx) VersionByDigest(ctx context.Context, digest string) (registry.Version, bool, error) {
	return found(scanVersion(p.tx.QueryRow(ctx, selectVersion+` WHERE v.module_id = $1 AND v.digest = $2 ORDER BY v.number DESC LIMIT 1`, p.moduleID, digest)))
}

// Version implements registry.PushTx.
func (p *pushTx) Version(ctx context.Context, number int64) (registry.Version, bool, error) {
	return found(scanVersion(p.tx.QueryRow(ctx, selectVersion+` WHERE v.module_id = $1 AND v.number = $2`, p.moduleID, number)))
}

// found turns a row's ErrNoRows into found == false.
func found[T any](x T, err error) (T, bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return x, false, nil
	}
	return x, err == nil, err
}

// InsertVersion implements registry.PushTx.
func (p *pushTx) InsertVersion(ctx context.Context, v registry.Version) error {
	var promoted *int64
	if v.PromotedFrom > 0 {
		promoted = &v.PromotedFrom
	}
	_, err := p.tx.Exec(ctx, `INSERT INTO versions (module_id, number, digest, principal, created_at,
		build_commit, build_branch, build_ci_url, build_labels, file_count, promoted_from, promote_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)`,
		p.moduleID, v.Number, v.Digest, v.Principal, v.CreatedAt,
		v.Build.Commit, v.Build.Branch, v.Build.CIURL, labels.Encode(v.Build.Labels), v.FileCount, promoted, v.PromoteReason)
	return err
}

// InsertFiles implements registry.PushTx in three statements.
func (p *pushTx) InsertFiles(ctx context.Context, number int64, files []registry.File, config, descriptorSet []byte) error {
	paths := make([]string, len(files))
	digests := make([]string, len(files))
	var blobDigests []string
	var blobContents [][]byte
	seen := make(map[string]bool, len(files))
	for i, f := range files {
		d := registry.BlobDigest(f.Content)
		paths[i], digests[i] = f.Path, d
		if !seen[d] {
			seen[d] = true
			blobDigests = append(blobDigests, d)
			blobContents = append(blobContents, nonNilBytes(f.Content))
		}
	}
	if _, err := p.tx.Exec(ctx, `INSERT INTO blobs (module_id, digest, content)
		SELECT $1, d, b FROM unnest($2::text[], $3::bytea[]) AS u(d, b) ON CONFLICT DO NOTHING`,
		p.moduleID, blobDigests, blobContents); err != nil {
		return fmt.Errorf("file contents: %w", err)
	}
	if _, err := p.tx.Exec(ctx, `INSERT INTO version_files (module_id, number, path, blob_digest)
		SELECT $1, $2, p, d FROM unnest($3::text[], $4::text[]) AS u(p, d)`,
		p.moduleID, number, paths, digests); err != nil {
		return err
	}
	if _, err := p.tx.Exec(ctx, `INSERT INTO version_contents (module_id, number, config, descriptor_set) VALUES ($1, $2, $3, $4)`,
		p.moduleID, number, nonNilBytes(config), nonNilBytes(descriptorSet)); err != nil {
		return fmt.Errorf("descriptor set and config: %w", err)
	}
	return nil
}

// UpsertSubjects implements registry.PushTx in one batch and one query.
func (p *pushTx) UpsertSubjects(ctx context.Context, number int64, specs []registry.SubjectSpec) (map[string]int64, error) {
	batch := &pgx.Batch{}
	for _, sp := range specs {
		batch.Queue(`INSERT INTO subjects (module_id, name, kind, primary_key, level, use_rules, except_rules, first_version, last_version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (module_id, name) DO UPDATE SET kind = excluded.kind, primary_key = excluded.primary_key,
				level = excluded.level, use_rules = excluded.use_rules, except_rules = excluded.except_rules,
				last_version = excluded.last_version`,
			p.moduleID, sp.Name, string(sp.Kind), nonNil(sp.PrimaryKey), string(sp.Compatibility.Level),
			nonNil(sp.Compatibility.Use), nonNil(sp.Compatibility.Except), number)
	}
	if len(specs) > 0 {
		if err := p.tx.SendBatch(ctx, batch).Close(); err != nil {
			return nil, err
		}
	}
	rows, err := p.tx.Query(ctx, `SELECT id, name FROM subjects WHERE module_id = $1`, p.moduleID)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]int64)
	var id int64
	var name string
	_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error {
		ids[name] = id
		return nil
	})
	return ids, err
}

// LedgerOf implements registry.PushTx in one query through the ledger's
// primary key.
func (p *pushTx) LedgerOf(ctx context.Context, subjectIDs []int64) ([]registry.LedgerRow, error) {
	rows, err := p.tx.Query(ctx, `SELECT subject_id, scope, kind, key, meaning, first_version FROM ledger WHERE subject_id = ANY($1)`, subjectIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (registry.LedgerRow, error) {
		var r registry.LedgerRow
		err := row.Scan(&r.SubjectID, &r.Scope, &r.Kind, &r.Key, &r.Meaning, &r.FirstVersion)
		return r, err
	})
}

// ledgerColumns returns rows as the arrays that unnest reads.
func ledgerColumns(rows []registry.LedgerRow) (ids []int64, scopes, kinds, keys, meanings []string) {
	n := len(rows)
	ids, scopes, kinds, keys, meanings = make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, r := range rows {
		ids[i], scopes[i], kinds[i], keys[i], meanings[i] = r.SubjectID, r.Scope, string(r.Kind), r.Key, r.Meaning
	}
	return ids, scopes, kinds, keys, meanings
}

// InsertLedger implements registry.PushTx in one statement.
func (p *pushTx) InsertLedger(ctx context.Context, number int64, rows []registry.LedgerRow) error {
	ids, scopes, kinds, keys, meanings := ledgerColumns(rows)
	_, err := p.tx.Exec(ctx, `INSERT INTO ledger (subject_id, scope, kind, key, meaning, first_version)
		SELECT subject_id, scope, kind, key, meaning, $6
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS i(subject_id, scope, kind, key, meaning)`,
		ids, scopes, kinds, keys, meanings, number)
	return err
}

// SetLedgerMeanings implements registry.PushTx in one statement.
func (p *pushTx) SetLedgerMeanings(ctx context.Context, rows []registry.LedgerRow) error {
	ids, scopes, kinds, keys, meanings := ledgerColumns(rows)
	_, err := p.tx.Exec(ctx, `UPDATE ledger l SET meaning = u.meaning
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(subject_id, scope, kind, key, meaning)
		WHERE l.subject_id = u.subject_id AND l.scope = u.scope AND l.kind = u.kind AND l.key = u.key`,
		ids, scopes, kinds, keys, meanings)
	return err
}

// ConsumeException implements registry.PushTx.
func (p *pushTx) ConsumeException(ctx context.Context, id int64, module, digest string, number int64, at time.Time) (bool, error) {
	tag, err := p.tx.Exec(ctx, `UPDATE exceptions SET used_version = $1, used_at = $2
		WHERE id = $3 AND module = $4 AND digest = $5 AND used_version IS NULL`, number, at, id, module, digest)
	return err == nil && tag.RowsAffected() == 1, err
}

// Exception implements registry.PushTx.
func (p *pushTx) Exception(ctx context.Context, id int64) (registry.Exception, bool, error) {
	return found(scanException(p.tx.QueryRow(ctx, selectException+` WHERE id = $1`, id)))
}

// InsertOutboxEvent implements registry.PushTx. It first takes
// outbox_consumers in SHARE mode, which waits for a registration in
// progress: every event is thus either fanned out to a consumer here or
// seen by its backfill.
func (p *pushTx) InsertOutboxEvent(ctx context.Context, e registry.OutboxEvent) error {
	if _, err := p.tx.Exec(ctx, `LOCK TABLE outbox_consumers IN SHARE MODE`); err != nil {
		return fmt.Errorf("lock outbox consumers: %w", err)
	}
	if err := p.tx.QueryRow(ctx, `INSERT INTO outbox (type, module, version, digest, payload, created_at) VALUES ($1, $2, $3, $4, $5::json, $6) RETURNING id`,
		e.Type, e.Module, e.Version, e.Digest, string(e.Payload), e.CreatedAt).Scan(&e.ID); err != nil {
		return err
	}
	if _, err := p.tx.Exec(ctx, `INSERT INTO outbox_deliveries (consumer, event_id) SELECT name, $1 FROM outbox_consumers`, e.ID); err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	return nil
}

// SetLatest implements registry.PushTx.
func (p *pushTx) SetLatest(ctx context.Context, number int64, at time.Time) error {
	_, err := p.tx.Exec(ctx, `UPDATE modules SET latest_version = $1, updated_at = $2 WHERE id = $3`, number, at, p.moduleID)
	return err
}
