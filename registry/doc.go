// Package registry is pbregistry's domain: modules, their accepted versions,
// the subjects that hold data, the ledger of every field ever used, the
// outbox of accepted pushes, and the exceptions an admin grants.
//
// A push flows through the registry in four stages:
//
//  1. The caller (registryd) compiles the pushed files into an image and
//     computes the push's Digest over the canonical file set and config.
//  2. It reads the module's latest version — the baseline — with its
//     descriptor set, subjects and ledger, and runs the compatibility
//     checks against them (package compat). Findings that an admin has
//     excepted for this very digest are dropped.
//  3. It hands the result to Store.CommitPush as a PushCommit naming the
//     baseline it checked against. The store writes the new version, its
//     files, descriptor set, subjects, new ledger entries, the consumed
//     exceptions and an outbox event in ONE transaction, or nothing at all.
//     A push whose digest was already accepted returns the existing
//     version; a push checked against a baseline that is no longer the
//     latest is refused with ErrStaleBaseline, and the caller checks again
//     against the new latest.
//  4. Outbox consumers (git publishing, dbt, webhooks) claim the
//     "module.version.accepted" event, process it and acknowledge it,
//     at least once.
//
// Store is implemented by registry/sqlite (the embedded default) and
// registry/postgres; registry/storetest is the conformance suite both pass.
package registry
