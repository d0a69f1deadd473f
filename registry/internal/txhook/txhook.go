// Package txhook lets tests pause a store inside its push transaction, to
// kill the process there and check that nothing of the push remains.
//
// A hook travels in the context given to CommitPush; registry.CommitPushTx,
// which runs every store's push transaction, calls Run at each Stage. Without a hook, Run costs one context lookup.
package txhook

import "context"

// Stage is a point of CommitPush's transaction.
type Stage string

// The stages, in the order a push that creates a version reaches them.
const (
	// AfterBegin: the transaction is open, nothing is written.
	AfterBegin Stage = "after-begin"
	// AfterModuleLock: the module row exists and is locked.
	AfterModuleLock Stage = "after-module-lock"
	// AfterVersion: the version row is written.
	AfterVersion Stage = "after-version"
	// AfterFiles: the files and descriptor set are written.
	AfterFiles Stage = "after-files"
	// AfterSubjects: the subjects are written.
	AfterSubjects Stage = "after-subjects"
	// AfterLedger: the ledger entries are written.
	AfterLedger Stage = "after-ledger"
	// AfterOutbox: the outbox event and deliveries are written.
	AfterOutbox Stage = "after-outbox"
	// BeforeCommit: everything is written; COMMIT is next.
	BeforeCommit Stage = "before-commit"
	// AfterCommit: the transaction is committed.
	AfterCommit Stage = "after-commit"
)

// Stages lists every stage in order.
var Stages = []Stage{AfterBegin, AfterModuleLock, AfterVersion, AfterFiles, AfterSubjects, AfterLedger, AfterOutbox, BeforeCommit, AfterCommit}

// Func is called at each stage.
type Func func(Stage)

// key is the context key of a Func.
type key struct{}

// With returns ctx carrying f.
func With(ctx context.Context, f Func) context.Context { return context.WithValue(ctx, key{}, f) }

// Run calls the Func ctx carries, if any, with stage.
func Run(ctx context.Context, stage Stage) {
	if f, ok := ctx.Value(key{}).(Func); ok && f != nil {
		f(stage)
	}
}
