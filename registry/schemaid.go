package registry

import (
	"context"
	"fmt"
	"time"
)

// Schema ids. APIs that name a schema by a number — Confluent's Schema
// Registry REST API, whose wire format carries the number in every Kafka
// message — need one id per distinct content, across modules, kept
// forever: a message written years ago must still decode. A
// SchemaIDStore keeps them beside the Store, in the same database:
//
//   - Schema: the content an id names (its text, type and references),
//     identified by a digest the API computes (identical content, the same
//     digest, the same id);
//   - SchemaBinding: which module version holds which schema, soft-deleted
//     or not — the API's "subject version";
//   - settings: small per-module (or global, module "") key/value pairs
//     such as an API's compatibility level or mode.
//
// Modules and versions stay the registry's own: a binding only points at
// a version that Service.Push accepted, so that everything the API writes
// is checked, in the ledger and the outbox like any push.

// MaxSchemaID is the largest schema id: Confluent's wire format carries a
// signed 32-bit id.
const MaxSchemaID = 1<<31 - 1

// Schema is content with a global id.
type Schema struct {
	// ID is the schema's id, 1, 2, 3… in order of first registration
	// (or the id an import asked for).
	ID int64
	// Digest identifies the content: equal content, equal digest. The
	// API computes it (e.g. a SHA-256 over type, text and references);
	// the store only compares it.
	Digest string
	// Type is the schema's type, e.g. "PROTOBUF".
	Type string
	// Text is the schema as first registered.
	Text string
	// References are the other schemas Text imports, in the order given.
	References []SchemaReference
	// CreatedAt is when the id was assigned.
	CreatedAt time.Time
}

// SchemaReference is an import of a schema: the file name it imports and
// the module version whose schema that file is.
type SchemaReference struct {
	// Name is the import path, e.g. "acme/common.proto".
	Name string
	// Module and Version name the module version holding the imported
	// schema.
	Module  string
	Version int64
}

// SchemaBinding says that a module version holds a schema.
type SchemaBinding struct {
	// Module and Version name the module version.
	Module  string
	Version int64
	// SchemaID is the schema it holds.
	SchemaID int64
	// Deleted reports a soft delete: the binding is hidden from the
	// API's listings but kept, and the id still resolves.
	Deleted bool
}

// SchemaBindingQuery selects bindings; every set field must match.
type SchemaBindingQuery struct {
	// Module selects one module's bindings.
	Module string
	// ModulePrefix selects the bindings of modules whose name starts
	// with it.
	ModulePrefix string
	// SchemaID selects the bindings of one schema.
	SchemaID int64
	// IncludeDeleted includes soft-deleted bindings.
	IncludeDeleted bool
	// Limit bounds the result; 0 means no bound.
	Limit int
}

// SchemaIDStore gives schemas global ids and binds them to module
// versions. registry/sqlite and registry/postgres implement it on the
// database of their Store; registry/storetest's RunSchemaIDs is its
// conformance suite.
type SchemaIDStore interface {
	// AssignSchemaID returns the schema with s.Digest, storing s with a
	// new id first if there is none (created). A new id is the next one
	// after the largest, or s.ID when it is not zero (an import keeping
	// the ids of another registry): if that id names another digest, or
	// the digest has another id, it fails with ErrConflict. Identical
	// concurrent calls get the same id.
	AssignSchemaID(ctx context.Context, s Schema) (out Schema, created bool, err error)
	// GetSchema returns the schema with id.
	GetSchema(ctx context.Context, id int64) (Schema, error)
	// GetSchemaByDigest returns the schema with digest.
	GetSchemaByDigest(ctx context.Context, digest string) (Schema, error)

	// BindSchema records that b.Module's version b.Version holds schema
	// b.SchemaID, not deleted; binding again undoes a soft delete. A
	// version bound to another schema yields ErrConflict.
	BindSchema(ctx context.Context, b SchemaBinding) error
	// GetSchemaBinding returns the binding of a module version, deleted
	// or not.
	GetSchemaBinding(ctx context.Context, module string, version int64) (SchemaBinding, error)
	// ListSchemaBindings returns the bindings q selects, by module and
	// version.
	ListSchemaBindings(ctx context.Context, q SchemaBindingQuery) ([]SchemaBinding, error)
	// SetSchemaBindingDeleted soft-deletes (or restores) a binding.
	SetSchemaBindingDeleted(ctx context.Context, module string, version int64, deleted bool) error
	// DeleteSchemaBinding removes a binding for good; the module version
	// and the schema's id stay. A binding that a bound schema references
	// yields ErrConflict.
	DeleteSchemaBinding(ctx context.Context, module string, version int64) error
	// SchemaReferrers returns the ids of the schemas that reference a
	// module version and are bound to some version, ascending.
	SchemaReferrers(ctx context.Context, module string, version int64) ([]int64, error)

	// GetSchemaSetting returns a setting of a module ("" for the global
	// one), or ErrNotFound.
	GetSchemaSetting(ctx context.Context, module, key string) (string, error)
	// PutSchemaSetting sets a setting.
	PutSchemaSetting(ctx context.Context, module, key, value string) error
	// DeleteSchemaSetting removes a setting; removing one that does not
	// exist yields ErrNotFound.
	DeleteSchemaSetting(ctx context.Context, module, key string) error
	// ListSchemaSettings returns every setting of the modules (""
	// for the global ones) in one read, by module and key.
	ListSchemaSettings(ctx context.Context, modules ...string) ([]SchemaSetting, error)
}

// SchemaSetting is a setting of a module ("" for a global one).
type SchemaSetting struct {
	Module, Key, Value string
}

// Validate returns an *InvalidArgumentError if s cannot be stored.
func (s *Schema) Validate() error {
	if s.ID < 0 || s.ID > MaxSchemaID {
		return invalid("id", "schema id %d is not between 1 and %d", s.ID, MaxSchemaID)
	}
	if s.Digest == "" || len(s.Digest) > 128 {
		return invalid("digest", "the schema's digest is empty or longer than 128 bytes")
	}
	if s.Type == "" {
		return invalid("type", "the schema has no type")
	}
	for i, r := range s.References {
		field := fmt.Sprintf("references[%d]", i)
		if r.Name == "" {
			return invalid(field+".name", "the reference has no name")
		}
		if err := ValidateModuleName(r.Module); err != nil {
			return err
		}
		if r.Version <= 0 {
			return invalid(field+".version", "version %d is not positive", r.Version)
		}
	}
	return nil
}

// Validate returns an *InvalidArgumentError if b cannot be stored.
func (b *SchemaBinding) Validate() error {
	if err := ValidateModuleName(b.Module); err != nil {
		return err
	}
	if b.Version <= 0 {
		return invalid("version", "version %d is not positive", b.Version)
	}
	if b.SchemaID <= 0 || b.SchemaID > MaxSchemaID {
		return invalid("schema_id", "schema id %d is not between 1 and %d", b.SchemaID, MaxSchemaID)
	}
	return nil
}
