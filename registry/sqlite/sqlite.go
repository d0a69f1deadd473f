// Package sqlite is the embedded default registry.Store: one SQLite file in
// the data directory, through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with synchronous=FULL, so an accepted push
// survives a crash of the process or the machine. Writes go through one
// connection whose transactions start with BEGIN IMMEDIATE, so the many
// goroutines of one process queue for the write lock in Go rather than
// failing with SQLITE_BUSY, and another process opening the same file waits
// (busy timeout) instead of corrupting anything. Reads go through a pool of
// query-only connections and see the last committed state.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/pbregistry/pbregistry/registry"
)

// FileName is the name of the database file Dir opens in a data directory.
const FileName = "registry.db"

// busyTimeoutMillis is how long a connection waits for another process's
// lock before failing.
const busyTimeoutMillis = 30000

// Options tune Open.
type Options struct {
	// ReadOnly opens the store for reads only: no migrations run, and
	// every write fails with registry.ErrReadOnly. The database must exist
	// with the schema this binary needs.
	ReadOnly bool
	// MaxReaders is the size of the read connection pool; 0 means
	// max(4, GOMAXPROCS).
	MaxReaders int
}

// Store is a registry.Store on a SQLite file.
type Store struct {
	path     string
	readOnly bool
	// w is the write pool: one connection, BEGIN IMMEDIATE. Nil when
	// read-only.
	w *sql.DB
	// r is the read pool: query-only connections.
	r *sql.DB
}

var (
	_ registry.Store  = (*Store)(nil)
	_ registry.Pinger = (*Store)(nil)
)

// Dir opens the store of the data directory dir, creating the directory
// and the database as needed (unless read-only).
func Dir(ctx context.Context, dir string, opts Options) (*Store, error) {
	if !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite store: create data directory: %w", err)
		}
	}
	return Open(ctx, filepath.Join(dir, FileName), opts)
}

// Open opens the store in the SQLite file at path, creating it and applying
// pending migrations unless opts.ReadOnly.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite store %q: give the path of a database file, without '?' or '#'", path)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open sqlite store %s read-only: %w (open it read-write once to create it)", path, err)
		}
	}
	s := &Store{path: path, readOnly: opts.ReadOnly}
	common := "?_pragma=busy_timeout(" + fmt.Sprint(busyTimeoutMillis) + ")&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	var err error
	if !opts.ReadOnly {
		s.w, err = sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetMaxIdleConns(1)
		s.w.SetConnMaxLifetime(0)
		s.w.SetConnMaxIdleTime(0)
		// Switching a new database to WAL takes an exclusive lock that
		// SQLite's busy handler does not wait for: when several
		// processes open one new file at once, retry.
		err := migrate(ctx, s.w)
		for attempt := 1; err != nil && isBusy(err) && attempt <= 20; attempt++ {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(attempt) * 25 * time.Millisecond):
			}
			err = migrate(ctx, s.w)
		}
		if err != nil {
			s.w.Close()
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
	}
	s.r, err = sql.Open("sqlite", path+common+"&_pragma=query_only(1)")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	readers := opts.MaxReaders
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	if opts.ReadOnly {
		if err := checkSchema(ctx, s.r); err != nil {
			s.Close()
			return nil, fmt.Errorf("open sqlite store %s read-only: %w", path, err)
		}
	}
	return s, nil
}

// Ping implements registry.Pinger: a query on a read connection that
// touches no table, so it answers while a write holds the write lock.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite store %s: %w", s.path, err)
	}
	return nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the store's connections.
func (s *Store) Close() error {
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite store %s: %w", s.path, err)
	}
	return nil
}

// writable returns an error wrapping registry.ErrReadOnly if the store is
// read-only; op names the refused operation.
func (s *Store) writable(op string) error {
	if s.readOnly {
		return fmt.Errorf("%s: sqlite store %s was opened read-only: %w", op, s.path, registry.ErrReadOnly)
	}
	return nil
}

// isBusy reports a database locked by another connection.
func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}
