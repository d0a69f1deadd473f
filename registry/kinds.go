package registry

import (
	"strings"

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

// KindLossless is the LOSSLESS category each kind runs on top of its
// rules: changes that the wire (event) or JSON (pbtable, log) accepts but
// that lose or alter data in one direction (int32 → int64 truncated by old
// readers, a new enum value old JSON readers reject). Their findings are
// errors for pbtables, whose JSON rows every version reads, and warnings
// for the other kinds. A subject's use: selecting the category makes them
// errors; its except: listing the category (or one of its rules) drops
// them.
var KindLossless = map[SubjectKind]struct {
	Category string
	Error    bool
}{
	KindPBTable: {compat.CategoryWireJSONLossless, true},
	KindEvent:   {compat.CategoryWireLossless, false},
	KindLog:     {compat.CategoryWireJSONLossless, false},
}

// losslessRules returns the rules of a subject of kind with configuration
// c that its kind's LOSSLESS category adds — all of them when c's rules
// select them already, none of c's except: list — and whether they are
// errors.
func (c Compatibility) losslessRules(kind SubjectKind, selected ruleSet) (ruleSet, bool) {
	l, ok := KindLossless[kind]
	if !ok {
		return nil, false
	}
	category := l.Category
	cat := catalog()
	out := ruleSet{}
	for _, id := range cat.expand[category] {
		if !selected[id] {
			out[id] = true
		}
	}
	for _, n := range c.Except {
		for _, id := range cat.expand[strings.TrimSpace(n)] {
			delete(out, id)
		}
	}
	return out, l.Error
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

// compatConfig returns the compat configuration of c.
func (c Compatibility) compatConfig() compat.Config {
	return compat.Config{Version: "v2", Use: c.Use, Except: c.Except, Level: c.Level.Directions()}
}
