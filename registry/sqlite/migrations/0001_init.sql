-- pbregistry SQLite schema, version 1. Times are Unix microseconds (UTC);
-- lists and maps are JSON text.

-- A module, with its latest version number so that "latest" is one lookup.
CREATE TABLE modules (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    latest_version INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

-- One accepted push. (module_id, number) and (module_id, digest) are unique:
-- no duplicate numbers, no duplicate content.
CREATE TABLE versions (
    module_id    INTEGER NOT NULL REFERENCES modules (id),
    number       INTEGER NOT NULL CHECK (number > 0),
    digest       TEXT    NOT NULL,
    principal    TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    build_commit TEXT    NOT NULL DEFAULT '',
    build_branch TEXT    NOT NULL DEFAULT '',
    build_ci_url TEXT    NOT NULL DEFAULT '',
    build_labels TEXT    NOT NULL DEFAULT '{}',
    file_count   INTEGER NOT NULL,
    PRIMARY KEY (module_id, number),
    UNIQUE (module_id, digest)
) STRICT, WITHOUT ROWID;

-- The large parts of a version, apart from its metadata.
CREATE TABLE version_contents (
    module_id      INTEGER NOT NULL,
    number         INTEGER NOT NULL,
    config         BLOB    NOT NULL,
    descriptor_set BLOB    NOT NULL,
    PRIMARY KEY (module_id, number),
    FOREIGN KEY (module_id, number) REFERENCES versions (module_id, number)
) STRICT;

-- File contents, deduplicated per module by content digest: a file that
-- does not change is stored once however many versions carry it.
CREATE TABLE blobs (
    module_id INTEGER NOT NULL REFERENCES modules (id),
    digest    TEXT    NOT NULL,
    content   BLOB    NOT NULL,
    PRIMARY KEY (module_id, digest)
) STRICT;

-- The files of a version.
CREATE TABLE version_files (
    module_id   INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    blob_digest TEXT    NOT NULL,
    PRIMARY KEY (module_id, number, path),
    FOREIGN KEY (module_id, number) REFERENCES versions (module_id, number),
    FOREIGN KEY (module_id, blob_digest) REFERENCES blobs (module_id, digest)
) STRICT, WITHOUT ROWID;

-- A subject: a message of a module that holds data. The override_* columns
-- hold an admin's configuration; pushes never touch them.
CREATE TABLE subjects (
    id              INTEGER PRIMARY KEY,
    module_id       INTEGER NOT NULL REFERENCES modules (id),
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    primary_key     TEXT    NOT NULL,
    level           TEXT    NOT NULL,
    use_rules       TEXT    NOT NULL,
    except_rules    TEXT    NOT NULL,
    first_version   INTEGER NOT NULL,
    last_version    INTEGER NOT NULL,
    override_level  TEXT,
    override_use    TEXT,
    override_except TEXT,
    override_by     TEXT,
    override_at     INTEGER,
    UNIQUE (module_id, name)
) STRICT;

-- Every key ever used in a subject's message tree, with the meaning it had
-- and the version that first used it. The primary key serves lookups by
-- subject and by (subject, scope).
CREATE TABLE ledger (
    subject_id    INTEGER NOT NULL REFERENCES subjects (id),
    scope         TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    meaning       TEXT    NOT NULL,
    first_version INTEGER NOT NULL,
    PRIMARY KEY (subject_id, scope, kind, key)
) STRICT, WITHOUT ROWID;

-- Events written in the transaction of what they report. AUTOINCREMENT:
-- IDs are never reused.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT    NOT NULL,
    module     TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    digest     TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox_consumers (
    name       TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
) STRICT;

-- One row per (consumer, event): the consumer's progress on the event.
CREATE TABLE outbox_deliveries (
    consumer    TEXT    NOT NULL REFERENCES outbox_consumers (name),
    event_id    INTEGER NOT NULL REFERENCES outbox (id),
    worker      TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    acked_at    INTEGER,
    PRIMARY KEY (consumer, event_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX outbox_deliveries_pending ON outbox_deliveries (consumer, event_id) WHERE acked_at IS NULL;

-- Exceptions granted by admins, kept as an audit trail.
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
    used_at      INTEGER,
    UNIQUE (module, digest, rule, element)
) STRICT;
