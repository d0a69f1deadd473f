package config

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kv is one key/value pair of a YAML mapping.
type kv struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// document parses data (YAML or JSON) and returns its top-level node,
// which is nil for an empty document.
func document(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	n := doc.Content[0]
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	return n, nil
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// mapping returns the pairs of mapping node n, checking each key against
// valid (when non-nil) and rejecting duplicates. what names the mapping in
// messages, e.g. "breaking".
func mapping(file string, n *yaml.Node, what string, valid []string) ([]kv, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, ErrorAt(file, n, "%s must be a mapping of keys to values, not %s", what, describe(n))
	}
	var out []kv
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Tag == "!!merge" {
			return nil, ErrorAt(file, k, "merge keys (<<) are not supported in %s: write the keys out", what)
		}
		if k.Kind != yaml.ScalarNode {
			return nil, ErrorAt(file, k, "keys of %s must be strings", what)
		}
		if valid != nil && !slices.Contains(valid, k.Value) {
			return nil, ErrorAt(file, k, "unknown key %q in %s (valid: %s)", k.Value, what, strings.Join(valid, ", "))
		}
		if seen[k.Value] {
			return nil, ErrorAt(file, k, "key %q appears twice in %s: keep one", k.Value, what)
		}
		seen[k.Value] = true
		out = append(out, kv{key: k.Value, keyN: k, value: v})
	}
	return out, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "this"
}

// scalar returns the string value of scalar node n.
func scalar(file string, n *yaml.Node, what string) (string, error) {
	n = resolve(n)
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", ErrorAt(file, n, "%s must be a string, not %s", what, describe(n))
	}
	return n.Value, nil
}

// boolean returns the value of a true/false scalar.
func boolean(file string, n *yaml.Node, what string) (bool, error) {
	n = resolve(n)
	if isNull(n) {
		return false, nil
	}
	if n.Kind == yaml.ScalarNode {
		var b bool
		if n.Tag == "!!bool" && n.Decode(&b) == nil {
			return b, nil
		}
	}
	return false, ErrorAt(file, n, "%s must be true or false, not %s", what, describe(n))
}

// item is one string of a list, with its position.
type item struct {
	value string
	pos   Pos
}

// strings returns the items of a list of strings. A single string is
// rejected: buf requires lists.
func stringList(file string, n *yaml.Node, what string) ([]item, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, ErrorAt(file, n, "%s must be a list of strings, like [a, b], not %s", what, describe(n))
	}
	out := make([]item, 0, len(n.Content))
	for _, c := range n.Content {
		c = resolve(c)
		if c.Kind != yaml.ScalarNode || isNull(c) {
			return nil, ErrorAt(file, c, "%s must be a list of strings; this item is %s", what, describe(c))
		}
		out = append(out, item{value: c.Value, pos: PosAt(file, c)})
	}
	return out, nil
}

func values(items []item) []string {
	if len(items) == 0 {
		return nil
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.value
	}
	return out
}

// cleanPath normalizes a relative, slash-separated path as buf does and
// rejects absolute paths and paths that leave the directory.
func cleanPath(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path")
	}
	p = strings.ReplaceAll(p, "\\", "/")
	if path.IsAbs(p) || (len(p) >= 2 && p[1] == ':') {
		return "", fmt.Errorf("path %q is absolute: use a path relative to the configuration file", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("path %q leaves the directory of the configuration file", p)
	}
	return c, nil
}

// within reports whether p is dir or inside dir ("." contains everything).
func within(dir, p string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// relTo returns p relative to dir; p must be within dir.
func relTo(dir, p string) string {
	switch {
	case dir == ".":
		return p
	case p == dir:
		return "."
	default:
		return p[len(dir)+1:]
	}
}
