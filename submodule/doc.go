// Package submodule publishes one git repository per language stack (Go,
// Python, TypeScript, dbt…) that product repositories vendor as a git
// submodule, and serves those repositories read-only over smart HTTP.
//
// The pipeline:
//
//  1. Config (stack.go) names the stacks: which modules and proto packages
//     go in each, where the import root sits in the repository, and extra
//     files. It is the stacks: section of registryd's configuration.
//  2. Publisher (publisher.go) is one outbox consumer per stack,
//     "submodule.<stack>" (outbox consumer names allow no ':'), run by an
//     outbox.Runner. It claims module.version.accepted events oldest
//     first, one at a time, and for each builds the stack's tree
//     (tree.go) from the previous publication's pbregistry.lock (lock.go)
//     with the event's module moved to the event's version, then commits
//     it on main with a changelog message and trailers (changelog.go), a
//     generated README (readme.go), and annotated tags <module>/v<N> and
//     r<N> (repo.go).
//  3. Handler (server.go) serves /git/<stack>.git to the stock git CLI.
//  4. Mirrors (mirror.go): each publication is pushed, after it is
//     committed locally, to the stack's remote mirrors (e.g. GitHub) with
//     go-git: main and the tags the mirror lacks, never forced. A mirror
//     whose main is not an ancestor of the stack's, or whose tag points
//     elsewhere, has diverged: it is reported (log, Publisher.Mirrors)
//     and not pushed to until reconciled by hand. Failures are retried
//     with backoff; every mirror is compared again at start and every
//     five minutes. Passwords come from an environment variable or a
//     file, never from the configuration, and are never logged.
//
// # Exactly once
//
// A publication is idempotent: under an exclusive file lock on the
// repository (filelock.go), the publisher first reads the repository. If
// the tag <module>/v<N> exists, or main's pbregistry.lock already holds the
// module at version N or later, the event was published (perhaps by a
// registryd that crashed before acknowledging it, or by another registryd
// on the same Postgres): the missing tags, if any, are added and the event
// is acknowledged. main is moved with a compare-and-swap from the commit
// the publication was built on and never rewound. The outbox claim keeps
// two workers from handling the same event at once; the file lock
// serialises the writers of one repository across processes sharing the
// directory.
//
// # Why upload-pack
//
// Serving shells out to `git upload-pack --stateless-rpc`, as git's own
// http-backend, Gitea and soft-serve do, rather than go-git's server
// transport. Negotiation (haves, multi_ack_detailed), protocol v2, shallow
// clones (--depth, deepen), include-tag and thin packs are exactly what
// stock git clients expect because the same program implements both ends;
// go-git's upload-pack server supports neither protocol v2 nor a real
// negotiation of haves, so incremental fetches would send full packs.
// upload-pack's defaults (uploadpack.allowAnySHA1InWant,
// allowReachableSHA1InWant and allowTipSHA1InWant false, set explicitly on
// its command line, system and global configuration ignored) send only
// objects reachable from advertised refs. The cost is a git binary on the
// server (git ≥ 2.18 for protocol v2); registryd refuses to start with
// stacks configured and no git on PATH.
//
// Publishing writes with go-git; the only git commands that write are
// `git repack -d` and `git pack-refs`, every stacks.repack_every
// publications, under the repository's lock.
package submodule
