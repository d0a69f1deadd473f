package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
)

// FileName is the name of pbregistry's own configuration file.
const FileName = "pbregistry.yaml"

var (
	pbrKeys        = []string{"version", "module", "roots", "excludes", "breaking", "subjects", "policies", "lakehouse"}
	pbrSubjectKeys = []string{"message", "kind", "primary_key", "compatibility", "use", "except"}
	moduleNameRE   = regexp.MustCompile(`^[a-z0-9._-]+(/[a-z0-9._-]+)*$`)
)

// SubjectKind is the kind of data a subject's messages are stored as.
type SubjectKind string

// The subject kinds.
const (
	// KindPBTable is a database table whose rows are the message.
	KindPBTable SubjectKind = "pbtable"
	// KindEvent is an event stream of the message.
	KindEvent SubjectKind = "event"
	// KindLog is a log of the message.
	KindLog SubjectKind = "log"
)

// Valid reports whether k is one of the subject kinds.
func (k SubjectKind) Valid() bool {
	return k == KindPBTable || k == KindEvent || k == KindLog
}

// Subject is one entry of subjects: in pbregistry.yaml: a message whose
// data lives somewhere and whose evolution the registry governs.
type Subject struct {
	// Message is the fully-qualified message name, without a leading dot.
	Message string
	// Kind is pbtable, event or log.
	Kind SubjectKind
	// PrimaryKey lists the primary key's fields (pbtable only): field names
	// of the message, or dotted paths through singular message fields to
	// fields of nested messages ("key.id"). The built-in policies
	// PBTABLE_PRIMARY_KEY and PBTABLE_PRIMARY_KEY_NO_ONEOF check them
	// against the schema.
	PrimaryKey []string
	// Compatibility overrides the breaking section's level when set
	// (not "").
	Compatibility Level
	// Use and Except override the breaking section's rules when set.
	Use, Except []string
	// Pos is the position of the subject's entry.
	Pos Pos
	// Positions holds the position of each key of the entry, by key.
	Positions map[string]Pos
}

// pbrYAML is a parsed pbregistry.yaml.
type pbrYAML struct {
	name      string
	namePos   Pos
	roots     []item
	hasRoots  bool
	excludes  []item
	hasExcl   bool
	breaking  *rawBreaking
	subjects  []Subject
	policies  *yaml.Node
	lakehouse *yaml.Node
}

