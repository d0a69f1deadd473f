-- pbregistry PostgreSQL schema, version 1. Names that are listed or
-- ordered use the "C" collation, so that order is byte order, as in SQLite.

-- A module, with its latest version number so that "latest" is one lookup.
-- Pushers of a module serialise on its row (SELECT … FOR UPDATE).
CREATE TABLE modules (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT COLLATE "C" NOT NULL UNIQUE,
    latest_version BIGINT      NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

-- One accepted push. (module_id, number) and (module_id, digest) are unique:
-- no duplicate numbers, no duplicate content.
CREATE TABLE versions (
    module_id    BIGINT      NOT NULL REFERENCES modules (id),
    number       BIGINT      NOT NULL CHECK (number > 0),
    digest       TEXT        NOT NULL,
    principal    TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    build_commit TEXT        NOT NULL DEFAULT '',
    build_branch TEXT        NOT NULL DEFAULT '',
    build_ci_url TEXT        NOT NULL DEFAULT '',
    build_labels JSONB       NOT NULL DEFAULT '{}',
    file_count   INTEGER     NOT NULL,
    PRIMARY KEY (module_id, number),
    UNIQUE (module_id, digest)
);

-- The large parts of a version, apart from its metadata.
CREATE TABLE version_contents (
    module_id      BIGINT NOT NULL,
    number         BIGINT NOT NULL,
    config         BYTEA  NOT NULL,
    descriptor_set BYTEA  NOT NULL,
    PRIMARY KEY (module_id, number),
    FOREIGN KEY (module_id, number) REFERENCES versions (module_id, number)
);

-- File contents, deduplicated per module by content digest.
CREATE TABLE blobs (
    module_id BIGINT NOT NULL REFERENCES modules (id),
    digest    TEXT   NOT NULL,
    content   BYTEA  NOT NULL,
    PRIMARY KEY (module_id, digest)
);

-- The files of a version.
CREATE TABLE version_files (
    module_id   BIGINT NOT NULL,
    number      BIGINT NOT NULL,
    path        TEXT COLLATE "C" NOT NULL,
    blob_digest TEXT   NOT NULL,
    PRIMARY KEY (module_id, number, path),
    FOREIGN KEY (module_id, number) REFERENCES versions (module_id, number),
    FOREIGN KEY (module_id, blob_digest) REFERENCES blobs (module_id, digest)
);

-- A subject: a message of a module that holds data. The override_* columns
-- hold an admin's configuration; pushes never touch them.
CREATE TABLE subjects (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id       BIGINT NOT NULL REFERENCES modules (id),
    name            TEXT COLLATE "C" NOT NULL,
    kind            TEXT   NOT NULL,
    primary_key     TEXT[] NOT NULL,
    level           TEXT   NOT NULL,
    use_rules       TEXT[] NOT NULL,
    except_rules    TEXT[] NOT NULL,
    first_version   BIGINT NOT NULL,
    last_version    BIGINT NOT NULL,
    override_level  TEXT,
    override_use    TEXT[],
    override_except TEXT[],
    override_by     TEXT,
    override_at     TIMESTAMPTZ,
    UNIQUE (module_id, name)
);

-- Every key ever used in a subject's message tree, with the meaning it had
-- and the version that first used it. The primary key serves lookups by
-- subject and by (subject, scope).
CREATE TABLE ledger (
    subject_id    BIGINT NOT NULL REFERENCES subjects (id),
    scope         TEXT COLLATE "C" NOT NULL,
    kind          TEXT COLLATE "C" NOT NULL,
    key           TEXT COLLATE "C" NOT NULL,
    meaning       TEXT   NOT NULL,
    first_version BIGINT NOT NULL,
    PRIMARY KEY (subject_id, scope, kind, key)
);

-- Events written in the transaction of what they report.
CREATE TABLE outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       TEXT        NOT NULL,
    module     TEXT        NOT NULL,
    version    BIGINT      NOT NULL,
    digest     TEXT        NOT NULL,
    payload    JSON        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Registered consumers. Pushes take this table in SHARE mode before fanning
-- out deliveries; registration takes it in SHARE ROW EXCLUSIVE mode, so an
-- event is either fanned out to a new consumer or visible to its backfill.
CREATE TABLE outbox_consumers (
    name       TEXT COLLATE "C" PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

-- One row per (consumer, event): the consumer's progress on the event.
-- Workers claim rows with FOR UPDATE SKIP LOCKED and hold them by lease.
CREATE TABLE outbox_deliveries (
    consumer    TEXT COLLATE "C" NOT NULL REFERENCES outbox_consumers (name),
    event_id    BIGINT      NOT NULL REFERENCES outbox (id),
    worker      TEXT        NOT NULL DEFAULT '',
    attempts    INTEGER     NOT NULL DEFAULT 0,
    lease_until TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    acked_at    TIMESTAMPTZ,
    PRIMARY KEY (consumer, event_id)
);

CREATE INDEX outbox_deliveries_pending ON outbox_deliveries (consumer, event_id) WHERE acked_at IS NULL;

-- Exceptions granted by admins, kept as an audit trail.
CREATE TABLE exceptions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module       TEXT COLLATE "C" NOT NULL,
    digest       TEXT        NOT NULL,
    rule         TEXT        NOT NULL,
    element      TEXT        NOT NULL,
    reason       TEXT        NOT NULL,
    principal    TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    used_version BIGINT,
    used_at      TIMESTAMPTZ,
    UNIQUE (module, digest, rule, element)
);
