// Package postgres is the registry.Store on PostgreSQL, through a pgx/v5
// connection pool: the store for several registryd processes sharing one
// database (registryd --database-url).
//
// Every push is one READ COMMITTED transaction that locks its module's row
// (SELECT … FOR UPDATE) before it checks the digest and the baseline, so
// pushers of one module — in any process — take turns, and each sees what
// the previous one committed. Unique keys on (module, number) and (module,
// digest) back this up. Outbox workers claim with FOR UPDATE SKIP LOCKED.
//
// No request waits unboundedly on another: every connection runs with
// lock_timeout, statement_timeout and idle_in_transaction_session_timeout
// (Options), and acquiring a connection of the pool is bounded too. A push
// that finds its module locked by a push that does not finish — e.g. a peer
// registryd stopped inside its transaction — fails after the lock timeout
// with an error matching registry.ErrUnavailable, which says to retry;
// reads never wait for module locks.
package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pbregistry/pbregistry/registry"
)

// Options tune Open. A setting left zero takes its value from the database
// URL if the URL sets it — pool_max_conns, pool_acquire_timeout (a Go
// duration, e.g. 10s), lock_timeout, statement_timeout and
// idle_in_transaction_session_timeout (Postgres's syntax, e.g. 2s) — else
// its default.
type Options struct {
	// ReadOnly opens the store for reads only, e.g. on a read replica: no
	// migrations run, every write fails with registry.ErrReadOnly, and the
	// connections' transactions are read-only. The database must have the
	// schema this binary needs.
	ReadOnly bool
	// MaxConns is the most connections of the pool; 0 means the default,
	// DefaultMaxConns().
	MaxConns int32
	// LockTimeout bounds how long a statement waits for a lock (Postgres
	// lock_timeout), e.g. a push for its module's row while another push
	// of the module holds it; 0 means the default, DefaultLockTimeout.
	LockTimeout time.Duration
	// StatementTimeout bounds one statement (Postgres statement_timeout);
	// 0 means the default, DefaultStatementTimeout. Migrations run with
	// MigrationStatementTimeout instead.
	StatementTimeout time.Duration
	// AcquireTimeout bounds how long a request waits for a free connection
	// of the pool; 0 means the default, DefaultAcquireTimeout.
	AcquireTimeout time.Duration
}

// Defaults of Options.
const (
	// DefaultLockTimeout is the default Options.LockTimeout: a push
	// transaction takes well under a second, so a lock held longer
	// belongs to a stalled or dead writer.
	DefaultLockTimeout = 5 * time.Second
	// DefaultStatementTimeout is the default Options.StatementTimeout.
	DefaultStatementTimeout = 30 * time.Second
	// DefaultAcquireTimeout is the default Options.AcquireTimeout.
	DefaultAcquireTimeout = 10 * time.Second
	// DefaultIdleInTransactionTimeout is the session's
	// idle_in_transaction_session_timeout unless the URL sets it: the
	// database ends the session of a writer that stopped inside a
	// transaction (a frozen or partitioned registryd), releasing its locks.
	DefaultIdleInTransactionTimeout = time.Minute
	// MigrationStatementTimeout bounds each migration statement, which may
	// rewrite a large table.
	MigrationStatementTimeout = 30 * time.Minute
	// MigrationLockTimeout bounds how long a migration waits for the
	// migration lock or a table's lock.
	MigrationLockTimeout = 5 * time.Minute
)

// DefaultMaxConns returns the default Options.MaxConns: 4 per CPU, at least
// 16.
func DefaultMaxConns() int32 {
	return int32(max(16, 4*runtime.GOMAXPROCS(0)))
}

// Store is a registry.Store on PostgreSQL.
type Store struct {
	pool *pool
	// pinger is a pool of one connection for Ping, which thus answers
	// while every connection of pool is busy.
	pinger   *pgxpool.Pool
	readOnly bool
}

var (
	_ registry.Store  = (*Store)(nil)
	_ registry.Pinger = (*Store)(nil)
)

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
	} else if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns()
	}
	params := cfg.ConnConfig.RuntimeParams
	lockTimeout := setParam(params, "lock_timeout", opts.LockTimeout, DefaultLockTimeout)
	statementTimeout := setParam(params, "statement_timeout", opts.StatementTimeout, DefaultStatementTimeout)
	setParam(params, "idle_in_transaction_session_timeout", 0, DefaultIdleInTransactionTimeout)
	if opts.ReadOnly {
		params["default_transaction_read_only"] = "on"
	}
	acquire := opts.AcquireTimeout
	if v, ok := params["pool_acquire_timeout"]; ok {
		// Not a server parameter: the pool's own, like pool_max_conns.
		delete(params, "pool_acquire_timeout")
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("open postgres store: database URL: pool_acquire_timeout=%q: give a positive duration such as 10s", v)
		}
		if acquire <= 0 {
			acquire = d
		}
	}
	if acquire <= 0 {
		acquire = DefaultAcquireTimeout
	}
	cfg.ConnConfig.Tracer = acquireTimeout(acquire)
	pingCfg := cfg.Copy()
	pingCfg.MaxConns, pingCfg.MinConns, pingCfg.MinIdleConns = 1, 0, 0
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store on %s: %w", cfg.ConnConfig.Host, err)
	}
	pinger, err := pgxpool.NewWithConfig(ctx, pingCfg)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("open postgres store on %s: %w", cfg.ConnConfig.Host, err)
	}
	s := &Store{
		pool:     &pool{Pool: p, lockTimeout: lockTimeout, statementTimeout: statementTimeout, acquireTimeout: acquire},
		pinger:   pinger,
		readOnly: opts.ReadOnly,
	}
	if opts.ReadOnly {
		err = checkSchema(ctx, s.pool)
	} else {
		err = migrate(ctx, s.pool)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open postgres store on %s: %w", cfg.ConnConfig.Host, err)
	}
	return s, nil
}

// setParam sets the runtime parameter name to d, or to def if d is zero
// and the URL did not set it, and returns the value in force for messages.
func setParam(params map[string]string, name string, d, def time.Duration) string {
	if d <= 0 {
		if v, ok := params[name]; ok {
			return v
		}
		d = def
	}
	params[name] = fmt.Sprintf("%dms", max(1, d.Milliseconds()))
	return d.String()
}

// Ping implements registry.Pinger: a query that touches no table, on a
// connection of its own, so it answers while a module's rows are locked
// and while every connection of the store's pool is busy.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pinger.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	s.pool.Close()
	s.pinger.Close()
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
