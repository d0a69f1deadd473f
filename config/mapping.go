package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MapKey returns the key node of key in mapping n, or nil (also when n is
// not a mapping). Sections of registryd's configuration that other
// packages parse (stacks:, webhooks:) use these helpers.
func MapKey(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// MapValue returns the value node of key in mapping n, or nil.
func MapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// KnownKeys refuses a mapping n that has a key not in keys, or a node that
// is not a mapping, naming the line, where the node is ("webhooks",
// "stacks.repos[0]") and the keys it takes.
func KnownKeys(n *yaml.Node, where string, keys []string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s must be a mapping with the keys %s", n.Line, where, strings.Join(keys, ", "))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(keys, k.Value) {
			return fmt.Errorf("line %d: %s has no key %q: the keys are %s", k.Line, where, k.Value, strings.Join(keys, ", "))
		}
	}
	return nil
}
