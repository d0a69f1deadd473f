package config

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestValidateNamedEntries(t *testing.T) {
	long := strings.Repeat("a", 100)
	tests := []struct {
		name    string
		names   []string
		bad     int // index whose check fails, -1 for none
		wantErr string
	}{
		{"valid", []string{"a", "b-1", "c_2"}, -1, ""},
		{"empty name", []string{"a", ""}, -1, `stacks.repos[1]: stack name "" must be 1 to 64 characters`},
		{"long name clipped", []string{long}, -1, `stacks.repos[0]: stack name "` + long[:80] + `…[100 bytes]" must be 1 to 64 characters`},
		{"upper case", []string{"Shop"}, -1, `stacks.repos[0]: stack name "Shop": use lower-case letters, digits, '-' and '_', starting with a letter`},
		{"digit first", []string{"1a"}, -1, `starting with a letter`},
		{"twice", []string{"a", "b", "a"}, -1, `stacks.repos[2] (a): the name is used twice: give every stack its own`},
		{"check fails", []string{"a", "b"}, 1, `stacks.repos[1] (b): bad entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateNamedEntries("stacks.repos", "stack", len(tt.names),
				func(i int) string { return tt.names[i] },
				func(i int) error {
					if i == tt.bad {
						return errString("bad entry")
					}
					return nil
				})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestEachEntry(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		visited int
	}{
		{"valid", "items:\n  - name: a\n  - name: b\n", "", 2},
		{"no sequence", "items: 3\n", "", 0},
		{"absent", "other: 1\n", "", 0},
		{"inline secret", "items:\n  - name: a\n  - name: b\n    secret: x\n", "line 4: hooks.items[1]: secrets are never written in the configuration: use secret_env (an environment variable) or secret_file (a file)", 1},
		{"unknown key", "items:\n  - nam: a\n", "hooks.items[0]", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			visited := 0
			err := EachEntry(doc.Content[0], "items", "hooks.items", "secret", []string{"name", "secret_env"}, func(where string, e *yaml.Node) error {
				if want := "hooks.items["; !strings.HasPrefix(where, want) {
					t.Errorf("where = %q", where)
				}
				visited++
				return nil
			})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if visited != tt.visited {
				t.Errorf("visited %d entries, want %d", visited, tt.visited)
			}
		})
	}
}
