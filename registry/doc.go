// Package registry is pbregistry's domain: modules, their accepted versions,
// the subjects that hold data, the ledger of every field ever used, the
// outbox of accepted pushes, and the exceptions an admin grants.
//
// A push flows through Service in four stages:
//
//  1. prepare: the pushed files are checked against Limits, split into the
//     .proto files and pbregistry.yaml, and the push's Digest is computed
//     over the canonical file set and config. Content already accepted is
//     answered with its existing version.
//  2. check: the files are compiled (package input) and checked against the
//     module's latest version — the baseline — with package compat: every
//     subject with its own level and rules on its scope (its message and
//     every message and enum its data holds), the rest with the module's
//     breaking: section, and transitive subjects against their ledger of
//     every field number, name and enum value ever used. Findings that an
//     admin has excepted for this very digest let the push through.
//  3. commit: Store.CommitPush writes the new version, its files,
//     descriptor set, subjects, ledger, the consumed exceptions and an
//     outbox event in ONE transaction, or nothing at all, naming the
//     baseline it was checked against. If another push landed meanwhile,
//     the store refuses the commit as stale and the check runs again
//     against the new latest version.
//  4. Outbox consumers (git publishing, dbt, webhooks) claim the
//     "module.version.accepted" event, process it and acknowledge it,
//     at least once.
//
// Store is implemented by registry/sqlite (the embedded default) and
// registry/postgres; registry/storetest is the conformance suite both pass.
package registry
