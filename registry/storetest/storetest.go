// Package storetest is the conformance suite of registry.Store: every
// backend runs it against a real database, so that they all behave the
// same — idempotent pushes, gap-free version numbers under concurrent
// pushers, stale-baseline refusal, ledger, outbox, exceptions, pagination,
// errors, read-only mode and crash safety.
//
// A backend's tests call Run with a function that opens a fresh, empty
// store for one test; RunReadOnly, RunShared and RunCrash cover what needs
// two stores on one database or a second process.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// OpenFunc opens a fresh, empty store for test t and closes it at t's
// cleanup. Stores of different tests must not share data, so that tests
// run in parallel.
type OpenFunc func(t *testing.T) registry.Store

// Run runs the conformance suite against the stores open returns.
func Run(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		run  func(t *testing.T, s registry.Store)
	}{
		{"FirstPush", testFirstPush},
		{"IdempotentPush", testIdempotentPush},
		{"StaleBaseline", testStaleBaseline},
		{"InvalidPush", testInvalidPush},
		{"ImagePush", testImagePush},
		{"FilesDeduplicated", testFilesDeduplicated},
		{"DigestRules", testDigestRules},
		{"ConcurrentIdenticalPromotions", testConcurrentIdenticalPromotions},
		{"ExceptionAgainAfterUse", testExceptionAgainAfterUse},
		{"ConcurrentIdenticalPushes", testConcurrentIdenticalPushes},
		{"ConcurrentPushers", testConcurrentPushers},
		{"Subjects", testSubjects},
		{"SubjectConfigErrors", testSubjectConfigErrors},
		{"Ledger", testLedger},
		{"LedgerMeaning", testLedgerMeaning},
		{"Outbox", testOutbox},
		{"OutboxLeaseExpiry", testOutboxLeaseExpiry},
		{"OutboxConsumers", testOutboxConsumers},
		{"OutboxConcurrentWorkers", testOutboxConcurrentWorkers},
		{"Exceptions", testExceptions},
		{"ExceptionsUsedOnce", testExceptionsUsedOnce},
		{"PaginateModules", testPaginateModules},
		{"PaginateVersions", testPaginateVersions},
		{"NotFound", testNotFound},
		{"Ping", testPing},
	}
	tests = append(tests, lifecycleTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// ctx returns a context for one test, cancelled at its end, with a
// deadline that turns a deadlock into a failure.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
