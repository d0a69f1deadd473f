// Package pgddl writes the Postgres DDL of a pbtable — a table whose rows
// are one protobuf message each, stored as proto-JSON — and the migration
// from one version of its message to another.
//
// The pipeline: a [lakehouse.Table] (the column model of the message over
// its history) and [Options] go into [Create] or [Migrate], which return a
// [Script]: statements, each with a comment saying what it locks and
// whether it rewrites the table. Script.String renders it; the same input
// always renders the same bytes.
//
// What Create makes, for a subject acme.billing.v1.Invoice with key id:
//
//   - IMMUTABLE, total helper functions (pbtable_to_int64, pbtable_to_timestamp,
//     …) that turn a proto-JSON value into a SQL value, or NULL when they
//     cannot. They never raise, so a generated column can never abort a
//     write; text→timestamptz casts are only STABLE, so timestamps are
//     parsed field by field and assembled with make_timestamp, which is
//     IMMUTABLE.
//   - One function per enum column mapping numbers (and old names) to the
//     current name; an unknown number reads as its decimal text.
//   - The table "invoice": the row as jsonb, and the primary key and each
//     top-level scalar field as a STORED generated column. 64-bit integers
//     are read from JSON strings or numbers, uint64 as numeric, enums as
//     names. Fields without presence read as their zero value when absent,
//     as protobuf gives them; fields with presence stay NULL.
//   - A BEFORE INSERT OR UPDATE trigger that validates every value on the
//     way in and raises an error naming the column and the JSON key
//     (SQLSTATE 22023, with the column in the error's COLUMN field), so a
//     bad row is refused as a whole and nothing stored changes.
//   - A jsonb_path_ops GIN index on the row, and the primary key.
//   - The view "invoice_view" with the same columns and an INSTEAD OF
//     trigger: INSERT takes the whole JSON (column "row"), individual
//     columns, or both (columns win) and upserts on the key; UPDATE
//     changes the JSON or columns; DELETE deletes by key; RETURNING *
//     shows the generated values. Writing a field's zero value to a column
//     of a field without presence drops its key, as protojson would, and
//     writing NULL drops it too.
//
// Why triggers and not rules: PostgreSQL refuses INSERT … ON CONFLICT on a
// view that has INSTEAD rules ("INSERT with ON CONFLICT clause cannot be
// used with table that has INSERT or UPDATE rules"), and a rule rewrites
// the query, so volatile expressions of the statement (now(), nextval(),
// random()) are evaluated once per rule action rather than once. An
// INSTEAD OF trigger sees each row once, computes it once, and returns the
// stored row for RETURNING. A view has no unique index for ON CONFLICT
// (key) to name either, so the trigger does the upsert itself: every
// INSERT through the view is an upsert on the primary key.
//
// Migrate writes the script from one version to another: new fields get
// new generated columns (ALTER TABLE … ADD COLUMN, which rewrites the
// table under an ACCESS EXCLUSIVE lock), deleted fields keep their columns
// so old rows keep their data, and the view and triggers are replaced.
// With Options.NoRewrite the new columns are plain expressions of the view
// instead, each with an expression index built by CREATE INDEX
// CONCURRENTLY, which neither rewrites nor blocks writes.
package pgddl
