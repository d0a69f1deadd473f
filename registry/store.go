package registry

import "context"

// Store holds everything the registry has accepted. Implementations are
// safe for concurrent use by many goroutines, and — for registry/postgres —
// by several processes sharing one database.
//
// Reads cost the same whatever the number of versions a module has: the
// latest version is kept on the module, and every lookup goes through an
// index. Nothing reads whole histories into memory.
type Store interface {
	// CommitPush writes an accepted push in one transaction: version
	// BaseVersion+1 with its files, descriptor set and config, the
	// subjects, the new ledger entries, the consumed exceptions and an
	// EventVersionAccepted outbox event — all or nothing. Every backend
	// implements it with CommitPushTx, which owns the steps, over its own
	// PushTx: the backends only run SQL.
	//
	// If the module's latest version holds the push's digest, CommitPush
	// returns it with created == false and writes nothing, even when
	// identical pushes (or promotions) race. A push — not a promotion —
	// of content that an older version holds returns the newest such
	// version the same way: the latest version does not change (to roll
	// back, promote). Otherwise, if the module's latest version is not
	// BaseVersion, it returns a *StaleBaselineError (ErrStaleBaseline):
	// the caller checks the push again against the latest version and
	// retries. A promotion (PromotedFrom > 0) writes a new version with
	// the promoted version's content, which must be c's.
	CommitPush(ctx context.Context, c PushCommit) (v Version, created bool, err error)

	// GetModule returns a module.
	GetModule(ctx context.Context, module string) (Module, error)
	// ListModules lists modules by name.
	ListModules(ctx context.Context, page PageRequest) (Page[Module], error)

	// GetVersion returns version number of module, or its latest version
	// if number is LatestVersion.
	GetVersion(ctx context.Context, module string, number int64) (Version, error)
	// GetVersionByDigest returns the newest version of module with
	// digest (several versions hold one digest after a promotion).
	GetVersionByDigest(ctx context.Context, module, digest string) (Version, error)
	// ListVersions lists a module's versions, newest first.
	ListVersions(ctx context.Context, module string, page PageRequest) (Page[Version], error)
	// GetFiles returns the files of a version (LatestVersion: the
	// latest), by path.
	GetFiles(ctx context.Context, module string, number int64) ([]File, error)
	// GetDescriptorSet returns the serialized FileDescriptorSet of a
	// version (LatestVersion: the latest).
	GetDescriptorSet(ctx context.Context, module string, number int64) ([]byte, error)
	// GetConfig returns the config a version was pushed with
	// (LatestVersion: the latest).
	GetConfig(ctx context.Context, module string, number int64) ([]byte, error)

	// GetSubject returns a subject of a module.
	GetSubject(ctx context.Context, module, subject string) (Subject, error)
	// ListSubjects returns every subject of a module, by name.
	ListSubjects(ctx context.Context, module string) ([]Subject, error)
	// SetSubjectConfig overrides a subject's compatibility configuration,
	// recording who set it and when. The override survives later pushes.
	SetSubjectConfig(ctx context.Context, r SubjectConfigRequest) (Subject, error)
	// ClearSubjectConfig removes a subject's override, if any, so that
	// the pushed configuration is in force again.
	ClearSubjectConfig(ctx context.Context, module, subject string) (Subject, error)

	// Ledger returns a subject's ledger entries (of one scope, if the
	// query names one), ordered by scope, kind and key.
	Ledger(ctx context.Context, q LedgerQuery) ([]LedgerEntry, error)

	// RegisterConsumer registers an outbox consumer; registering one
	// that exists does nothing. Every event written after it is
	// registered is delivered to it; with backfill, every earlier event
	// is too.
	RegisterConsumer(ctx context.Context, name string, backfill bool) (OutboxConsumer, error)
	// ClaimOutbox claims, for a worker of a consumer, the oldest
	// deliveries that are neither acknowledged nor held by another
	// worker's unexpired lease, oldest first. Several workers may claim
	// concurrently: each delivery goes to one of them at a time.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]OutboxDelivery, error)
	// AckOutbox acknowledges a delivery: the consumer processed the
	// event, which is not delivered to it again. Acknowledging twice is
	// not an error.
	AckOutbox(ctx context.Context, consumer string, eventID int64) error

	// CreateException grants an exception; one that exists, unused, for
	// the same module, digest, rule and element yields ErrAlreadyExists
	// (a used one does not: a promotion carries its digest again).
	CreateException(ctx context.Context, s ExceptionSpec) (Exception, error)
	// GetException returns an exception.
	GetException(ctx context.Context, id int64) (Exception, error)
	// ListExceptions lists a module's exceptions, oldest first.
	ListExceptions(ctx context.Context, q ExceptionQuery) ([]Exception, error)

	// Close releases the store's resources.
	Close() error

	// Lifecycle (see lifecycle.go). Each write records a LifecycleEvent
	// in its transaction when it changes something; repeating one changes
	// nothing and returns changed == false.

	// RetireSubject retires a subject as of the module's latest version,
	// recording who, when and why; its ledger is kept.
	RetireSubject(ctx context.Context, r RetireSubjectRequest) (sub Subject, changed bool, err error)
	// DeprecateModule sets a module's deprecation (replacing another
	// message).
	DeprecateModule(ctx context.Context, r DeprecateModuleRequest) (m Module, changed bool, err error)
	// UndeprecateModule clears a module's deprecation.
	UndeprecateModule(ctx context.Context, module, principal string) (m Module, changed bool, err error)
	// DeleteVersion deletes a version from serving, recording who, when
	// and why. Its content, ledger entries and outbox event stay, and the
	// module's latest version does not change.
	DeleteVersion(ctx context.Context, r DeleteVersionRequest) (v Version, changed bool, err error)
	// RestoreVersion serves a deleted version again.
	RestoreVersion(ctx context.Context, module string, number int64, principal string) (v Version, changed bool, err error)
	// LatestServedVersion returns the newest version of module that is not
	// deleted; a *NotFoundError when there is none.
	LatestServedVersion(ctx context.Context, module string) (Version, error)
	// ListLifecycleEvents lists a module's lifecycle events, newest first.
	ListLifecycleEvents(ctx context.Context, module string, page PageRequest) (Page[LifecycleEvent], error)
}

// Pinger is implemented by stores that can tell cheaply whether their
// database answers at all, without touching any module: health checks use
// it to tell "down" (Ping fails) from "degraded" (Ping answers but a
// module's queries are slow, e.g. while a stalled peer holds its lock).
type Pinger interface {
	// Ping returns nil when the store's database answers.
	Ping(ctx context.Context) error
}
