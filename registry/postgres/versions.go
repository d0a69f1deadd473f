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

// selectVersion selects, from versions v joined with modules m, the columns
// scanVersion reads.
const selectVersion = `SELECT m.name, v.number, v.digest, v.principal, v.created_at,
	v.build_commit, v.build_branch, v.build_ci_url, v.build_labels::text, v.file_count,
	v.deleted_at, v.deleted_by, v.deleted_reason, coalesce(v.promoted_from, 0), v.promote_reason
	FROM versions v JOIN modules m ON m.id = v.module_id`

// scanVersion reads a row of selectVersion.
func scanVersion(row pgx.Row) (registry.Version, error) {
	var v registry.Version
	var storedLabels string
	var deletedAt *time.Time
	var deletedBy, deletedReason *string
	if err := row.Scan(&v.Module, &v.Number, &v.Digest, &v.Principal, &v.CreatedAt,
		&v.Build.Commit, &v.Build.Branch, &v.Build.CIURL, &storedLabels, &v.FileCount,
		&deletedAt, &deletedBy, &deletedReason, &v.PromotedFrom, &v.PromoteReason); err != nil {
		return v, err
	}
	v.CreatedAt = v.CreatedAt.UTC()
	if deletedAt != nil {
		v.Deleted = &registry.VersionDeletion{At: deletedAt.UTC()}
		if deletedBy != nil {
			v.Deleted.Principal = *deletedBy
		}
		if deletedReason != nil {
			v.Deleted.Reason = *deletedReason
		}
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
	err = s.pool.QueryRow(ctx, `SELECT id, latest_version FROM modules WHERE name = $1`, module).Scan(&moduleID, &latest)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && latest == 0 {
		return 0, 0, registry.ModuleNotFound(module)
	}
	if err != nil {
		return 0, 0, err
	}
	if number == registry.LatestVersion {
		number = latest
	}
	if number > latest {
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
	v, err := scanVersion(s.pool.QueryRow(ctx, selectVersion+` WHERE v.module_id = $1 AND v.number = $2`, id, n))
	if errors.Is(err, pgx.ErrNoRows) {
		err = registry.VersionNotFound(module, n)
	}
	if err != nil {
		return v, fmt.Errorf("get version %s: %w", registry.VersionKey(module, number), err)
	}
	return v, nil
}

// GetVersionByDigest implements registry.Store.
func (s *Store) GetVersionByDigest(ctx context.Context, module, digest string) (registry.Version, error) {
	v, err := scanVersion(s.pool.QueryRow(ctx, selectVersion+` WHERE m.name = $1 AND v.digest = $2 ORDER BY v.number DESC LIMIT 1`, module, digest))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("get version by digest: %w", registry.DigestNotFound(module, digest))
	}
	if err != nil {
		return v, fmt.Errorf("get version %s@%s: %w", module, digest, err)
	}
	return v, nil
}

// ListVersions implements registry.Store. It pages backwards through the
// primary key (module_id, number).
func (s *Store) ListVersions(ctx context.Context, module string, page registry.PageRequest) (registry.Page[registry.Version], error) {
	out, err := registry.ListPageInt("versions", page, func(before int64, n int) ([]registry.Version, error) {
		id, latest, err := s.resolve(ctx, module, registry.LatestVersion)
		if err != nil {
			return nil, err
		}
		if before == 0 {
			before = latest + 1
		}
		rows, err := s.pool.Query(ctx, selectVersion+` WHERE v.module_id = $1 AND v.number < $2 ORDER BY v.number DESC LIMIT $3`, id, before, n)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.Version, error) { return scanVersion(r) })
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
	rows, err := s.pool.Query(ctx, `SELECT f.path, b.content FROM version_files f
		JOIN blobs b ON b.module_id = f.module_id AND b.digest = f.blob_digest
		WHERE f.module_id = $1 AND f.number = $2 ORDER BY f.path`, id, n)
	if err != nil {
		return nil, fmt.Errorf("get files of %s: %w", registry.VersionKey(module, n), err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.File, error) {
		var f registry.File
		err := r.Scan(&f.Path, &f.Content)
		f.Content = nonNilBytes(f.Content)
		return f, err
	})
	if err != nil {
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
	err = s.pool.QueryRow(ctx, `SELECT `+column+` FROM version_contents WHERE module_id = $1 AND number = $2`, id, n).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		err = registry.VersionNotFound(module, n)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, registry.VersionKey(module, n), err)
	}
	return nonNilBytes(b), nil
}
