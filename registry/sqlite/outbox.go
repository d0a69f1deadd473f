package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/pbregistry/pbregistry/registry"
)

// RegisterConsumer implements registry.Store.
func (s *Store) RegisterConsumer(ctx context.Context, name string, backfill bool) (registry.OutboxConsumer, error) {
	if err := s.writable("register outbox consumer " + name); err != nil {
		return registry.OutboxConsumer{}, err
	}
	if err := registry.ValidateConsumerName(name); err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox_consumers (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, toMicros(now()))
	if err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: %w", name, err)
	} else if n == 1 && backfill {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_deliveries (consumer, event_id) SELECT ?, id FROM outbox WHERE true ON CONFLICT DO NOTHING`, name); err != nil {
			return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: backfill: %w", name, err)
		}
	}
	c := registry.OutboxConsumer{Name: name}
	var created int64
	if err := tx.QueryRowContext(ctx, `SELECT created_at FROM outbox_consumers WHERE name = ?`, name).Scan(&created); err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: %w", name, err)
	}
	c.CreatedAt = fromMicros(created)
	if err := tx.Commit(); err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: commit: %w", name, err)
	}
	return c, nil
}

// ClaimOutbox implements registry.Store. Claims take the write lock, so
// the workers of one process never claim the same delivery at once.
func (s *Store) ClaimOutbox(ctx context.Context, c registry.OutboxClaim) ([]registry.OutboxDelivery, error) {
	if err := s.writable("claim outbox"); err != nil {
		return nil, err
	}
	c, err := c.Normalize()
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM outbox_consumers WHERE name = ?`, c.Consumer).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("claim outbox: %w", registry.OutboxConsumerNotFound(c.Consumer))
	} else if err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	at := now()
	leaseUntil := at.Add(c.Lease)
	rows, err := tx.QueryContext(ctx, `UPDATE outbox_deliveries SET worker = ?, attempts = attempts + 1, lease_until = ?
		WHERE consumer = ? AND event_id IN (
			SELECT event_id FROM outbox_deliveries
			WHERE consumer = ? AND acked_at IS NULL AND lease_until <= ?
			ORDER BY event_id LIMIT ?)
		RETURNING event_id, attempts`,
		c.Worker, toMicros(leaseUntil), c.Consumer, c.Consumer, toMicros(at), c.Limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	var out []registry.OutboxDelivery
	for rows.Next() {
		d := registry.OutboxDelivery{Consumer: c.Consumer, Worker: c.Worker, LeaseUntil: leaseUntil}
		if err := rows.Scan(&d.Event.ID, &d.Attempts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	slices.SortFunc(out, func(a, b registry.OutboxDelivery) int { return cmp.Compare(a.Event.ID, b.Event.ID) })
	for i := range out {
		e := &out[i].Event
		var created int64
		if err := tx.QueryRowContext(ctx, `SELECT type, module, version, digest, payload, created_at FROM outbox WHERE id = ?`, e.ID).
			Scan(&e.Type, &e.Module, &e.Version, &e.Digest, &e.Payload, &created); err != nil {
			return nil, fmt.Errorf("claim outbox for %s: read event %d: %w", c.Consumer, e.ID, err)
		}
		e.CreatedAt = fromMicros(created)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim outbox for %s: commit: %w", c.Consumer, err)
	}
	return out, nil
}

// AckOutbox implements registry.Store.
func (s *Store) AckOutbox(ctx context.Context, consumer string, eventID int64) error {
	if err := s.writable("acknowledge outbox event"); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE outbox_deliveries SET acked_at = coalesce(acked_at, ?) WHERE consumer = ? AND event_id = ?`,
		toMicros(now()), consumer, eventID)
	if err != nil {
		return fmt.Errorf("acknowledge outbox event %d for %s: %w", eventID, consumer, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("acknowledge outbox event %d for %s: %w", eventID, consumer, err)
	} else if n == 0 {
		return fmt.Errorf("acknowledge outbox event: %w",
			registry.OutboxDeliveryNotFound(consumer, eventID))
	}
	return nil
}
