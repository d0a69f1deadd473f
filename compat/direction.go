package compat

import (
	"fmt"
	"strings"
)

// Direction is a set of directions in which a change can break readers.
type Direction uint8

const (
	// Backward is broken when readers on the current schema cannot read
	// data written with the previous schema (new readers, old data).
	Backward Direction = 1 << iota
	// Forward is broken when readers on the previous schema cannot read
	// data written with the current schema (old readers, new data).
	Forward
	// Both is Backward and Forward.
	Both = Backward | Forward
)

// String returns "BACKWARD", "FORWARD", "FULL" or "NONE".
func (d Direction) String() string {
	switch d {
	case Backward:
		return "BACKWARD"
	case Forward:
		return "FORWARD"
	case Both:
		return "FULL"
	default:
		return "NONE"
	}
}

// Level is a compatibility level: the directions a schema change must not
// break.
type Level uint8

const (
	// LevelFull keeps every finding of the selected rules, as buf does.
	// It is the zero Level.
	LevelFull Level = iota
	// LevelBackward keeps findings that break Backward.
	LevelBackward
	// LevelForward keeps findings that break Forward.
	LevelForward
	// LevelNone accepts every change.
	LevelNone
)

// Directions returns the directions the level protects.
func (l Level) Directions() Direction {
	switch l {
	case LevelBackward:
		return Backward
	case LevelForward:
		return Forward
	case LevelFull:
		return Both
	default:
		return 0
	}
}

// String returns the level's name as written in configuration.
func (l Level) String() string {
	switch l {
	case LevelBackward:
		return "BACKWARD"
	case LevelForward:
		return "FORWARD"
	case LevelFull:
		return "FULL"
	default:
		return "NONE"
	}
}

// ParseLevel parses NONE, BACKWARD, FORWARD or FULL (case-insensitive).
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "NONE":
		return LevelNone, nil
	case "BACKWARD":
		return LevelBackward, nil
	case "FORWARD":
		return LevelForward, nil
	case "FULL", "":
		return LevelFull, nil
	}
	return 0, fmt.Errorf("unknown compatibility level %q: use NONE, BACKWARD, FORWARD or FULL", s)
}
