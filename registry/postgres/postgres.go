// Package postgres is the registry.Store on PostgreSQL, through a pgx/v5
// connection pool: the store for several registryd processes sharing one
// database (registryd --database-url).
//
// Every push is one READ COMMITTED transaction that locks its module's row
// (SELECT … FOR UPDATE) before it checks the digest and the baseline, so
// pushers of one module — in any process — take turns, and each sees what
// the previous one committed. Unique keys on (module, number) and (module,
// digest) back this up. Outbox workers claim with FOR UPDATE SKIP LOCKED.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pbregistry/pbregistry/registry"
)

// Options tune Open.
type Options struct {
	// ReadOnly opens the store for reads only, e.g. on a read replica: no
	// migrations run, every write fails with registry.ErrReadOnly, and the
	// connections' transactions are read-only. The database must have the
	// schema this binary needs.
	ReadOnly bool
	// MaxConns is the most connections of the pool; 0 means the default.
	MaxConns int32
	// LockTimeout bounds how long a statement waits for a lock (Postgres
	// lock_timeout); 0 means the default.
	LockTimeout time.Duration
	// StatementTimeout bounds one statement (Postgres statement_timeout);
	// 0 means the default.
	StatementTimeout time.Duration
}

// Store is a registry.Store on PostgreSQL.
type Store struct {
	pool     *pgxpool.Pool
	readOnly bool
}

var _ registry.Store = (*Store)(nil)

// querier is what Store's helpers need of a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string; parameters such as search_path are passed to the
// server) and applies pending migrations unless opts.ReadOnly.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: parse database URL: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store on %s: %w", cfg.ConnConfig.Host, err)
	}
	s := &Store{pool: pool, readOnly: opts.ReadOnly}
	if opts.ReadOnly {
		err = checkSchema(ctx, pool)
	} else {
		err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store on %s: %w", cfg.ConnConfig.Host, err)
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// writable returns an error wrapping registry.ErrReadOnly if the store is
// read-only; op names the refused operation.
func (s *Store) writable(op string) error {
	if s.readOnly {
		return fmt.Errorf("%s: postgres store was opened read-only: %w", op, registry.ErrReadOnly)
	}
	return nil
}
