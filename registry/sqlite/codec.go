package sqlite

import (
	"encoding/json"
	"fmt"
	"time"
)

// toMicros returns t as Unix microseconds, the form times are stored in.
func toMicros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros returns the UTC time of Unix microseconds us.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// now returns the current time at the precision the store keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// encodeStrings returns list as a JSON array; nil becomes "[]".
func encodeStrings(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // strings always marshal
	return string(b)
}

// decodeStrings parses a JSON array of strings; an empty array yields nil.
func decodeStrings(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("decode string list %q: %w", s, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}
