package registry

import (
	"context"

	"github.com/pbregistry/pbregistry/registry/internal/txhook"
)

// CommitStages lists the points of a store's CommitPush transaction, in
// order: "after-begin", "after-module-lock", "after-version",
// "after-files", "after-subjects", "after-ledger", "after-outbox",
// "before-commit", "after-commit".
var CommitStages = func() []string {
	out := make([]string, len(txhook.Stages))
	for i, s := range txhook.Stages {
		out[i] = string(s)
	}
	return out
}()

// WithCommitHook returns ctx carrying f, which CommitPushTx calls at each
// stage of CommitPush's transaction (see CommitStages). It exists for crash
// tests of whole servers, which pause a push at a stage and kill the
// process there; production code never sets it.
func WithCommitHook(ctx context.Context, f func(stage string)) context.Context {
	return txhook.With(ctx, func(s txhook.Stage) { f(string(s)) })
}
