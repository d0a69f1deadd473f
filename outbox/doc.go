// Package outbox runs the consumers of the registry's outbox: the stack
// publisher (package submodule) and the webhook deliverer (package
// webhook) are both a Runner with their own Handler.
//
// A Runner is one worker of one registered consumer. Its loop:
//
//  1. Claim the consumer's oldest unacknowledged event that no other
//     worker holds, for a lease (registry.Store.ClaimOutbox).
//  2. Hand it to the Handler. A failure is retried with exponential
//     backoff and full jitter (package retry) while the lease lasts, with
//     a quarter of the lease to spare; the attempts at one event are
//     counted across its claims, starting from the store's claim count.
//  3. Acknowledge it (registry.Store.AckOutbox) once the Handler returned
//     nil — which it also does for an event it skips or gives up on.
//  4. With nothing pending, poll again after the poll interval; after a
//     failed step, after a backoff.
//
// An event whose retries would outlast its lease is left to the lease:
// it is claimed again when the lease ends, by this worker or another.
// With Ordered set, the Runner waits for that instead of claiming later
// events meanwhile, so that events are handled in order. Delivery is at
// least once: a crash between the Handler's work and the acknowledgement
// hands the event over again, so Handlers are idempotent (the publisher)
// or give receivers an idempotency key (the webhooks).
//
// The package sits between the registry (the store's outbox) and its
// consumers; it knows neither git nor HTTP.
package outbox
