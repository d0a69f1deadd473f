package registry

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// ledgerKey is one key a subject's schema uses, with its meaning and where
// it is declared.
type ledgerKey struct {
	entry LedgerEntry
	desc  protoreflect.Descriptor
}

// ledgerKeys returns the keys the messages and enums of sc use in n, for
// subject: field numbers (meaning: name and type), field and JSON names
// (meaning: number), enum value numbers (meaning: names) and names
// (meaning: number).
func ledgerKeys(subject string, n *image.Index, sc scope) []ledgerKey {
	scopes := make([]string, 0, len(sc))
	for name := range sc {
		scopes = append(scopes, string(name))
	}
	sort.Strings(scopes)
	var keys []ledgerKey
	add := func(scope string, kind LedgerKind, key, meaning string, d protoreflect.Descriptor) {
		keys = append(keys, ledgerKey{
			entry: LedgerEntry{Subject: subject, Scope: scope, Kind: kind, Key: key, Meaning: meaning},
			desc:  d,
		})
	}
	for _, scope := range scopes {
		switch d := n.Lookup(protoreflect.FullName(scope)).(type) {
		case protoreflect.MessageDescriptor:
			fields := d.Fields()
			for i := 0; i < fields.Len(); i++ {
				fd := fields.Get(i)
				number := strconv.Itoa(int(fd.Number()))
				add(scope, LedgerFieldNumber, number, string(fd.Name())+" "+fieldTypeMeaning(fd), fd)
				add(scope, LedgerFieldName, string(fd.Name()), number, fd)
				if fd.JSONName() != string(fd.Name()) {
					add(scope, LedgerJSONName, fd.JSONName(), number, fd)
				}
			}
		case protoreflect.EnumDescriptor:
			byNumber := map[protoreflect.EnumNumber][]string{}
			values := d.Values()
			for i := 0; i < values.Len(); i++ {
				v := values.Get(i)
				byNumber[v.Number()] = append(byNumber[v.Number()], string(v.Name()))
				add(scope, LedgerEnumName, string(v.Name()), strconv.Itoa(int(v.Number())), v)
			}
			for i := 0; i < values.Len(); i++ {
				v := values.Get(i)
				names := byNumber[v.Number()]
				if names == nil {
					continue // an alias, recorded with the first value of the number
				}
				delete(byNumber, v.Number())
				sort.Strings(names)
				add(scope, LedgerEnumNumber, strconv.Itoa(int(v.Number())), strings.Join(names, "|"), v)
			}
		}
	}
	return keys
}

// fieldTypeMeaning describes a field's type for the ledger:
// "repeated int64", "map<string, acme.v1.Line>", "acme.v1.Money", "string".
func fieldTypeMeaning(fd protoreflect.FieldDescriptor) string {
	if fd.IsMap() {
		return fmt.Sprintf("map<%s, %s>", fieldTypeMeaning(fd.MapKey()), fieldTypeMeaning(fd.MapValue()))
	}
	t := fd.Kind().String()
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		t = string(fd.Message().FullName())
	case protoreflect.EnumKind:
		t = string(fd.Enum().FullName())
	}
	if fd.IsList() {
		return "repeated " + t
	}
	return t
}

// reuseRules names the rule reported when a key absent from the baseline
// comes back with another meaning than the ledger remembers.
var reuseRules = map[LedgerKind]string{
	LedgerFieldNumber: "FIELD_NUMBER_NO_REUSE",
	LedgerFieldName:   "FIELD_NAME_NO_REUSE",
	LedgerJSONName:    "FIELD_JSON_NAME_NO_REUSE",
	LedgerEnumNumber:  "ENUM_VALUE_NUMBER_NO_REUSE",
	LedgerEnumName:    "ENUM_VALUE_NAME_NO_REUSE",
}

// checkLedger reports the keys of current that the baseline does not use
// but that the ledger remembers with another meaning: a number or name
// deleted some versions ago, never reserved, now reused for something else.
// Data written by the versions that used it would be misread.
func checkLedger(current, baseline []ledgerKey, ledger []LedgerEntry, locate func(protoreflect.Descriptor) compat.Location) []compat.Finding {
	type id struct{ scope, kind, key string }
	inBaseline := make(map[id]bool, len(baseline))
	for _, k := range baseline {
		inBaseline[id{k.entry.Scope, string(k.entry.Kind), k.entry.Key}] = true
	}
	remembered := make(map[id]LedgerEntry, len(ledger))
	for _, e := range ledger {
		remembered[id{e.Scope, string(e.Kind), e.Key}] = e
	}
	var findings []compat.Finding
	for _, k := range current {
		i := id{k.entry.Scope, string(k.entry.Kind), k.entry.Key}
		old, ok := remembered[i]
		if inBaseline[i] || !ok || old.Meaning == k.entry.Meaning {
			continue
		}
		findings = append(findings, compat.Finding{
			Rule:       reuseRules[k.entry.Kind],
			Location:   locate(k.desc),
			Message:    reuseMessage(k.entry, old),
			Directions: compat.Both,
			Element:    string(k.desc.FullName()),
		})
	}
	return findings
}

// hasNewKeys reports whether current uses a key that baseline does not:
// only such keys can reuse what the ledger remembers.
func hasNewKeys(current, baseline []ledgerKey) bool {
	type id struct{ scope, kind, key string }
	inBaseline := make(map[id]bool, len(baseline))
	for _, k := range baseline {
		inBaseline[id{k.entry.Scope, string(k.entry.Kind), k.entry.Key}] = true
	}
	for _, k := range current {
		if !inBaseline[id{k.entry.Scope, string(k.entry.Kind), k.entry.Key}] {
			return true
		}
	}
	return false
}

func reuseMessage(now, was LedgerEntry) string {
	short := func(scope string) string {
		if i := strings.LastIndexByte(scope, '.'); i >= 0 {
			return scope[i+1:]
		}
		return scope
	}
	switch now.Kind {
	case LedgerFieldNumber:
		return fmt.Sprintf("Field %s on message %q reuses number %s, which meant %q from version %d until it was deleted; data written then would be read as %q. Use another number and reserve %s.",
			now.Key, short(now.Scope), now.Key, was.Meaning, was.FirstVersion, now.Meaning, now.Key)
	case LedgerFieldName, LedgerJSONName:
		return fmt.Sprintf("Field %q on message %q reuses a %s that belonged to field %s from version %d until it was deleted; JSON data written then would fill the wrong field. Use another name and reserve %q.",
			now.Key, short(now.Scope), strings.ReplaceAll(string(now.Kind), "_", " "), was.Meaning, was.FirstVersion, now.Key)
	case LedgerEnumNumber:
		return fmt.Sprintf("Enum %q reuses number %s, which was %s from version %d until it was deleted; data written then would be read as %s. Use another number and reserve %s.",
			short(now.Scope), now.Key, was.Meaning, was.FirstVersion, now.Meaning, now.Key)
	default:
		return fmt.Sprintf("Enum %q reuses the name %s, which was number %s from version %d until it was deleted; JSON data written then would be read as number %s. Use another name and reserve it.",
			short(now.Scope), now.Key, was.Meaning, was.FirstVersion, now.Meaning)
	}
}
