package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/internal/txhook"
)

// CommitPush implements registry.Store. The push is one READ COMMITTED
// transaction that locks the module's row before reading the digest and
// the baseline: a concurrent pusher of the module, in this process or
// another, waits for the lock, then sees this push committed (or not).
func (s *Store) CommitPush(ctx context.Context, c registry.PushCommit) (registry.Version, bool, error) {
	if err := s.writable("commit push " + c.Module); err != nil {
		return registry.Version{}, false, err
	}
	v, created, err := registry.CommitPushFrame(ctx, &c, s.GetVersionByDigest, s.commitPush)
	return v, created, s.pool.busy(ctx, err, c.Module)
}

// commitPush runs CommitPush's transaction.
func (s *Store) commitPush(ctx context.Context, c *registry.PushCommit) (registry.Version, bool, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return registry.Version{}, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	txhook.Run(ctx, txhook.AfterBegin)
	at := now()

	if c.BaseVersion == 0 {
		// A new module's row; if it exists, or a concurrent push is
		// creating it, this waits and does nothing.
		if _, err := tx.Exec(ctx, `INSERT INTO modules (name, latest_version, created_at, updated_at) VALUES ($1, 0, $2, $2)
			ON CONFLICT (name) DO NOTHING`, c.Module, at); err != nil {
			return registry.Version{}, false, fmt.Errorf("create module: %w", err)
		}
	}
	var moduleID, latest int64
	err = tx.QueryRow(ctx, `SELECT id, latest_version FROM modules WHERE name = $1 FOR UPDATE`, c.Module).Scan(&moduleID, &latest)
	if errors.Is(err, pgx.ErrNoRows) {
		return registry.Version{}, false, &registry.StaleBaselineError{Module: c.Module, BaseVersion: c.BaseVersion}
	}
	if err != nil {
		return registry.Version{}, false, fmt.Errorf("lock module: %w", err)
	}
	txhook.Run(ctx, txhook.AfterModuleLock)

	// Under the module's lock, with a fresh snapshot: the digest and
	// baseline checks see every push committed before the lock was ours.
	existing, err := scanVersion(tx.QueryRow(ctx, selectVersion+` WHERE v.module_id = $1 AND v.digest = $2`, moduleID, c.Digest))
	switch {
	case err == nil:
		return existing, false, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return registry.Version{}, false, fmt.Errorf("look up digest: %w", err)
	}
	if latest != c.BaseVersion {
		return registry.Version{}, false, &registry.StaleBaselineError{Module: c.Module, BaseVersion: c.BaseVersion, Latest: latest}
	}

	v := registry.Version{
		Module:    c.Module,
		Number:    c.BaseVersion + 1,
		Digest:    c.Digest,
		Principal: c.Principal,
		CreatedAt: at,
		Build:     c.Build,
		FileCount: len(c.Files),
	}
	if _, err := tx.Exec(ctx, `INSERT INTO versions (module_id, number, digest, principal, created_at,
		build_commit, build_branch, build_ci_url, build_labels, file_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)`,
		moduleID, v.Number, v.Digest, v.Principal, at,
		c.Build.Commit, c.Build.Branch, c.Build.CIURL, encodeLabels(c.Build.Labels), v.FileCount); err != nil {
		return registry.Version{}, false, fmt.Errorf("insert version %d: %w", v.Number, err)
	}
	txhook.Run(ctx, txhook.AfterVersion)

	if err := insertFiles(ctx, tx, moduleID, v.Number, c); err != nil {
		return registry.Version{}, false, err
	}
	txhook.Run(ctx, txhook.AfterFiles)

	subjectIDs, err := upsertSubjects(ctx, tx, moduleID, v.Number, c.Subjects)
	if err != nil {
		return registry.Version{}, false, err
	}
	txhook.Run(ctx, txhook.AfterSubjects)

	if err := insertLedger(ctx, tx, subjectIDs, v.Number, c.DedupLedger()); err != nil {
		return registry.Version{}, false, err
	}
	txhook.Run(ctx, txhook.AfterLedger)

	if err := consumeExceptions(ctx, tx, c, v.Number, at); err != nil {
		return registry.Version{}, false, err
	}
	if err := insertOutbox(ctx, tx, v, at); err != nil {
		return registry.Version{}, false, err
	}
	txhook.Run(ctx, txhook.AfterOutbox)

	if _, err := tx.Exec(ctx, `UPDATE modules SET latest_version = $1, updated_at = $2 WHERE id = $3`, v.Number, at, moduleID); err != nil {
		return registry.Version{}, false, fmt.Errorf("advance latest version: %w", err)
	}
	txhook.Run(ctx, txhook.BeforeCommit)
	if err := tx.Commit(ctx); err != nil {
		return registry.Version{}, false, fmt.Errorf("commit: %w", err)
	}
	return v, true, nil
}

