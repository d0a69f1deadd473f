// Package registry is pbregistry's domain: modules, their accepted versions,
// the subjects that hold data, the ledger of every field ever used, the
// outbox of accepted pushes, and the exceptions an admin grants.
//
// A push flows through Service in four stages:
//
//  1. prepare: the pushed files are checked against Limits, split into the
//     .proto files and pbregistry.yaml, and the push's Digest is computed
//     over the canonical file set and config. Content already accepted is
//     answered with its existing version; when that is older than the
//     latest, the latest does not move and Verdict.Notice says so (a
//     rollback is Service.Promote: an earlier version's content checked
//     as a push and committed as a new version).
//     An image push (PushRequest.Image, imagepush.go) sends the module
//     compiled instead: the image is validated and canonicalized here,
//     and its digest is ImageDigest over the canonical image, the
//     sources sent beside it and the config.
//  2. check: the files are compiled by the service's Compiler — an image
//     push skips this, its image in hand — then Service.check
//     reads the baseline — the module's latest version: its image, stored
//     subjects and configuration (readBaseline) — resolves the subjects in
//     force (an admin override wins, then the pushed configuration, then
//     the stored one), and runs CheckImages, the one checking path that
//     push, CheckPush, Diff and pbcheck breaking share: every subject with
//     its own level and rules (plus its kind's LOSSLESS category) on its
//     scope (its message and every message and enum its data holds), the
//     rest with the module's breaking: section, transitive subjects against
//     a Ledger of every field number, name and enum value ever used (the
//     store's here; pbcheck builds one from git history with package
//     registry/history), and the configuration itself: weakening the
//     baseline's (governance.go) is a finding, and so is a fixture of the
//     baseline that no longer parses (fixtures.go). Then the policies run
//     (the service's PolicyEngine), findings that an admin has excepted for this
//     very digest are let through, and the commit is assembled.
//  3. commit: Store.CommitPush writes the new version, its files,
//     descriptor set, subjects, ledger, the consumed exceptions and an
//     outbox event in ONE transaction, or nothing at all, naming the
//     baseline it was checked against. CommitPushTx (commit.go) owns the
//     transaction's steps for every backend; a backend only runs their SQL
//     (PushTx). If another push landed meanwhile,
//     the store refuses the commit as stale and the check runs again
//     against the new latest version.
//     The steps of that transaction are registry's (CommitPushTx over a
//     PushTx of SQL primitives); a backend only runs them in one
//     transaction. Lifecycle writes (retire, deprecate, delete, restore)
//     follow the same pattern (LifecycleTx).
//  4. Outbox consumers (git publishing, dbt, webhooks) claim the
//     "module.version.accepted" event, process it and acknowledge it,
//     at least once.
//
// The stages that need heavy machinery are interfaces the service is
// composed with (stages.go), so that this package and its store backends
// link neither a compiler nor an expression language: Compiler is
// implemented by registry/protocompile (the built-in compiler, package
// input) and PolicyEngine by registry/cel (CEL policies, package
// policies).
//
// Store is implemented by registry/sqlite (the embedded default) and
// registry/postgres; registry/storetest is the conformance suite both pass.
package registry
