package registry

import (
	"github.com/pbregistry/pbregistry/compat"
)

// KindDefaults is the compatibility configuration of each subject kind when
// pbregistry.yaml does not override it:
//
//   - pbtable: FULL_TRANSITIVE with WIRE_JSON rules — rows are stored as
//     proto-JSON and read by every version of the code;
//   - event: FULL_TRANSITIVE with WIRE rules — events are binary, replayed
//     by consumers that deploy on their own schedule;
//   - log: BACKWARD_TRANSITIVE with WIRE_JSON rules — logs are written by
//     new code and read, later, by tools on the latest schema.
var KindDefaults = map[SubjectKind]Compatibility{
	KindPBTable: {Level: LevelFullTransitive, Use: []string{compat.CategoryWireJSON}},
	KindEvent:   {Level: LevelFullTransitive, Use: []string{compat.CategoryWire}},
	KindLog:     {Level: LevelBackwardTransitive, Use: []string{compat.CategoryWireJSON}},
}

// withDefaults completes c with the defaults of kind: the level when c has
// none, the rules when c selects none.
func (c Compatibility) withDefaults(kind SubjectKind) Compatibility {
	def := KindDefaults[kind]
	if c.Level == "" {
		c.Level = def.Level
	}
	if len(c.Use) == 0 {
		c.Use = def.Use
	}
	return c
}

// compatLevel returns the directions l protects, for compat.
func (l Level) compatLevel() compat.Level {
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

// compatConfig returns the compat configuration of c.
func (c Compatibility) compatConfig() compat.Config {
	return compat.Config{Version: "v2", Use: c.Use, Except: c.Except, Level: c.Level.compatLevel()}
}
