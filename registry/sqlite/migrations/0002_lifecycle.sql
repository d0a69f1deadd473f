-- pbregistry SQLite schema, version 2: lifecycle. Admins retire subjects,
-- deprecate modules and delete versions from serving; each is recorded on
-- the row (who, when, why) and in lifecycle_events.

-- A subject is retired while retired_version is set and no push after it
-- declared the subject (last_version <= retired_version). Its ledger stays.
ALTER TABLE subjects ADD COLUMN retired_version INTEGER;
ALTER TABLE subjects ADD COLUMN retired_by TEXT;
ALTER TABLE subjects ADD COLUMN retired_at INTEGER;
ALTER TABLE subjects ADD COLUMN retired_reason TEXT;

-- A deprecated module is still served and still accepts pushes.
ALTER TABLE modules ADD COLUMN deprecation_message TEXT;
ALTER TABLE modules ADD COLUMN deprecated_by TEXT;
ALTER TABLE modules ADD COLUMN deprecated_at INTEGER;

-- A deleted version is not served; it stays in the ledger, the outbox and
-- history, and stays the module's latest version (the baseline of pushes).
ALTER TABLE versions ADD COLUMN deleted_at INTEGER;
ALTER TABLE versions ADD COLUMN deleted_by TEXT;
ALTER TABLE versions ADD COLUMN deleted_reason TEXT;

-- Every lifecycle action, as an audit trail. AUTOINCREMENT: IDs are never
-- reused.
CREATE TABLE lifecycle_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    module    TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL DEFAULT '',
    version   INTEGER NOT NULL DEFAULT 0,
    text      TEXT    NOT NULL DEFAULT '',
    principal TEXT    NOT NULL,
    at        INTEGER NOT NULL
) STRICT;

CREATE INDEX lifecycle_events_module ON lifecycle_events (module, id);
