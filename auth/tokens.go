package auth

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TokensFile is registryd's tokens file, YAML:
//
//	tokens:
//	  - name: ci                    # the principal, recorded as the pusher
//	    sha256: 9f86d08…            # hex SHA-256 of the token, never the token
//	    scopes: [read, "push:acme/*"]
//
// Tokens are created with `registryd token create`, which prints the token
// once and the entry to add here.
type TokensFile struct {
	// Path is where the file was read from.
	Path string
	// Entries are the file's tokens.
	Entries []Entry
}

// Entry is one token of a TokensFile.
type Entry struct {
	// Name is the principal.
	Name string `yaml:"name"`
	// SHA256 is the lowercase hex SHA-256 of the token.
	SHA256 string `yaml:"sha256"`
	// Scopes are the token's scopes.
	Scopes []Scope `yaml:"scopes"`
}

// LoadTokensFile reads and validates the tokens file at path.
func LoadTokensFile(path string) (*TokensFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	return ParseTokensFile(path, data)
}

// ParseTokensFile parses and validates a tokens file's content; name is
// the file's name for errors, which carry its line numbers.
func ParseTokensFile(name string, data []byte) (*TokensFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	tf := &TokensFile{Path: name}
	if len(doc.Content) == 0 {
		return tf, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with the key tokens:, a list of entries with name, sha256 and scopes", name, top.Line)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i]; k.Value != "tokens" {
			return nil, fmt.Errorf("%s:%d: unknown key %q: the file has one key, tokens:", name, k.Line, k.Value)
		}
		list = top.Content[i+1]
	}
	if list == nil || list.Tag == "!!null" {
		return tf, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: tokens: must be a list of entries with name, sha256 and scopes", name, list.Line)
	}
	names := map[string]int{}
	for _, n := range list.Content {
		where := fmt.Sprintf("%s:%d", name, n.Line)
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: a token entry must be a mapping with name, sha256 and scopes", where)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "name", "sha256", "scopes":
			default:
				return nil, fmt.Errorf("%s:%d: unknown key %q in a token entry: use name, sha256 and scopes", name, k.Line, k.Value)
			}
		}
		var e struct {
			Name   string   `yaml:"name"`
			SHA256 string   `yaml:"sha256"`
			Scopes []string `yaml:"scopes"`
		}
		if err := n.Decode(&e); err != nil {
			return nil, fmt.Errorf("%s: %v", where, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		entry := Entry{Name: strings.TrimSpace(e.Name), SHA256: strings.ToLower(strings.TrimSpace(e.SHA256))}
		switch {
		case entry.Name == "":
			return nil, fmt.Errorf("%s: token entry has no name: name the principal, e.g. name: ci", where)
		case entry.Name == Anonymous:
			return nil, fmt.Errorf("%s: %q is reserved for requests without a token: choose another name", where, Anonymous)
		case names[entry.Name] != 0:
			return nil, fmt.Errorf("%s: name %q is already used at line %d: names identify pushers, keep them unique", where, entry.Name, names[entry.Name])
		}
		names[entry.Name] = n.Line
		if b, err := hex.DecodeString(entry.SHA256); err != nil || len(b) != 32 {
			return nil, fmt.Errorf("%s: token %q: sha256 must be the 64 hex digits of the token's SHA-256 (as `registryd token create` prints), got %q", where, entry.Name, e.SHA256)
		}
		if len(e.Scopes) == 0 {
			return nil, fmt.Errorf("%s: token %q has no scopes: give it read, push:<module glob> or admin", where, entry.Name)
		}
		for _, s := range e.Scopes {
			sc, err := ParseScope(s)
			if err != nil {
				return nil, fmt.Errorf("%s: token %q: %v", where, entry.Name, err)
			}
			entry.Scopes = append(entry.Scopes, sc)
		}
		tf.Entries = append(tf.Entries, entry)
	}
	return tf, nil
}

// EntryYAML renders e as a list item to append under tokens: in a tokens
// file.
func EntryYAML(e Entry) string {
	scopes := make([]string, len(e.Scopes))
	for i, s := range e.Scopes {
		scopes[i] = fmt.Sprintf("%q", string(s))
	}
	return fmt.Sprintf("  - name: %q\n    sha256: %s\n    scopes: [%s]\n", e.Name, e.SHA256, strings.Join(scopes, ", "))
}
