package postgres

import (
	"encoding/json"
	"fmt"
	"time"
)

// now returns the current time at the precision PostgreSQL keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// nonNil returns list, or an empty list for nil: array columns are NOT NULL.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// nilIfEmpty returns nil for an empty list, so that lists read back as
// they were given.
func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// encodeLabels returns labels as a JSON object; nil becomes "{}".
func encodeLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(labels) // string maps always marshal
	return string(b)
}

// decodeLabels parses a JSON object of strings; an empty object yields nil.
func decodeLabels(s string) (map[string]string, error) {
	var labels map[string]string
	if err := json.Unmarshal([]byte(s), &labels); err != nil {
		return nil, fmt.Errorf("decode labels %q: %w", s, err)
	}
	if len(labels) == 0 {
		return nil, nil
	}
	return labels, nil
}

// nonNilBytes returns b, or an empty slice for nil: bytea columns are NOT
// NULL.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
