-- Global schema ids (registry.SchemaIDStore), for APIs that name schemas by
-- number, such as Confluent's Schema Registry API.

-- A schema: content, identified by the digest the API computed, with its id.
CREATE TABLE schema_ids (
    id         BIGINT PRIMARY KEY CHECK (id > 0 AND id <= 2147483647),
    digest     TEXT        NOT NULL UNIQUE,
    type       TEXT        NOT NULL,
    text       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- The imports of a schema: file name, and the module version it names.
CREATE TABLE schema_references (
    schema_id BIGINT  NOT NULL REFERENCES schema_ids (id),
    position  INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    module    TEXT COLLATE "C" NOT NULL,
    version   BIGINT  NOT NULL,
    PRIMARY KEY (schema_id, position)
);
CREATE INDEX schema_references_target ON schema_references (module, version);

-- Which module version holds which schema; deleted: a soft delete.
CREATE TABLE schema_bindings (
    module    TEXT COLLATE "C" NOT NULL,
    version   BIGINT  NOT NULL CHECK (version > 0),
    schema_id BIGINT  NOT NULL REFERENCES schema_ids (id),
    deleted   BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (module, version)
);
CREATE INDEX schema_bindings_schema ON schema_bindings (schema_id);

-- Small settings per module ('' for global), e.g. a compatibility level.
CREATE TABLE schema_settings (
    module TEXT COLLATE "C" NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (module, key)
);
