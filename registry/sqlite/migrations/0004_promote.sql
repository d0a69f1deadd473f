-- Promotions: a version may carry an earlier version's content again
-- (Service.Promote, for rollbacks), recording which one and why. A digest
-- is unique per module among pushed versions only, so that a push of
-- content already accepted is still answered with its version, while
-- promoted versions may repeat it.
--
-- SQLite cannot drop a table's UNIQUE constraint: the versions table is
-- rebuilt. Its rows are kept aside, the table dropped and created again,
-- and the rows put back. Foreign-key checks are deferred to COMMIT: the
-- drop orphans the files and contents of every version, and putting each
-- version back adopts them again. (promoted_from has no foreign key:
-- CommitPushTx checks the promoted version.)
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE versions_before_0004 AS
    SELECT module_id, number, digest, principal, created_at,
        build_commit, build_branch, build_ci_url, build_labels, file_count,
        deleted_at, deleted_by, deleted_reason
    FROM versions;

DROP TABLE versions;

CREATE TABLE versions (
    module_id      INTEGER NOT NULL REFERENCES modules (id),
    number         INTEGER NOT NULL CHECK (number > 0),
    digest         TEXT    NOT NULL,
    principal      TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    build_commit   TEXT    NOT NULL DEFAULT '',
    build_branch   TEXT    NOT NULL DEFAULT '',
    build_ci_url   TEXT    NOT NULL DEFAULT '',
    build_labels   TEXT    NOT NULL DEFAULT '{}',
    file_count     INTEGER NOT NULL,
    deleted_at     INTEGER,
    deleted_by     TEXT,
    deleted_reason TEXT,
    promoted_from  INTEGER CHECK (promoted_from > 0 AND promoted_from < number),
    promote_reason TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (module_id, number)
) STRICT, WITHOUT ROWID;

INSERT INTO versions (module_id, number, digest, principal, created_at,
        build_commit, build_branch, build_ci_url, build_labels, file_count,
        deleted_at, deleted_by, deleted_reason)
    SELECT module_id, number, digest, principal, created_at,
        build_commit, build_branch, build_ci_url, build_labels, file_count,
        deleted_at, deleted_by, deleted_reason
    FROM versions_before_0004;

DROP TABLE versions_before_0004;

-- No duplicate content among pushed versions.
CREATE UNIQUE INDEX versions_pushed_digest ON versions (module_id, digest) WHERE promoted_from IS NULL;
-- The newest version with a digest, pushed or promoted.
CREATE INDEX versions_digest ON versions (module_id, digest, number);

-- An exception lets one push through once. A promotion carries an earlier
-- version's digest again, and may need the same finding let through again:
-- (module, digest, rule, element) is unique among unused exceptions only,
-- so that an admin can approve it once more after its first use. The table
-- is rebuilt for the same reason as versions; IDs are kept.
CREATE TEMP TABLE exceptions_before_0004 AS SELECT * FROM exceptions;

DROP TABLE exceptions;

CREATE TABLE exceptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    module       TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    rule         TEXT    NOT NULL,
    element      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    principal    TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    used_version INTEGER,
    used_at      INTEGER
) STRICT;

INSERT INTO exceptions (id, module, digest, rule, element, reason, principal, created_at, used_version, used_at)
    SELECT id, module, digest, rule, element, reason, principal, created_at, used_version, used_at
    FROM exceptions_before_0004;

DROP TABLE exceptions_before_0004;

CREATE UNIQUE INDEX exceptions_unused ON exceptions (module, digest, rule, element) WHERE used_version IS NULL;
CREATE INDEX exceptions_by_digest ON exceptions (module, digest, id);