func parsePBRegistryYAML(file string, data []byte) (*pbrYAML, error) {
	root, err := document(file, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty file: add \"version: v1\""}
	}
	top, err := mapping(file, root, baseName(file), pbrKeys)
	if err != nil {
		return nil, err
	}
	if _, _, err := fileVersion(file, top, []string{"v1"}, "v1"); err != nil {
		return nil, err
	}
	out := &pbrYAML{}
	for _, p := range top {
		switch p.key {
		case "module":
			if out.name, err = scalar(file, p.value, "module"); err != nil {
				return nil, err
			}
			out.namePos = PosAt(file, p.value)
			if !moduleNameRE.MatchString(out.name) {
				return nil, ErrorAt(file, p.value, "invalid module name %q: use lowercase segments of a-z, 0-9, '.', '_' and '-' separated by '/', like acme/commerce", out.name)
			}
		case "roots":
			out.roots, err = stringList(file, p.value, "roots")
			out.hasRoots = len(out.roots) > 0
		case "excludes":
			out.excludes, err = stringList(file, p.value, "excludes")
			out.hasExcl = true
		case "breaking":
			out.breaking, err = parseBreaking(file, "v2", p.keyN, p.value, pbrBreakingKeys)
		case "subjects":
			out.subjects, err = parseSubjects(file, p.value)
		case "policies":
			out.policies = p.value
		case "lakehouse":
			out.lakehouse = p.value
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseSubjects(file string, n *yaml.Node) ([]Subject, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, ErrorAt(file, n, "subjects must be a list of mappings (- message: ..., kind: ...), not %s", describe(n))
	}
	var out []Subject
	seen := map[string]bool{}
	for _, sn := range n.Content {
		sn = resolve(sn)
		pairs, err := mapping(file, sn, "subject", pbrSubjectKeys)
		if err != nil {
			return nil, err
		}
		s := Subject{Pos: PosAt(file, sn), Positions: map[string]Pos{}}
		var pkN *yaml.Node
		for _, p := range pairs {
			s.Positions[p.key] = PosAt(file, p.keyN)
			switch p.key {
			case "message":
				if s.Message, err = scalar(file, p.value, "subjects.message"); err != nil {
					return nil, err
				}
				if err := checkMessageName(s.Message); err != nil {
					return nil, ErrorAt(file, p.value, "%v", err)
				}
			case "kind":
				var k string
				if k, err = scalar(file, p.value, "subjects.kind"); err != nil {
					return nil, err
				}
				s.Kind = SubjectKind(k)
				switch s.Kind {
				case KindPBTable, KindEvent, KindLog:
				default:
					return nil, ErrorAt(file, p.value, "unknown subject kind %q: use pbtable, event or log", k)
				}
			case "primary_key":
				var items []item
				if items, err = stringList(file, p.value, "subjects.primary_key"); err != nil {
					return nil, err
				}
				pkN = p.keyN
				for _, it := range items {
					if !isFieldPath(it.value) {
						return nil, &Error{Pos: it.pos, Msg: fmt.Sprintf("invalid primary_key field %q: use field names of the message, or dotted paths to fields of nested messages like key.id", it.value)}
					}
					if slices.Contains(s.PrimaryKey, it.value) {
						return nil, &Error{Pos: it.pos, Msg: fmt.Sprintf("primary_key lists %q twice", it.value)}
					}
					s.PrimaryKey = append(s.PrimaryKey, it.value)
				}
			case "compatibility":
				var c string
				if c, err = scalar(file, p.value, "subjects.compatibility"); err != nil {
					return nil, err
				}
				if s.Compatibility, err = ParseLevel(c); err != nil {
					return nil, ErrorAt(file, p.value, "%v", err)
				}
			case "use", "except":
				var items []item
				if items, err = stringList(file, p.value, "subjects."+p.key); err != nil {
					return nil, err
				}
				if p.key == "use" {
					s.Use = values(items)
				} else {
					s.Except = values(items)
				}
			}
		}
		switch {
		case s.Message == "":
			return nil, ErrorAt(file, sn, "subject without message: add message: <fully-qualified message name>")
		case s.Kind == "":
			return nil, ErrorAt(file, sn, "subject %s has no kind: add kind: pbtable, event or log", s.Message)
		case s.Kind == KindPBTable && len(s.PrimaryKey) == 0:
			return nil, ErrorAt(file, sn, "pbtable subject %s has no primary_key: add primary_key: [<field>, ...]", s.Message)
		case s.Kind != KindPBTable && pkN != nil:
			return nil, ErrorAt(file, pkN, "primary_key is only for pbtable subjects, and %s is a %s: remove it", s.Message, s.Kind)
		case seen[s.Message]:
			return nil, ErrorAt(file, sn, "subject %s is listed twice: keep one entry", s.Message)
		}
		seen[s.Message] = true
		out = append(out, s)
	}
	return out, nil
}

func checkMessageName(name string) error {
	if name == "" {
		return fmt.Errorf("empty message name: write the fully-qualified name, like acme.billing.v1.Invoice")
	}
	if strings.HasPrefix(name, ".") {
		return fmt.Errorf("message %q: write the fully-qualified name without the leading dot", name)
	}
	if !protoreflect.FullName(name).IsValid() {
		return fmt.Errorf("invalid message name %q: write the fully-qualified name, like acme.billing.v1.Invoice", name)
	}
	return nil
}

// isFieldPath reports whether s is a field name or a dot-separated path of
// field names: syntactically, a protobuf full name.
func isFieldPath(s string) bool { return protoreflect.FullName(s).IsValid() }

// CompatConfig returns base with the subject's overrides applied: its
// compatibility level when set, and its use and except lists when set.
func (s *Subject) CompatConfig(base compat.Config) compat.Config {
	c := base
	if s.Compatibility != "" {
		c.Level = s.Compatibility.Directions()
	}
	if s.Use != nil {
		c.Use = slices.Clone(s.Use)
	}
	if s.Except != nil {
		c.Except = slices.Clone(s.Except)
	}
	return c
}
