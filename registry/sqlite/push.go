package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/internal/txhook"
)

// CommitPush implements registry.Store. The whole push is one BEGIN
// IMMEDIATE transaction: it holds the database's write lock from its first
// statement, so the digest and baseline it reads cannot change before it
// commits.
func (s *Store) CommitPush(ctx context.Context, c registry.PushCommit) (registry.Version, bool, error) {
	if err := s.writable("commit push " + c.Module); err != nil {
		return registry.Version{}, false, err
	}
	return registry.CommitPushFrame(ctx, &c, s.GetVersionByDigest, s.commitPush)
}

// commitPush runs CommitPush's transaction.
func (s *Store) commitPush(ctx context.Context, c *registry.PushCommit) (registry.Version, bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return registry.Version{}, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	txhook.Run(ctx, txhook.AfterBegin)
	at := now()

	var moduleID, latest int64
	err = tx.QueryRowContext(ctx, `SELECT id, latest_version FROM modules WHERE name = ?`, c.Module).Scan(&moduleID, &latest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if c.BaseVersion != 0 {
			return registry.Version{}, false, &registry.StaleBaselineError{Module: c.Module, BaseVersion: c.BaseVersion}
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO modules (name, latest_version, created_at, updated_at) VALUES (?, 0, ?, ?) RETURNING id`,
			c.Module, toMicros(at), toMicros(at)).Scan(&moduleID)
		if err != nil {
			return registry.Version{}, false, fmt.Errorf("create module: %w", err)
		}
	case err != nil:
		return registry.Version{}, false, fmt.Errorf("read module: %w", err)
	}
	txhook.Run(ctx, txhook.AfterModuleLock)

	// Under the write lock: the digest check and the baseline check see
	// every committed push.
	existing, err := scanVersion(tx.QueryRowContext(ctx, selectVersion+` WHERE v.module_id = ? AND v.digest = ?`, moduleID, c.Digest))
	switch {
	case err == nil:
		return existing, false, nil
	case !errors.Is(err, sql.ErrNoRows):
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO versions (module_id, number, digest, principal, created_at,
		build_commit, build_branch, build_ci_url, build_labels, file_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		moduleID, v.Number, v.Digest, v.Principal, toMicros(at),
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

	if _, err := tx.ExecContext(ctx, `UPDATE modules SET latest_version = ?, updated_at = ? WHERE id = ?`,
		v.Number, toMicros(at), moduleID); err != nil {
		return registry.Version{}, false, fmt.Errorf("advance latest version: %w", err)
	}
	txhook.Run(ctx, txhook.BeforeCommit)
	if err := tx.Commit(); err != nil {
		return registry.Version{}, false, fmt.Errorf("commit: %w", err)
	}
	return v, true, nil
}

// insertFiles writes a version's files, deduplicating their contents, and
// its config and descriptor set.
func insertFiles(ctx context.Context, tx *sql.Tx, moduleID, number int64, c *registry.PushCommit) error {
	blob, err := tx.PrepareContext(ctx, `INSERT INTO blobs (module_id, digest, content) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert files: %w", err)
	}
	defer blob.Close()
	file, err := tx.PrepareContext(ctx, `INSERT INTO version_files (module_id, number, path, blob_digest) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("insert files: %w", err)
	}
	defer file.Close()
	for _, f := range c.Files {
		d := registry.BlobDigest(f.Content)
		content := f.Content
		if content == nil {
			content = []byte{}
		}
		if _, err := blob.ExecContext(ctx, moduleID, d, content); err != nil {
			return fmt.Errorf("insert file %s: %w", f.Path, err)
		}
		if _, err := file.ExecContext(ctx, moduleID, number, f.Path, d); err != nil {
			return fmt.Errorf("insert file %s: %w", f.Path, err)
		}
	}
	config, set := c.Config, c.DescriptorSet
	if config == nil {
		config = []byte{}
	}
	if set == nil {
		set = []byte{}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO version_contents (module_id, number, config, descriptor_set) VALUES (?, ?, ?, ?)`,
		moduleID, number, config, set); err != nil {
		return fmt.Errorf("insert descriptor set and config: %w", err)
	}
	return nil
}

// upsertSubjects records the pushed subjects — creating new ones, updating
// the pushed configuration of existing ones, never touching overrides — and
// returns the IDs of all the module's subjects by name.
func upsertSubjects(ctx context.Context, tx *sql.Tx, moduleID, number int64, specs []registry.SubjectSpec) (map[string]int64, error) {
	for _, sp := range specs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subjects (module_id, name, kind, primary_key, level, use_rules, except_rules, first_version, last_version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (module_id, name) DO UPDATE SET kind = excluded.kind, primary_key = excluded.primary_key,
				level = excluded.level, use_rules = excluded.use_rules, except_rules = excluded.except_rules,
				last_version = excluded.last_version`,
			moduleID, sp.Name, string(sp.Kind), encodeStrings(sp.PrimaryKey), string(sp.Compatibility.Level),
			encodeStrings(sp.Compatibility.Use), encodeStrings(sp.Compatibility.Except), number, number); err != nil {
			return nil, fmt.Errorf("upsert subject %s: %w", sp.Name, err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM subjects WHERE module_id = ?`, moduleID)
	if err != nil {
		return nil, fmt.Errorf("read subject IDs: %w", err)
	}
	defer rows.Close()
	ids := make(map[string]int64)
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("read subject IDs: %w", err)
		}
		ids[name] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read subject IDs: %w", err)
	}
	return ids, nil
}

