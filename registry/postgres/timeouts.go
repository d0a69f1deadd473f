package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pbregistry/pbregistry/registry"
)

// Postgres error codes the store turns into registry.ErrUnavailable.
const (
	// codeLockNotAvailable: a statement waited for a lock past
	// lock_timeout.
	codeLockNotAvailable = "55P03"
	// codeQueryCanceled: a statement ran past statement_timeout (or was
	// cancelled, which Store tells apart by its context).
	codeQueryCanceled = "57014"
)

// busyError is a request the database gave up on, or could not start, in
// time; nothing was written. It matches registry.ErrUnavailable.
type busyError struct {
	// msg says what waited for what, and to retry.
	msg string
	// cause is the database's error, if any.
	cause error
}

// Error implements error.
func (e *busyError) Error() string { return e.msg }

// Unwrap returns the database's error and registry.ErrUnavailable.
func (e *busyError) Unwrap() []error {
	if e.cause == nil {
		return []error{registry.ErrUnavailable}
	}
	return []error{e.cause, registry.ErrUnavailable}
}

// busy returns err as a *busyError if it is a lock or statement timeout of
// the database, or an acquire timeout of the pool — unless ctx, the
// caller's context, is done, which explains the error better — and err
// unchanged otherwise. module, if not empty, is the module whose row the
// statement may have waited for.
func (p *pool) busy(ctx context.Context, err error, module string) error {
	if err == nil || ctx.Err() != nil || errors.As(err, new(*busyError)) {
		return err
	}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == codeLockNotAvailable && module != "":
		return &busyError{cause: err, msg: fmt.Sprintf(
			"module %s is locked by another push that has not finished within %s (lock_timeout): retry", module, p.lockTimeout)}
	case errors.As(err, &pe) && pe.Code == codeLockNotAvailable:
		return &busyError{cause: err, msg: fmt.Sprintf(
			"a row is locked by another writer that has not finished within %s (lock_timeout): retry", p.lockTimeout)}
	case errors.As(err, &pe) && pe.Code == codeQueryCanceled && strings.Contains(pe.Message, "statement timeout"):
		return &busyError{cause: err, msg: fmt.Sprintf(
			"the database did not finish a statement within %s (statement_timeout): retry later", p.statementTimeout)}
	case errors.As(err, &pe) && pe.Code == codeQueryCanceled:
		return &busyError{cause: err, msg: fmt.Sprintf("the database cancelled a statement (%s): retry later", pe.Message)}
	case errors.Is(err, context.DeadlineExceeded):
		// The caller's context is not done: the deadline was the pool's
		// acquire timeout, set by acquireTimeout.
		return &busyError{msg: fmt.Sprintf(
			"no database connection became free within %s (all %d connections of the pool are busy): retry later",
			p.acquireTimeout, p.Config().MaxConns)}
	}
	return err
}

// acquireTimeout is a pgx tracer that bounds each acquisition of a pool
// connection: pgxpool uses the context TraceAcquireStart returns for the
// acquisition only, not for the query that follows.
type acquireTimeout time.Duration

// acquireCancelKey keys the cancel function of an acquisition's context.
type acquireCancelKey struct{}

// TraceAcquireStart implements pgxpool.AcquireTracer.
func (d acquireTimeout) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d))
	return context.WithValue(ctx, acquireCancelKey{}, cancel)
}

// TraceAcquireEnd implements pgxpool.AcquireTracer.
func (acquireTimeout) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	if cancel, ok := ctx.Value(acquireCancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// TraceQueryStart implements pgx.QueryTracer, which a pgx tracer must.
func (acquireTimeout) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (acquireTimeout) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// pool is the store's pgxpool.Pool, whose errors say when the database or
// the pool gave up waiting (see busy).
type pool struct {
	*pgxpool.Pool
	// lockTimeout, statementTimeout and acquireTimeout are the timeouts
	// in force, for messages.
	lockTimeout, statementTimeout string
	acquireTimeout                time.Duration
}

// Exec implements querier.
func (p *pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, p.busy(ctx, err, "")
}

// Query implements querier. Errors while reading the rows are returned
// as they are.
func (p *pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := p.Pool.Query(ctx, sql, args...)
	return rows, p.busy(ctx, err, "")
}

// QueryRow implements querier.
func (p *pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return busyRow{row: p.Pool.QueryRow(ctx, sql, args...), ctx: ctx, pool: p}
}

// Begin starts a transaction.
func (p *pool) Begin(ctx context.Context) (pgx.Tx, error) {
	return p.BeginTx(ctx, pgx.TxOptions{})
}

// BeginTx starts a transaction with options.
func (p *pool) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := p.Pool.BeginTx(ctx, opts)
	return tx, p.busy(ctx, err, "")
}

// busyRow is a pgx.Row whose Scan error goes through busy.
type busyRow struct {
	row  pgx.Row
	ctx  context.Context
	pool *pool
}

// Scan implements pgx.Row.
func (r busyRow) Scan(dest ...any) error {
	return r.pool.busy(r.ctx, r.row.Scan(dest...), "")
}
