package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/internal/labels"
)

// selectVersion selects, from versions v joined with modules m, the columns
// scanVersion reads.
const selectVersion = `SELECT m.name, v.number, v.digest, v.principal, v.created_at,
	v.build_commit, v.build_branch, v.build_ci_url, v.build_labels, v.file_count,
	v.deleted_at, v.deleted_by, v.deleted_reason, v.promoted_from, v.promote_reason
	FROM versions v JOIN modules m ON m.id = v.module_id`

// scanVersion reads a row of selectVersion.
func scanVersion(row interface{ Scan(...any) error }) (registry.Version, error) {
	var v registry.Version
	var created int64
	var storedLabels string
	var deletedAt, promoted sql.NullInt64
	var deletedBy, deletedReason sql.NullString
	if err := row.Scan(&v.Module, &v.Number, &v.Digest, &v.Principal, &created,
		&v.Build.Commit, &v.Build.Branch, &v.Build.CIURL, &storedLabels, &v.FileCount,
		&deletedAt, &deletedBy, &deletedReason, &promoted, &v.PromoteReason); err != nil {
		return v, err
	}
	v.PromotedFrom = promoted.Int64
	v.CreatedAt = fromMicros(created)
	if deletedAt.Valid {
		v.Deleted = &registry.VersionDeletion{Reason: deletedReason.String, Principal: deletedBy.String, At: fromMicros(deletedAt.Int64)}
	}
	var err error
	v.Build.Labels, err = labels.Decode(storedLabels)
	return v, err
}

// resolve returns the ID of module and the number of its version number
// (LatestVersion: its latest), or a *registry.NotFoundError.
func (s *Store) resolve(ctx context.Context, module string, number int64) (moduleID, resolved int64, err error) {
	if number < 0 {
		return 0, 0, &registry.InvalidArgumentError{Field: "version", Problem: fmt.Sprintf("version %d is negative", number)}
	}
	var latest int64
	err = s.r.QueryRowContext(ctx, `SELECT id, latest_version FROM modules WHERE name = ?`, module).Scan(&moduleID, &latest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, registry.ModuleNotFound(module)
	}
	if err != nil {
		return 0, 0, err
	}
	if number == registry.LatestVersion {
		number = latest
	}
	if number == 0 || number > latest {
		return 0, 0, registry.VersionNotFound(module, number)
	}
	return moduleID, number, nil
}

// GetVersion implements registry.Store.
func (s *Store) GetVersion(ctx context.Context, module string, number int64) (registry.Version, error) {
	id, n, err := s.resolve(ctx, module, number)
	if err != nil {
		return registry.Version{}, fmt.Errorf("get version %s: %w", registry.VersionKey(module, number), err)
	}
	v, err := scanVersion(s.r.QueryRowContext(ctx, selectVersion+` WHERE v.module_id = ? AND v.number = ?`, id, n))
	if errors.Is(err, sql.ErrNoRows) {
		err = registry.VersionNotFound(module, n)
	}
	if err != nil {
		return v, fmt.Errorf("get version %s: %w", registry.VersionKey(module, number), err)
	}
	return v, nil
}

// GetVersionByDigest implements registry.Store.
func (s *Store) GetVersionByDigest(ctx context.Context, module, digest string) (registry.Version, error) {
	v, err := scanVersion(s.r.QueryRowContext(ctx, selectVersion+` WHERE m.name = ? AND v.digest = ? ORDER BY v.number DESC LIMIT 1`, module, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("get version by digest: %w", registry.DigestNotFound(module, digest))
	}
	if err != nil {
		return v, fmt.Errorf("get version %s@%s: %w", module, digest, err)
	}
	return v, nil
}

// ListVersions implements registry.Store.
func (s *Store) ListVersions(ctx context.Context, module string, page registry.PageRequest) (registry.Page[registry.Version], error) {
	out, err := registry.ListPageInt("versions", page, func(before int64, n int) ([]registry.Version, error) {
		id, latest, err := s.resolve(ctx, module, registry.LatestVersion)
		var nf *registry.NotFoundError
		if errors.As(err, &nf) && nf.Kind == "version" {
			return nil, nil // a module without versions has an empty list
		}
		if err != nil {
			return nil, err
		}
		if before == 0 {
			before = latest + 1
		}
		rows, err := s.r.QueryContext(ctx, selectVersion+` WHERE v.module_id = ? AND v.number < ? ORDER BY v.number DESC LIMIT ?`, id, before, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var items []registry.Version
		for rows.Next() {
			v, err := scanVersion(rows)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, rows.Err()
	}, func(v registry.Version) int64 { return v.Number })
	if err != nil {
		return out, fmt.Errorf("list versions of %s: %w", module, err)
	}
	return out, nil
}

// GetFiles implements registry.Store.
func (s *Store) GetFiles(ctx context.Context, module string, number int64) ([]registry.File, error) {
	id, n, err := s.resolve(ctx, module, number)
	if err != nil {
		return nil, fmt.Errorf("get files of %s: %w", registry.VersionKey(module, number), err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT f.path, b.content FROM version_files f
		JOIN blobs b ON b.module_id = f.module_id AND b.digest = f.blob_digest
		WHERE f.module_id = ? AND f.number = ? ORDER BY f.path`, id, n)
	if err != nil {
		return nil, fmt.Errorf("get files of %s: %w", registry.VersionKey(module, n), err)
	}
	defer rows.Close()
	var out []registry.File
	for rows.Next() {
		var f registry.File
		if err := rows.Scan(&f.Path, &f.Content); err != nil {
			return nil, fmt.Errorf("get files of %s: %w", registry.VersionKey(module, n), err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get files of %s: %w", registry.VersionKey(module, n), err)
	}
	return out, nil
}

// GetDescriptorSet implements registry.Store.
func (s *Store) GetDescriptorSet(ctx context.Context, module string, number int64) ([]byte, error) {
	return s.content(ctx, "descriptor_set", "get descriptor set of", module, number)
}

// GetConfig implements registry.Store.
func (s *Store) GetConfig(ctx context.Context, module string, number int64) ([]byte, error) {
	return s.content(ctx, "config", "get config of", module, number)
}

// content reads column (a constant) of a version's version_contents row.
func (s *Store) content(ctx context.Context, column, op, module string, number int64) ([]byte, error) {
	id, n, err := s.resolve(ctx, module, number)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, registry.VersionKey(module, number), err)
	}
	var b []byte
	err = s.r.QueryRowContext(ctx, `SELECT `+column+` FROM version_contents WHERE module_id = ? AND number = ?`, id, n).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		err = registry.VersionNotFound(module, n)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, registry.VersionKey(module, n), err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}
