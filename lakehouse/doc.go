// Package lakehouse turns a protobuf message and its history into the
// column model that pbtables and warehouse models are generated from. It is
// a set of pure functions of schemas, history and configuration: no I/O, no
// registry or storage.
//
// The pipeline:
//
//  1. A subject's message descriptor (the version to generate for) and its
//     history — the earlier descriptors of the same message, oldest first —
//     go into [NewTable].
//  2. NewTable merges the versions field number by field number: every name
//     and JSON name a number ever had, its kind, its presence, and whether a
//     later version deleted it ([Column.Deprecated]). The primary key's
//     dotted paths become [Path]s whose steps carry every JSON key the step
//     ever had.
//  3. [NewTableWith] can also flatten singular nested messages into
//     parent__child columns, level by level, following each nested field's
//     number through the history too.
//  4. Generators read the [Table]: the pgddl sub-package writes the
//     Postgres DDL of a pbtable and its migrations; the dbt sub-package
//     writes a dbt project whose staging models read the same columns from
//     a warehouse, for each SQL dialect.
//
// Protobuf's JSON mapping decides what a row holds: a parser accepts a
// field under its JSON name and under its original name, 64-bit integers as
// JSON strings or numbers, enums as names or numbers. The model therefore
// lists every key a reader must look at, newest first.
package lakehouse
