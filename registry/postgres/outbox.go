package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// RegisterConsumer implements registry.Store. It takes outbox_consumers in
// SHARE ROW EXCLUSIVE mode, which waits for the pushes in progress.
func (s *Store) RegisterConsumer(ctx context.Context, name string, backfill bool) (registry.OutboxConsumer, error) {
	if err := s.writable("register outbox consumer " + name); err != nil {
		return registry.OutboxConsumer{}, err
	}
	if err := registry.ValidateConsumerName(name); err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer: %w", err)
	}
	c := registry.OutboxConsumer{Name: name}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE outbox_consumers IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO outbox_consumers (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 && backfill {
			if _, err := tx.Exec(ctx, `INSERT INTO outbox_deliveries (consumer, event_id) SELECT $1, id FROM outbox ON CONFLICT DO NOTHING`, name); err != nil {
				return fmt.Errorf("backfill: %w", err)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT created_at FROM outbox_consumers WHERE name = $1`, name).Scan(&c.CreatedAt); err != nil {
			return err
		}
		c.CreatedAt = c.CreatedAt.UTC()
		return nil
	})
	if err != nil {
		return registry.OutboxConsumer{}, fmt.Errorf("register outbox consumer %s: %w", name, err)
	}
	return c, nil
}

// ClaimOutbox implements registry.Store. Workers in any number of
// processes claim with FOR UPDATE SKIP LOCKED: a worker skips the
// deliveries another is claiming, and re-checks the lease of those another
// just claimed. Leases are on the database's clock.
func (s *Store) ClaimOutbox(ctx context.Context, c registry.OutboxClaim) ([]registry.OutboxDelivery, error) {
	if err := s.writable("claim outbox"); err != nil {
		return nil, err
	}
	c, err := c.Normalize()
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM outbox_consumers WHERE name = $1`, c.Consumer).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("claim outbox: %w", registry.OutboxConsumerNotFound(c.Consumer))
	} else if err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	rows, err := s.pool.Query(ctx, `WITH claimable AS (
			SELECT consumer, event_id FROM outbox_deliveries
			WHERE consumer = $1 AND acked_at IS NULL AND lease_until <= now()
			ORDER BY event_id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE outbox_deliveries d SET worker = $3, attempts = d.attempts + 1, lease_until = now() + $4 * interval '1 microsecond'
		FROM claimable c JOIN outbox o ON o.id = c.event_id
		WHERE d.consumer = c.consumer AND d.event_id = c.event_id
		RETURNING d.attempts, d.lease_until, o.id, o.type, o.module, o.version, o.digest, o.payload::text, o.created_at`,
		c.Consumer, c.Limit, c.Worker, c.Lease.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.OutboxDelivery, error) {
		d := registry.OutboxDelivery{Consumer: c.Consumer, Worker: c.Worker}
		var payload string
		err := r.Scan(&d.Attempts, &d.LeaseUntil, &d.Event.ID, &d.Event.Type, &d.Event.Module, &d.Event.Version,
			&d.Event.Digest, &payload, &d.Event.CreatedAt)
		d.Event.Payload = []byte(payload)
		d.LeaseUntil, d.Event.CreatedAt = d.LeaseUntil.UTC(), d.Event.CreatedAt.UTC()
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %s: %w", c.Consumer, err)
	}
	slices.SortFunc(out, func(a, b registry.OutboxDelivery) int {
		return cmp.Compare(a.Event.ID, b.Event.ID)
	})
	return out, nil
}

// AckOutbox implements registry.Store.
func (s *Store) AckOutbox(ctx context.Context, consumer string, eventID int64) error {
	if err := s.writable("acknowledge outbox event"); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_deliveries SET acked_at = coalesce(acked_at, now()) WHERE consumer = $1 AND event_id = $2`,
		consumer, eventID)
	if err != nil {
		return fmt.Errorf("acknowledge outbox event %d for %s: %w", eventID, consumer, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("acknowledge outbox event: %w",
			registry.OutboxDeliveryNotFound(consumer, eventID))
	}
	return nil
}
