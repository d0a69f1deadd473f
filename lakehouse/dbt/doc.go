// Package dbt generates a dbt project that reads proto-JSON rows landed in
// a warehouse: for a module version, one source per module with a table per
// subject, and one staging model per subject that unpacks the JSON column
// into typed columns, for the postgres, duckdb, bigquery and snowflake
// dialects.
//
// The models are generated from [lakehouse.Table]s — the column model of a
// message over its history — so one model over the latest schema reads
// every row ever written: fields deleted later stay as deprecated columns,
// every JSON key a field number ever had is read (its JSON name and its
// original name in every version), enums given as numbers or old names read
// as the latest name, and proto3 fields without presence read as their
// default when absent, as protobuf gives them.
//
// Tests: unique and not_null on the primary key; accepted_values (warn)
// on enums, every name ever used; not_null on a required field — one a
// policy in force requires (the caller passes them: ModuleOptions.Required,
// from policies.RequiredFields: EVENT_ID_FIELD's and EVENT_OCCURRED_AT's
// params.field), one pbregistry.yaml's lakehouse.tables not_null: lists,
// or a proto2 required field (with every field on its path required) —
// when its column can be NULL at all (the field has presence: a field
// without it reads as its default), it is not deprecated, and every
// version of the history has it (rows written before it existed lack it).
//
// Generation is a pure function: the same project gives the same bytes.
// The YAML is valid under both the dbt-core and the dbt Fusion JSON schemas:
// meta, tags, freshness and loaded_at_field go under config:, and generic
// tests give their arguments under arguments:.
package dbt
