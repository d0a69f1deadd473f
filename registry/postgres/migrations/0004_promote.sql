-- Promotions: a version may carry an earlier version's content again
-- (Service.Promote, for rollbacks), recording which one and why. A digest
-- is unique per module among pushed versions only, so that a push of
-- content already accepted is still answered with its version, while
-- promoted versions may repeat it.
ALTER TABLE versions
    ADD COLUMN promoted_from  BIGINT CHECK (promoted_from > 0 AND promoted_from < number),
    ADD COLUMN promote_reason TEXT NOT NULL DEFAULT '',
    ADD FOREIGN KEY (module_id, promoted_from) REFERENCES versions (module_id, number),
    DROP CONSTRAINT versions_module_id_digest_key;

-- No duplicate content among pushed versions.
CREATE UNIQUE INDEX versions_pushed_digest ON versions (module_id, digest) WHERE promoted_from IS NULL;
-- The newest version with a digest, pushed or promoted.
CREATE INDEX versions_digest ON versions (module_id, digest, number);

-- An exception lets one push through once. A promotion carries an earlier
-- version's digest again, and may need the same finding let through again:
-- (module, digest, rule, element) is unique among unused exceptions only,
-- so that an admin can approve it once more after its first use.
ALTER TABLE exceptions DROP CONSTRAINT exceptions_module_digest_rule_element_key;
CREATE UNIQUE INDEX exceptions_unused ON exceptions (module, digest, rule, element) WHERE used_version IS NULL;
CREATE INDEX exceptions_by_digest ON exceptions (module, digest, id);
