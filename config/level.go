package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pbregistry/pbregistry/compat"
)

// Level is a compatibility level: the directions in which a new version
// must not break readers, against the latest version only or, for the
// _TRANSITIVE levels, against every version. It is the one type for the
// idea everywhere: written in pbregistry.yaml, held by the registry's
// subjects and stored as it is; only the API converts it, to its enum. The
// empty Level is unset.
type Level string

// The compatibility levels.
const (
	LevelNone               Level = "NONE"
	LevelBackward           Level = "BACKWARD"
	LevelBackwardTransitive Level = "BACKWARD_TRANSITIVE"
	LevelForward            Level = "FORWARD"
	LevelForwardTransitive  Level = "FORWARD_TRANSITIVE"
	LevelFull               Level = "FULL"
	LevelFullTransitive     Level = "FULL_TRANSITIVE"
)

// Levels lists every Level, weakest first.
var Levels = []Level{
	LevelNone, LevelBackward, LevelBackwardTransitive, LevelForward,
	LevelForwardTransitive, LevelFull, LevelFullTransitive,
}

// Valid reports whether l is one of the levels.
func (l Level) Valid() bool { return slices.Contains(Levels, l) }

// Transitive reports whether l checks against every version rather than
// the latest only.
func (l Level) Transitive() bool { return strings.HasSuffix(string(l), "_TRANSITIVE") }

// Directions returns the directions l protects, as the compatibility
// engine's level (NONE for an unset or unknown l).
func (l Level) Directions() compat.Level {
	switch l {
	case LevelBackward, LevelBackwardTransitive:
		return compat.LevelBackward
	case LevelForward, LevelForwardTransitive:
		return compat.LevelForward
	case LevelFull, LevelFullTransitive:
		return compat.LevelFull
	default:
		return compat.LevelNone
	}
}

// ParseLevel parses one of the seven levels, case-insensitively.
// NONE_TRANSITIVE is accepted and means NONE.
func ParseLevel(s string) (Level, error) {
	u := Level(strings.ToUpper(strings.TrimSpace(s)))
	if u == "NONE_TRANSITIVE" {
		u = LevelNone
	}
	if !u.Valid() {
		return "", fmt.Errorf("unknown compatibility level %q: use one of %s", s, compatibilityNames)
	}
	return u, nil
}

// compatibilityNames lists the accepted levels, for messages.
const compatibilityNames = "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"