// insertFiles writes a version's files, deduplicating their contents, and
// its config and descriptor set, in three statements.
func insertFiles(ctx context.Context, tx pgx.Tx, moduleID, number int64, c *registry.PushCommit) error {
	paths := make([]string, len(c.Files))
	digests := make([]string, len(c.Files))
	var blobDigests []string
	var blobContents [][]byte
	seen := make(map[string]bool, len(c.Files))
	for i, f := range c.Files {
		d := registry.BlobDigest(f.Content)
		paths[i], digests[i] = f.Path, d
		if !seen[d] {
			seen[d] = true
			blobDigests = append(blobDigests, d)
			blobContents = append(blobContents, nonNilBytes(f.Content))
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO blobs (module_id, digest, content)
		SELECT $1, d, b FROM unnest($2::text[], $3::bytea[]) AS u(d, b) ON CONFLICT DO NOTHING`,
		moduleID, blobDigests, blobContents); err != nil {
		return fmt.Errorf("insert file contents: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO version_files (module_id, number, path, blob_digest)
		SELECT $1, $2, p, d FROM unnest($3::text[], $4::text[]) AS u(p, d)`,
		moduleID, number, paths, digests); err != nil {
		return fmt.Errorf("insert files: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO version_contents (module_id, number, config, descriptor_set) VALUES ($1, $2, $3, $4)`,
		moduleID, number, nonNilBytes(c.Config), nonNilBytes(c.DescriptorSet)); err != nil {
		return fmt.Errorf("insert descriptor set and config: %w", err)
	}
	return nil
}

// upsertSubjects records the pushed subjects — creating new ones, updating
// the pushed configuration of existing ones, never touching overrides — and
// returns the IDs of all the module's subjects by name.
func upsertSubjects(ctx context.Context, tx pgx.Tx, moduleID, number int64, specs []registry.SubjectSpec) (map[string]int64, error) {
	batch := &pgx.Batch{}
	for _, sp := range specs {
		batch.Queue(`INSERT INTO subjects (module_id, name, kind, primary_key, level, use_rules, except_rules, first_version, last_version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (module_id, name) DO UPDATE SET kind = excluded.kind, primary_key = excluded.primary_key,
				level = excluded.level, use_rules = excluded.use_rules, except_rules = excluded.except_rules,
				last_version = excluded.last_version`,
			moduleID, sp.Name, string(sp.Kind), nonNil(sp.PrimaryKey), string(sp.Compatibility.Level),
			nonNil(sp.Compatibility.Use), nonNil(sp.Compatibility.Except), number)
	}
	if len(specs) > 0 {
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return nil, fmt.Errorf("upsert subjects: %w", err)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, name FROM subjects WHERE module_id = $1`, moduleID)
	if err != nil {
		return nil, fmt.Errorf("read subject IDs: %w", err)
	}
	ids := make(map[string]int64)
	var id int64
	var name string
	if _, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error {
		ids[name] = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read subject IDs: %w", err)
	}
	return ids, nil
}

// insertLedger adds the ledger entries that are new and gives known keys
// their new meaning, keeping their first version; rows whose meaning is
// unchanged are not written.
func insertLedger(ctx context.Context, tx pgx.Tx, subjectIDs map[string]int64, number int64, entries []registry.LedgerEntry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	ids, scopes, kinds, keys, meanings := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range entries {
		id, ok := subjectIDs[e.Subject]
		if !ok {
			return &registry.InvalidArgumentError{Field: fmt.Sprintf("ledger[%d].subject", i),
				Problem: fmt.Sprintf("subject %s is neither declared by the push nor known to the module", e.Subject)}
		}
		ids[i], scopes[i], kinds[i], keys[i], meanings[i] = id, e.Scope, string(e.Kind), e.Key, e.Meaning
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ledger (subject_id, scope, kind, key, meaning, first_version)
		SELECT subject_id, scope, kind, key, meaning, $6
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS i(subject_id, scope, kind, key, meaning)
		ON CONFLICT (subject_id, scope, kind, key) DO UPDATE SET meaning = EXCLUDED.meaning
		WHERE ledger.meaning <> EXCLUDED.meaning`,
		ids, scopes, kinds, keys, meanings, number); err != nil {
		return fmt.Errorf("insert ledger: %w", err)
	}
	return nil
}

// consumeExceptions marks the push's exceptions used by version number, or
// fails with a *registry.ExceptionUnavailableError.
func consumeExceptions(ctx context.Context, tx pgx.Tx, c *registry.PushCommit, number int64, at time.Time) error {
	for _, id := range c.Exceptions {
		tag, err := tx.Exec(ctx, `UPDATE exceptions SET used_version = $1, used_at = $2
			WHERE id = $3 AND module = $4 AND digest = $5 AND used_version IS NULL`, number, at, id, c.Module, c.Digest)
		if err != nil {
			return fmt.Errorf("consume exception %d: %w", id, err)
		}
		if tag.RowsAffected() == 1 {
			continue
		}
		e, err := scanException(tx.QueryRow(ctx, selectException+` WHERE id = $1`, id))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return registry.NewExceptionUnavailableError(id, nil, c)
		case err != nil:
			return fmt.Errorf("consume exception %d: %w", id, err)
		}
		return registry.NewExceptionUnavailableError(id, &e, c)
	}
	return nil
}
