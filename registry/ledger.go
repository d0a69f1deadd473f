package registry

import (
	"fmt"
	"regexp"
)

// LedgerKind is the kind of key a ledger entry records. The ledger is
// generic: a kind is any lowercase identifier; these are the kinds the
// compatibility check records.
type LedgerKind string

// The ledger kinds the compatibility check records.
const (
	// LedgerFieldNumber: a field number of a message; the meaning is the
	// field's name, type and cardinality.
	LedgerFieldNumber LedgerKind = "field_number"
	// LedgerFieldName: a field name of a message; the meaning is the
	// field's number and type.
	LedgerFieldName LedgerKind = "field_name"
	// LedgerJSONName: a JSON name of a message's field; the meaning is
	// the field's number.
	LedgerJSONName LedgerKind = "json_name"
	// LedgerEnumNumber: a value number of an enum; the meaning is the
	// value's name.
	LedgerEnumNumber LedgerKind = "enum_number"
	// LedgerEnumName: a value name of an enum; the meaning is its number.
	LedgerEnumName LedgerKind = "enum_name"
)

// ledgerKindPattern is what a LedgerKind must match.
var ledgerKindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// LedgerEntry records that a key — a field number, field name, JSON name,
// enum value number or name — was used in a subject's message tree with a
// meaning, since a version. A later push that gives the key another
// meaning is refused without reading history.
type LedgerEntry struct {
	// Subject is the subject's name.
	Subject string
	// Scope is the fully-qualified name of the message or enum the key
	// belongs to, e.g. "acme.commerce.v1.Order.Line".
	Scope string
	// Kind is the kind of key.
	Kind LedgerKind
	// Key is the key, e.g. "3" for a field number or "customer_id" for a
	// field name.
	Key string
	// Meaning is the canonical description of what the key meant, e.g.
	// "string customer_id" for a field number.
	Meaning string
	// FirstVersion is the version that first used the key. It is set by
	// the store; CommitPush ignores it.
	FirstVersion int64
}

// Validate returns an *InvalidArgumentError if e is malformed; field names
// e in the request.
func (e LedgerEntry) Validate(field string) error {
	if err := ValidateSubjectName(field+".subject", e.Subject); err != nil {
		return err
	}
	if e.Scope == "" {
		return invalid(field+".scope", "no scope: use the fully-qualified name of the message or enum")
	}
	if !ledgerKindPattern.MatchString(string(e.Kind)) {
		return invalid(field+".kind", "ledger kind %q is not a lowercase identifier, e.g. %q", e.Kind, LedgerFieldNumber)
	}
	if e.Key == "" {
		return invalid(field+".key", "no key")
	}
	return nil
}

// ledgerID is the identity of a ledger entry within a module.
type ledgerID struct{ subject, scope, kind, key string }

// id returns e's identity within its module.
func (e LedgerEntry) id() ledgerID { return ledgerID{e.Subject, e.Scope, string(e.Kind), e.Key} }

// String returns "subject scope kind key".
func (e LedgerEntry) String() string {
	return fmt.Sprintf("%s %s %s %s", e.Subject, e.Scope, e.Kind, e.Key)
}

// LedgerQuery selects the ledger entries of a subject.
type LedgerQuery struct {
	// Module and Subject name the subject.
	Module  string
	Subject string
	// Scope, when set, selects the entries of one message or enum.
	Scope string
}