// insertLedger adds the ledger entries that are new and gives known keys
// their new meaning, keeping their first version. It reads the ledgers of
// the subjects involved through the primary key, then writes only what
// changed: a push that repeats known keys costs reads, not writes.
func insertLedger(ctx context.Context, tx *sql.Tx, subjectIDs map[string]int64, number int64, entries []registry.LedgerEntry) error {
	if len(entries) == 0 {
		return nil
	}
	type key struct {
		subject          int64
		scope, kind, key string
	}
	known := make(map[key]registry.LedgerEntry)
	loaded := make(map[int64]bool)
	for i, e := range entries {
		id, ok := subjectIDs[e.Subject]
		if !ok {
			return &registry.InvalidArgumentError{Field: fmt.Sprintf("ledger[%d].subject", i),
				Problem: fmt.Sprintf("subject %s is neither declared by the push nor known to the module", e.Subject)}
		}
		if loaded[id] {
			continue
		}
		loaded[id] = true
		rows, err := tx.QueryContext(ctx, `SELECT scope, kind, key, meaning, first_version FROM ledger WHERE subject_id = ?`, id)
		if err != nil {
			return fmt.Errorf("read ledger of %s: %w", e.Subject, err)
		}
		for rows.Next() {
			x := registry.LedgerEntry{Subject: e.Subject}
			if err := rows.Scan(&x.Scope, &x.Kind, &x.Key, &x.Meaning, &x.FirstVersion); err != nil {
				rows.Close()
				return fmt.Errorf("read ledger of %s: %w", e.Subject, err)
			}
			known[key{id, x.Scope, string(x.Kind), x.Key}] = x
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read ledger of %s: %w", e.Subject, err)
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO ledger (subject_id, scope, kind, key, meaning, first_version) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("insert ledger: %w", err)
	}
	defer ins.Close()
	for _, e := range entries {
		id := subjectIDs[e.Subject]
		if x, ok := known[key{id, e.Scope, string(e.Kind), e.Key}]; ok {
			if x.Meaning != e.Meaning {
				if _, err := tx.ExecContext(ctx, `UPDATE ledger SET meaning = ? WHERE subject_id = ? AND scope = ? AND kind = ? AND key = ?`,
					e.Meaning, id, e.Scope, string(e.Kind), e.Key); err != nil {
					return fmt.Errorf("update ledger entry %s: %w", e, err)
				}
			}
			continue
		}
		if _, err := ins.ExecContext(ctx, id, e.Scope, string(e.Kind), e.Key, e.Meaning, number); err != nil {
			return fmt.Errorf("insert ledger entry %s: %w", e, err)
		}
	}
	return nil
}
