package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/pbregistry/pbregistry/registry/internal/txhook"
)

// PushTx is the SQL of one CommitPush transaction, which each store
// implements over its own database transaction. CommitPushTx owns the
// steps of the transaction, their order and their logic (idempotency,
// stale baselines, promotions, the ledger's new and re-meant keys,
// exceptions, the outbox event); a PushTx only reads and writes rows, so
// that a new step is one change in this package plus one statement per
// backend.
//
// LockModule is called first; every other method is about the module it
// locked.
type PushTx interface {
	// LockModule locks module against every other commit until the
	// transaction ends, and returns its latest version number. A module
	// that does not exist is created (latest 0) when create is true;
	// otherwise found is false.
	LockModule(ctx context.Context, module string, create bool) (latest int64, found bool, err error)
	// VersionByDigest returns the newest version with digest; found is
	// false when there is none.
	VersionByDigest(ctx context.Context, digest string) (v Version, found bool, err error)
	// Version returns version number; found is false when there is none.
	Version(ctx context.Context, number int64) (v Version, found bool, err error)
	// InsertVersion writes the metadata of version v.
	InsertVersion(ctx context.Context, v Version) error
	// InsertFiles writes version number's files, their contents stored
	// once per module and content, and its config and descriptor set.
	InsertFiles(ctx context.Context, number int64, files []File, config, descriptorSet []byte) error
	// UpsertSubjects records specs as pushed by version number: new
	// subjects are created, existing ones get the pushed configuration
	// (never their overrides) and number as their last version. It
	// returns the IDs of all the module's subjects, by name.
	UpsertSubjects(ctx context.Context, number int64, specs []SubjectSpec) (map[string]int64, error)
	// LedgerOf returns the ledger entries of the subjects with IDs.
	LedgerOf(ctx context.Context, subjectIDs []int64) ([]LedgerRow, error)
	// InsertLedger adds rows, first used by version number.
	InsertLedger(ctx context.Context, number int64, rows []LedgerRow) error
	// SetLedgerMeanings gives existing entries the meaning of rows,
	// keeping their first version.
	SetLedgerMeanings(ctx context.Context, rows []LedgerRow) error
	// ConsumeException marks exception id used by version number at at,
	// if it belongs to module and digest and is unused; it reports
	// whether it did.
	ConsumeException(ctx context.Context, id int64, module, digest string, number int64, at time.Time) (bool, error)
	// Exception returns exception id; found is false when there is none.
	Exception(ctx context.Context, id int64) (e Exception, found bool, err error)
	// InsertOutboxEvent writes e (its ID is assigned) and one delivery of
	// it per registered consumer.
	InsertOutboxEvent(ctx context.Context, e OutboxEvent) error
	// SetLatest makes number the module's latest version.
	SetLatest(ctx context.Context, number int64, at time.Time) error
}

// LedgerRow is a ledger entry with the store's ID of its subject.
type LedgerRow struct {
	// SubjectID is the subject's ID in the store.
	SubjectID int64
	LedgerEntry
}

// PushTxRunner runs fn in one transaction of a store, with the store's
// isolation and locking: it commits when fn returns nil and rolls back
// otherwise. CommitPushTx calls it once per CommitPush.
type PushTxRunner func(ctx context.Context, fn func(tx PushTx) error) error

// CommitPushTx is Store.CommitPush for every store: it validates c, then
// in one transaction that run opens:
//
//  1. locks the module (creating it for a push against version 0);
//  2. answers a push of content already accepted without writing: the
//     latest version when it holds c's digest (identical pushes or
//     promotions racing, or a retry), else — for a push, not a
//     promotion — the newest version that holds it;
//  3. refuses a stale baseline (*StaleBaselineError);
//  4. for a promotion, checks that the promoted version holds c's content;
//  5. writes the version, its files, descriptor set and config, the
//     subjects, the ledger (new keys with this version as their first,
//     known keys that changed meaning updated), consumes the exceptions
//     (*ExceptionUnavailableError), writes the outbox event and advances
//     the module's latest version.
//
// Between the steps it calls the commit hook of ctx (WithCommitHook) with
// the stages of CommitStages. Errors are wrapped with the module's name.
func CommitPushTx(ctx context.Context, c PushCommit, run PushTxRunner) (Version, bool, error) {
	if err := c.Validate(); err != nil {
		return Version{}, false, fmt.Errorf("commit push %s: %w", c.Module, err)
	}
	var v Version
	var created bool
	err := run(ctx, func(tx PushTx) error {
		var err error
		v, created, err = commitSteps(ctx, tx, &c)
		return err
	})
	if err != nil {
		return Version{}, false, fmt.Errorf("commit push %s: %w", c.Module, err)
	}
	if created {
		txhook.Run(ctx, txhook.AfterCommit)
	}
	return v, created, nil
}

