// Package confluent serves Confluent's Schema Registry REST API for
// PROTOBUF schemas, so that Kafka producers and consumers (confluent-kafka-go,
// franz-go, the Java serializers) use pbregistry as their schema registry
// without a change. docs/confluent.md documents the mapping and every
// endpoint.
//
// A request flows through four stages:
//
//  1. auth: the token is a bearer token or the password of HTTP basic
//     auth; reads need scope read, registering under subject S needs
//     push:<module of S>, configuration, modes and deletes need admin;
//  2. decode: the body (bounded by Config.MaxRequestBytes) is JSON with
//     Confluent's fields only; the schema is bounded, its type must be
//     PROTOBUF, and its references are resolved to the subject versions
//     they name, recursively (bounded in count and depth, without cycles);
//  3. the registry: Confluent subject S is the module
//     <Config.ModulePrefix>/<S> whose versions are S's versions. A new
//     schema is assigned a global id (registry.SchemaIDStore: identical
//     content, the same id across subjects), then pushed with
//     registry.Service.Push — its file, the files it imports, and a
//     pbregistry.yaml declaring each top-level message an event subject at
//     the Confluent level with WIRE rules — and the new version is bound
//     to the id. So a registration is checked, recorded in the ledger and
//     the outbox, and visible in the native API like any push;
//  4. errors: Confluent's body {"error_code": …, "message": …} with its
//     codes (40401 subject not found, 409 incompatible, 42201 invalid
//     schema, …).
package confluent
