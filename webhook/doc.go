// Package webhook delivers the registry's outbox events to HTTP endpoints
// as signed callbacks, per the Standard Webhooks specification
// (https://www.standardwebhooks.com/).
//
// The pipeline:
//
//  1. Config (config.go) names the endpoints: URL, module globs, event
//     types, where the signing secret is read from (secret.go), timeout,
//     retries and the circuit breaker. It is the webhooks: section of
//     registryd's configuration.
//  2. Deliverer (deliverer.go) is one outbox consumer per endpoint,
//     "webhook.<name>", run by an outbox.Runner (which claims, retries
//     and acknowledges; the Deliverer sends, counts and dead-letters). It
//     claims events oldest first, one at a time, and POSTs each as JSON
//     (payload.go) with the headers webhook-id (the
//     event's id, the same on every retry: receivers deduplicate by it),
//     webhook-timestamp and webhook-signature (v1, HMAC-SHA256). A failed
//     attempt is retried with exponential backoff and full jitter; after
//     breaker_failures consecutive failures the endpoint pauses for
//     breaker_cooldown (breaker.go). An event still failing after
//     max_attempts attempts or max_age since it was written becomes a dead
//     letter (deadletter.go) and is acknowledged, so that the endpoint
//     moves on.
//  3. Dead letters are JSON files under the webhooks directory (default
//     <data-dir>/webhooks/dead/<endpoint>/<event-id>.json), independent of
//     the store: `registryd webhooks deliveries` lists them and
//     `registryd webhooks redrive <endpoint>/<event-id>` sends one again
//     (an admin does both over the API: ListWebhookDeliveries and
//     RedriveWebhook, `pbcheck registry deliveries --dead|redrive`),
//     with the same webhook-id and a fresh timestamp and signature, and
//     removes it once the endpoint accepted it.
//
// # Safety
//
// Only http and https URLs are accepted; a redirect is followed only to
// the same scheme and host (at most 3), never to another host; each
// attempt has a total timeout; at most 4 KiB of a response body is read.
// Delivery is at least once: after a crash between sending and the
// acknowledgement, the event is sent again, with the same webhook-id,
// once its lease (webhooks.lease, default 1m) ends; receivers deduplicate
// by webhook-id. Several registryd on one PostgreSQL share each
// endpoint's consumer: the outbox claim gives each event to one at a time.
//
// Dead letters live on the disk of the registryd that gave up on them;
// with several registryd, run the CLI where each one's webhooks.dir is
// (or point webhooks.dir at a shared volume).
package webhook