// commitSteps runs the steps of CommitPushTx inside the transaction.
func commitSteps(ctx context.Context, tx PushTx, c *PushCommit) (Version, bool, error) {
	txhook.Run(ctx, txhook.AfterBegin)
	latest, found, err := tx.LockModule(ctx, c.Module, c.BaseVersion == 0)
	if err != nil {
		return Version{}, false, fmt.Errorf("lock module: %w", err)
	}
	if !found {
		return Version{}, false, &StaleBaselineError{Module: c.Module, BaseVersion: c.BaseVersion}
	}
	txhook.Run(ctx, txhook.AfterModuleLock)
	// After the lock: a module created by LockModule is not younger than
	// its first version.
	at := time.Now().UTC().Truncate(time.Microsecond)

	// Under the module's lock: the digest and baseline checks see every
	// committed push.
	existing, found, err := tx.VersionByDigest(ctx, c.Digest)
	if err != nil {
		return Version{}, false, fmt.Errorf("look up digest: %w", err)
	}
	if found && (existing.Number == latest || c.PromotedFrom == 0) {
		return existing, false, nil
	}
	if latest != c.BaseVersion {
		return Version{}, false, &StaleBaselineError{Module: c.Module, BaseVersion: c.BaseVersion, Latest: latest}
	}
	if c.PromotedFrom > 0 {
		if err := checkPromoted(ctx, tx, c); err != nil {
			return Version{}, false, err
		}
	}

	v := Version{
		Module:        c.Module,
		Number:        c.BaseVersion + 1,
		Digest:        c.Digest,
		Principal:     c.Principal,
		CreatedAt:     at,
		Build:         c.Build,
		FileCount:     len(c.Files),
		PromotedFrom:  c.PromotedFrom,
		PromoteReason: c.PromoteReason,
	}
	if err := tx.InsertVersion(ctx, v); err != nil {
		return Version{}, false, fmt.Errorf("insert version %d: %w", v.Number, err)
	}
	txhook.Run(ctx, txhook.AfterVersion)

	if err := tx.InsertFiles(ctx, v.Number, c.Files, c.Config, c.DescriptorSet); err != nil {
		return Version{}, false, fmt.Errorf("insert files of version %d: %w", v.Number, err)
	}
	txhook.Run(ctx, txhook.AfterFiles)

	subjectIDs, err := tx.UpsertSubjects(ctx, v.Number, c.Subjects)
	if err != nil {
		return Version{}, false, fmt.Errorf("upsert subjects: %w", err)
	}
	txhook.Run(ctx, txhook.AfterSubjects)

	if err := commitLedger(ctx, tx, subjectIDs, v.Number, dedupLedger(c.Ledger)); err != nil {
		return Version{}, false, err
	}
	txhook.Run(ctx, txhook.AfterLedger)

	if err := consumeExceptions(ctx, tx, c, v.Number, at); err != nil {
		return Version{}, false, err
	}
	event := OutboxEvent{Type: EventVersionAccepted, Module: v.Module, Version: v.Number, Digest: v.Digest,
		Payload: VersionAccepted{Module: v.Module, Version: v.Number, Digest: v.Digest}.Payload(), CreatedAt: at}
	if err := tx.InsertOutboxEvent(ctx, event); err != nil {
		return Version{}, false, fmt.Errorf("insert outbox event: %w", err)
	}
	txhook.Run(ctx, txhook.AfterOutbox)

	if err := tx.SetLatest(ctx, v.Number, at); err != nil {
		return Version{}, false, fmt.Errorf("advance latest version: %w", err)
	}
	txhook.Run(ctx, txhook.BeforeCommit)
	return v, true, nil
}

