package registry

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventVersionAccepted is the type of the outbox event each accepted push
// writes. Its payload is a VersionAccepted.
const EventVersionAccepted = "module.version.accepted"

// VersionAccepted is the JSON payload of an EventVersionAccepted event.
type VersionAccepted struct {
	Module  string `json:"module"`
	Version int64  `json:"version"`
	Digest  string `json:"digest"`
}

// Payload returns v as the JSON payload of its outbox event.
func (v VersionAccepted) Payload() []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// A struct of strings and an integer always marshals.
		panic(fmt.Sprintf("marshal outbox payload: %v", err))
	}
	return b
}

// OutboxEvent is an event written in the same transaction as what it
// reports. Events are never deleted. IDs increase in insertion order; the
// events of one module are inserted in version order, but with concurrent
// pushes to several modules an event can become visible after one with a
// higher ID, so consumers must not treat IDs as a gap-free sequence.
type OutboxEvent struct {
	// ID identifies the event.
	ID int64
	// Type is the event type, e.g. EventVersionAccepted.
	Type string
	// Module, Version and Digest identify the version the event is about.
	Module  string
	Version int64
	Digest  string
	// Payload is the event's JSON payload.
	Payload []byte
	// CreatedAt is when the event was written.
	CreatedAt time.Time
}

// OutboxConsumer is a named consumer of the outbox, e.g. "git", "dbt" or
// "webhooks". Every event written after a consumer is registered is
// delivered to it at least once, whatever the number of its workers.
type OutboxConsumer struct {
	// Name is the consumer's name.
	Name string
	// CreatedAt is when it was registered.
	CreatedAt time.Time
}

// ValidateConsumerName returns an *InvalidArgumentError unless name is a
// valid consumer name: 1 to 100 letters, digits, '.', '_' or '-'.
func ValidateConsumerName(name string) error {
	if name == "" || len(name) > 100 {
		return invalid("consumer", "consumer name %q must be 1 to 100 characters", Truncate(name, 128))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return invalid("consumer", "consumer name %q contains %q: use letters, digits, '.', '_' and '-'", name, r)
		}
	}
	return nil
}

// OutboxClaim asks for events a consumer has not acknowledged and that no
// other worker holds.
type OutboxClaim struct {
	// Consumer is the registered consumer claiming.
	Consumer string
	// Worker identifies the claiming worker, e.g. host and pid; it is
	// recorded on the deliveries for diagnosis.
	Worker string
	// Limit is the most deliveries to claim; 0 means 100.
	Limit int
	// Lease is how long the deliveries are held: if they are not
	// acknowledged by then, another worker can claim them again. 0 means
	// one minute.
	Lease time.Duration
}

// Normalize validates c and fills in its defaults.
func (c OutboxClaim) Normalize() (OutboxClaim, error) {
	if err := ValidateConsumerName(c.Consumer); err != nil {
		return c, err
	}
	switch {
	case c.Limit < 0 || c.Limit > 10000:
		return c, invalid("limit", "limit %d is not between 0 and 10000", c.Limit)
	case c.Limit == 0:
		c.Limit = 100
	}
	switch {
	case c.Lease < 0:
		return c, invalid("lease", "lease %s is negative", c.Lease)
	case c.Lease == 0:
		c.Lease = time.Minute
	}
	return c, nil
}

// OutboxDelivery is an event claimed by a worker of a consumer. The worker
// processes it and calls AckOutbox; until then, or until its lease ends,
// no other worker of the consumer receives it.
type OutboxDelivery struct {
	// Consumer is the consumer it is delivered to.
	Consumer string
	// Event is the event.
	Event OutboxEvent
	// Worker is the worker holding it.
	Worker string
	// Attempts counts the claims of this delivery, this one included.
	Attempts int
	// LeaseUntil is when the claim ends.
	LeaseUntil time.Time
}
