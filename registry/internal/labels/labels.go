// Package labels is the stored form of a module's labels, which both
// store backends keep in a text column as a JSON object of strings.
package labels

import (
	"encoding/json"
	"fmt"
)

// Encode returns labels as a JSON object; nil becomes "{}".
func Encode(labels map[string]string) string {
	if len(labels) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(labels) // string maps always marshal
	return string(b)
}

// Decode parses a JSON object of strings; an empty object yields nil.
func Decode(s string) (map[string]string, error) {
	var labels map[string]string
	if err := json.Unmarshal([]byte(s), &labels); err != nil {
		return nil, fmt.Errorf("decode labels %q: %w", s, err)
	}
	if len(labels) == 0 {
		return nil, nil
	}
	return labels, nil
}