// checkPromoted checks that the version a promotion names holds the
// promotion's content.
func checkPromoted(ctx context.Context, tx PushTx, c *PushCommit) error {
	from, found, err := tx.Version(ctx, c.PromotedFrom)
	if err != nil {
		return fmt.Errorf("read promoted version %d: %w", c.PromotedFrom, err)
	}
	if !found {
		return &NotFoundError{Kind: "version", Key: fmt.Sprintf("%s@%d", c.Module, c.PromotedFrom)}
	}
	if from.Digest != c.Digest {
		return invalid("promoted_from", "version %d holds content %s, not the promoted content %s: promote a version's own files and config",
			c.PromotedFrom, from.Digest, c.Digest)
	}
	return nil
}

// commitLedger adds the entries whose keys the ledger does not hold, with
// number as their first version, and gives known keys that changed
// meaning their new one; entries whose meaning is unchanged are not
// written, so a push that repeats known keys costs reads, not writes.
func commitLedger(ctx context.Context, tx PushTx, subjectIDs map[string]int64, number int64, entries []LedgerEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]LedgerRow, len(entries))
	var ids []int64
	seen := make(map[int64]bool)
	for i, e := range entries {
		id, ok := subjectIDs[e.Subject]
		if !ok {
			return &InvalidArgumentError{Field: fmt.Sprintf("ledger[%d].subject", i),
				Problem: fmt.Sprintf("subject %s is neither declared by the push nor known to the module", e.Subject)}
		}
		rows[i] = LedgerRow{SubjectID: id, LedgerEntry: e}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	type key struct {
		subject          int64
		scope, kind, key string
	}
	known, err := tx.LedgerOf(ctx, ids)
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	meanings := make(map[key]string, len(known))
	for _, r := range known {
		meanings[key{r.SubjectID, r.Scope, string(r.Kind), r.Key}] = r.Meaning
	}
	var added, changed []LedgerRow
	for _, r := range rows {
		m, ok := meanings[key{r.SubjectID, r.Scope, string(r.Kind), r.Key}]
		switch {
		case !ok:
			added = append(added, r)
		case m != r.Meaning:
			changed = append(changed, r)
		}
	}
	if len(added) > 0 {
		if err := tx.InsertLedger(ctx, number, added); err != nil {
			return fmt.Errorf("insert ledger: %w", err)
		}
	}
	if len(changed) > 0 {
		if err := tx.SetLedgerMeanings(ctx, changed); err != nil {
			return fmt.Errorf("update ledger meanings: %w", err)
		}
	}
	return nil
}

// consumeExceptions marks the push's exceptions used by version number, or
// fails with an *ExceptionUnavailableError.
func consumeExceptions(ctx context.Context, tx PushTx, c *PushCommit, number int64, at time.Time) error {
	for _, id := range c.Exceptions {
		ok, err := tx.ConsumeException(ctx, id, c.Module, c.Digest, number, at)
		if err != nil {
			return fmt.Errorf("consume exception %d: %w", id, err)
		}
		if ok {
			continue
		}
		e, found, err := tx.Exception(ctx, id)
		switch {
		case err != nil:
			return fmt.Errorf("consume exception %d: %w", id, err)
		case !found:
			return NewExceptionUnavailableError(id, nil, c)
		}
		return NewExceptionUnavailableError(id, &e, c)
	}
	return nil
}

// dedupLedger returns entries without repeats, keeping the first of each;
// PushCommit.Validate has made sure repeats have the same meaning.
func dedupLedger(entries []LedgerEntry) []LedgerEntry {
	seen := make(map[ledgerID]bool, len(entries))
	out := make([]LedgerEntry, 0, len(entries))
	for _, e := range entries {
		if !seen[e.id()] {
			seen[e.id()] = true
			out = append(out, e)
		}
	}
	return out
}
