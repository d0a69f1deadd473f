-- pbregistry PostgreSQL schema, version 2: lifecycle. Admins retire
-- subjects, deprecate modules and delete versions from serving; each is
-- recorded on the row (who, when, why) and in lifecycle_events.

-- A subject is retired while retired_version is set and no push after it
-- declared the subject (last_version <= retired_version). Its ledger stays.
ALTER TABLE subjects
    ADD COLUMN retired_version BIGINT,
    ADD COLUMN retired_by      TEXT,
    ADD COLUMN retired_at      TIMESTAMPTZ,
    ADD COLUMN retired_reason  TEXT;

-- A deprecated module is still served and still accepts pushes.
ALTER TABLE modules
    ADD COLUMN deprecation_message TEXT,
    ADD COLUMN deprecated_by       TEXT,
    ADD COLUMN deprecated_at       TIMESTAMPTZ;

-- A deleted version is not served; it stays in the ledger, the outbox and
-- history, and stays the module's latest version (the baseline of pushes).
ALTER TABLE versions
    ADD COLUMN deleted_at     TIMESTAMPTZ,
    ADD COLUMN deleted_by     TEXT,
    ADD COLUMN deleted_reason TEXT;

-- Every lifecycle action, as an audit trail.
CREATE TABLE lifecycle_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module    TEXT COLLATE "C" NOT NULL,
    action    TEXT        NOT NULL,
    subject   TEXT        NOT NULL DEFAULT '',
    version   BIGINT      NOT NULL DEFAULT 0,
    text      TEXT        NOT NULL DEFAULT '',
    principal TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);

CREATE INDEX lifecycle_events_module ON lifecycle_events (module, id);
