package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
)

// writeTree writes files (path → content) under a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// moduleView is the comparable part of a Module.
type moduleView struct {
	Dir      string
	Includes []string
	Excludes []string
	Compat   compat.Config
	Disabled bool
}

func view(cfg *Config) []moduleView {
	var out []moduleView
	for _, m := range cfg.Modules {
		out = append(out, moduleView{Dir: m.Dir, Includes: m.Includes, Excludes: m.Excludes, Compat: m.Breaking.CompatConfig(), Disabled: m.Breaking.Disabled})
	}
	return out
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []moduleView
	}{
		{
			name:  "buf v1",
			files: map[string]string{"buf.yaml": "version: v1\nname: buf.build/acme/x\ndeps: [buf.build/googleapis/googleapis]\nbuild:\n  excludes: [vendor]\nlint:\n  use: [DEFAULT]\nbreaking:\n  use: [WIRE]\n  except: [FIELD_SAME_NAME]\n  ignore: [acme/legacy]\n  ignore_only:\n    FIELD_SAME_TYPE: [acme/x.proto]\n  ignore_unstable_packages: true\n"},
			want: []moduleView{{Dir: ".", Excludes: []string{"vendor"}, Compat: compat.Config{
				Version: "v1", Use: []string{"WIRE"}, Except: []string{"FIELD_SAME_NAME"}, Ignore: []string{"acme/legacy"},
				IgnoreOnly: map[string][]string{"FIELD_SAME_TYPE": {"acme/x.proto"}}, IgnoreUnstablePackages: true,
			}}},
		},
		{
			name:  "buf v1beta1 roots",
			files: map[string]string{"buf.yaml": "version: v1beta1\nbuild:\n  roots: [proto, vendor]\n  excludes: [proto/tmp]\nbreaking:\n  use: [FILE]\n"},
			want: []moduleView{
				{Dir: "proto", Excludes: []string{"tmp"}, Compat: compat.Config{Version: "v1", Use: []string{"FILE"}}},
				{Dir: "vendor", Compat: compat.Config{Version: "v1", Use: []string{"FILE"}}},
			},
		},
		{
			name: "buf v2 modules inherit and override",
			files: map[string]string{"buf.yaml": `version: v2
modules:
  - path: a
    excludes: [a/tmp]
    breaking:
      use: [WIRE]
      ignore: [a/acme/x.proto]
  - path: b
    includes: [b/keep]
  - path: c
    breaking:
      ignore: [c]
breaking:
  use: [FILE]
  ignore: [a/acme/old.proto, b/other/v1]
  ignore_only:
    FIELD_SAME_TYPE: [b/other/v1/x.proto]
lint:
  use: [STANDARD]
  disallow_comment_ignores: true
plugins:
  - plugin: buf-plugin-foo
    options: {a: 1}
policies:
  - policy: buf.build/acme/p
`},
			want: []moduleView{
				{Dir: "a", Excludes: []string{"tmp"}, Compat: compat.Config{Version: "v2", Use: []string{"WIRE"}, Ignore: []string{"acme/x.proto"}}},
				{Dir: "b", Includes: []string{"keep"}, Compat: compat.Config{Version: "v2", Use: []string{"FILE"}, Ignore: []string{"other/v1"}, IgnoreOnly: map[string][]string{"FIELD_SAME_TYPE": {"other/v1/x.proto"}}}},
				{Dir: "c", Disabled: true, Compat: compat.Config{Version: "v2", Level: compat.LevelNone}},
			},
		},
		{
			name:  "buf v2 without modules",
			files: map[string]string{"buf.yaml": "version: v2\nbreaking:\n  use: [WIRE_JSON]\n"},
			want:  []moduleView{{Dir: ".", Compat: compat.Config{Version: "v2", Use: []string{"WIRE_JSON"}}}},
		},
		{
			name:  "buf v2 default breaking",
			files: map[string]string{"buf.yaml": "version: v2\nmodules:\n  - path: proto\n"},
			want:  []moduleView{{Dir: "proto", Compat: compat.Config{Version: "v2"}}},
		},
		{
			name: "buf.work.yaml",
			files: map[string]string{
				"buf.work.yaml":  "version: v1\ndirectories: [a, b]\n",
				"a/buf.yaml":     "version: v1\nbuild:\n  excludes: [tmp]\nbreaking:\n  use: [WIRE]\n",
				"b/x/keep.proto": "",
			},
			want: []moduleView{
				{Dir: "a", Excludes: []string{"tmp"}, Compat: compat.Config{Version: "v1", Use: []string{"WIRE"}}},
				{Dir: "b", Compat: compat.Config{Version: "v1"}},
			},
		},
		{
			name: "pbregistry.yaml alone",
			files: map[string]string{"pbregistry.yaml": `version: v1
module: acme/commerce
roots: [proto]
excludes: [proto/vendor]
breaking:
  use: [FILE]
  ignore: [proto/acme/legacy]
  ignore_only: {FIELD_SAME_TYPE: [proto/acme/x.proto]}
  compatibility: BACKWARD_TRANSITIVE
`},
			want: []moduleView{{Dir: "proto", Excludes: []string{"vendor"}, Compat: compat.Config{
				Version: "v2", Use: []string{"FILE"}, Ignore: []string{"acme/legacy"},
				IgnoreOnly: map[string][]string{"FIELD_SAME_TYPE": {"acme/x.proto"}}, Level: compat.LevelBackward,
			}}},
		},
		{
			name: "pbregistry.yaml breaking wins over buf.yaml, buf roots kept",
			files: map[string]string{
				"buf.yaml":        "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/tmp]\nbreaking:\n  use: [WIRE]\n",
				"pbregistry.yaml": "version: v1\nbreaking:\n  use: [FILE]\n  compatibility: FORWARD\n",
			},
			want: []moduleView{{Dir: "proto", Excludes: []string{"tmp"}, Compat: compat.Config{Version: "v2", Use: []string{"FILE"}, Level: compat.LevelForward}}},
		},
		{
			name: "pbregistry.yaml roots win, buf.yaml breaking kept",
			files: map[string]string{
				"buf.yaml":        "version: v1\nbreaking:\n  use: [WIRE]\n  ignore: [src/old]\n",
				"pbregistry.yaml": "version: v1\nroots: [src]\n",
			},
			want: []moduleView{{Dir: "src", Compat: compat.Config{Version: "v1", Use: []string{"WIRE"}, Ignore: []string{"old"}}}},
		},
		{
			name:  "json buf.yaml",
			files: map[string]string{"buf.yaml": `{"version": "v1", "breaking": {"use": ["WIRE"]}}`},
			want:  []moduleView{{Dir: ".", Compat: compat.Config{Version: "v1", Use: []string{"WIRE"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			cfg, err := Load(os.DirFS(dir), ".", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := view(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("modules:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLoadNone(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.proto": ""})
	cfg, err := Load(os.DirFS(dir), ".", "")
	if cfg != nil || err != nil {
		t.Fatalf("Load = %v, %v; want nil, nil", cfg, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"pbregistry unknown breaking key", map[string]string{"pbregistry.yaml": "version: v1\nmodule: acme/commerce\nroots: [proto]\nbreaking:\n  use: [FILE]\n\n  compatability: FULL\n"},
			`pbregistry.yaml:7:3: unknown key "compatability" in breaking (valid: use, except, ignore, ignore_only, ignore_unstable_packages, compatibility)`},
		{"buf unsupported version", map[string]string{"buf.yaml": "version: v3\n"},
			`buf.yaml:1:10: unsupported version "v3": use v1 or v2`},
		{"buf missing version", map[string]string{"buf.yaml": "breaking:\n  use: [FILE]\n"},
			`buf.yaml:1:1: missing version: add "version: v2" as the first line`},
		{"buf unknown top key", map[string]string{"buf.yaml": "version: v2\nbreakin:\n  use: [FILE]\n"},
			`buf.yaml:2:1: unknown key "breakin" in buf.yaml v2`},
		{"buf v1 roots", map[string]string{"buf.yaml": "version: v1\nbuild:\n  roots: [a]\n"},
			`buf.yaml:3:3: build.roots is only valid in version v1beta1`},
		{"buf v2 module ignore outside", map[string]string{"buf.yaml": "version: v2\nmodules:\n  - path: a\n    breaking:\n      ignore: [b/x.proto]\n"},
			`buf.yaml:5:16: breaking.ignore: path "b/x.proto" is not inside module directory "a"`},
		{"buf v2 exclude outside", map[string]string{"buf.yaml": "version: v2\nmodules:\n  - path: a\n    excludes: [tmp]\n"},
			`buf.yaml:4:16: modules.excludes: "tmp" must be a directory inside module directory "a"`},
		{"buf use not a list", map[string]string{"buf.yaml": "version: v1\nbreaking:\n  use: FILE\n"},
			`buf.yaml:3:8: breaking.use must be a list of strings, like [a, b], not "FILE"`},
		{"yaml syntax", map[string]string{"buf.yaml": "version: v1\nbreaking: [\n"},
			`buf.yaml:2:1: invalid YAML: did not find expected node content`},
		{"bad level", map[string]string{"pbregistry.yaml": "version: v1\nbreaking:\n  compatibility: SIDEWAYS\n"},
			`pbregistry.yaml:3:18: unknown compatibility level "SIDEWAYS"`},
		{"pbregistry version", map[string]string{"pbregistry.yaml": "version: v2\n"},
			`pbregistry.yaml:1:10: unsupported version "v2": use v1`},
		{"bad module name", map[string]string{"pbregistry.yaml": "version: v1\nmodule: Acme/Commerce\n"},
			`pbregistry.yaml:2:9: invalid module name "Acme/Commerce"`},
		{"pbtable without primary key", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - message: acme.v1.T\n    kind: pbtable\n"},
			`pbregistry.yaml:3:5: pbtable subject acme.v1.T has no primary_key`},
		{"primary key on event", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - message: acme.v1.E\n    kind: event\n    primary_key: [id]\n"},
			`pbregistry.yaml:5:5: primary_key is only for pbtable subjects`},
		{"primary key empty path step", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - message: acme.v1.T\n    kind: pbtable\n    primary_key: [id, key..id]\n"},
			`pbregistry.yaml:5:23: invalid primary_key field "key..id": use field names of the message, or dotted paths to fields of nested messages like key.id`},
		{"primary key leading dot", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - message: acme.v1.T\n    kind: pbtable\n    primary_key: [.id]\n"},
			`pbregistry.yaml:5:19: invalid primary_key field ".id"`},
		{"bad kind", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - message: acme.v1.E\n    kind: stream\n"},
			`pbregistry.yaml:4:11: unknown subject kind "stream": use pbtable, event or log`},
		{"unknown subject key", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - message: acme.v1.E\n    kind: event\n    primry_key: [id]\n"},
			`pbregistry.yaml:5:5: unknown key "primry_key" in subject`},
		{"duplicate subject", map[string]string{"pbregistry.yaml": "version: v1\nsubjects:\n  - {message: a.E, kind: log}\n  - {message: a.E, kind: log}\n"},
			`pbregistry.yaml:4:5: subject a.E is listed twice`},
		{"exclude outside roots", map[string]string{"pbregistry.yaml": "version: v1\nroots: [proto]\nexcludes: [vendor]\n"},
			`pbregistry.yaml:3:12: excludes: "vendor" is not inside any root (proto)`},
		{"work dir missing", map[string]string{"buf.work.yaml": "version: v1\ndirectories: [a]\n"},
			`buf.work.yaml:2:15: directory "a" does not exist`},
		{"work v2 module", map[string]string{"buf.work.yaml": "version: v1\ndirectories: [a]\n", "a/buf.yaml": "version: v2\n"},
			`a/buf.yaml:1:1: a buf.work.yaml directory must have a v1 or v1beta1 buf.yaml`},
		{"duplicate key", map[string]string{"buf.yaml": "version: v1\nbreaking:\n  use: [A]\n  use: [B]\n"},
			`buf.yaml:4:3: key "use" appears twice in breaking`},
		{"nested ignores", map[string]string{"buf.yaml": "version: v1\nbreaking:\n  ignore: [a, a/b]\n"},
			`buf.yaml:3:15: ignore "a/b" is inside ignore "a"`},
		{"top-level not a mapping", map[string]string{"pbregistry.yaml": "- a\n"},
			`pbregistry.yaml:1:1: pbregistry.yaml must be a mapping`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			cfg, err := Load(os.DirFS(dir), ".", "")
			if err == nil {
				t.Fatalf("Load succeeded with %+v; want error %q", cfg, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n got %q\nwant prefix %q", err, tt.want)
			}
		})
	}
}

func TestLoadDisplay(t *testing.T) {
	dir := writeTree(t, map[string]string{"sub/buf.yaml": "version: v9\n"})
	_, err := Load(os.DirFS(dir), "sub", "../x/sub")
	if want := `../x/sub/buf.yaml:1:10: unsupported version "v9"`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v; want prefix %q", err, want)
	}
}

func TestPBRegistrySubjectsAndPolicies(t *testing.T) {
	dir := writeTree(t, map[string]string{"pbregistry.yaml": `version: v1
module: acme/commerce
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id, tenant.id]
    compatibility: FULL_TRANSITIVE
    use: [WIRE_JSON]
  - message: acme.billing.v1.Paid
    kind: event
policies:
  - name: no-float
    expr: "true"
`})
	cfg, err := Load(os.DirFS(dir), ".", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "acme/commerce" || cfg.NamePos.Line != 2 {
		t.Errorf("name = %q at %v", cfg.Name, cfg.NamePos)
	}
	if len(cfg.Subjects) != 2 {
		t.Fatalf("subjects = %+v", cfg.Subjects)
	}
	s := cfg.Subjects[0]
	if s.Message != "acme.billing.v1.Invoice" || s.Kind != KindPBTable || !reflect.DeepEqual(s.PrimaryKey, []string{"id", "tenant.id"}) ||
		s.Compatibility != LevelFullTransitive || !reflect.DeepEqual(s.Use, []string{"WIRE_JSON"}) {
		t.Errorf("subject 0 = %+v", s)
	}
	if s.Pos.Line != 4 || s.Positions["kind"].Line != 5 {
		t.Errorf("subject 0 positions = %v %v", s.Pos, s.Positions)
	}
	base := cfg.Modules[0].Breaking.CompatConfig()
	if got := s.CompatConfig(base); !reflect.DeepEqual(got, compat.Config{Version: "v2", Use: []string{"WIRE_JSON"}, Level: compat.LevelFull}) {
		t.Errorf("subject compat config = %+v", got)
	}
	if cfg.Subjects[1].Kind != KindEvent || cfg.Subjects[1].Compatibility != "" {
		t.Errorf("subject 1 = %+v", cfg.Subjects[1])
	}
	if cfg.Policies == nil || cfg.Policies.Line != 12 {
		t.Errorf("policies node = %+v", cfg.Policies)
	}
	if len(cfg.Modules) != 1 || cfg.Modules[0].Breaking.Version != "v2" {
		t.Errorf("modules = %+v", cfg.Modules)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
		ok   bool
	}{
		{"NONE", LevelNone, true},
		{"BACKWARD", LevelBackward, true},
		{"backward_transitive", LevelBackwardTransitive, true},
		{"FORWARD_TRANSITIVE", LevelForwardTransitive, true},
		{"FULL", LevelFull, true},
		{" full_transitive ", LevelFullTransitive, true},
		{"NONE_TRANSITIVE", LevelNone, true},
		{"", "", false},
		{"TRANSITIVE", "", false},
		{"FULLY", "", false},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestLevelDirections: each level protects the directions of the engine's
// level of the same name, transitive or not; an unset level protects none.
func TestLevelDirections(t *testing.T) {
	for l, want := range map[Level]compat.Level{
		LevelNone: compat.LevelNone, LevelBackward: compat.LevelBackward, LevelBackwardTransitive: compat.LevelBackward,
		LevelForward: compat.LevelForward, LevelForwardTransitive: compat.LevelForward, LevelFull: compat.LevelFull,
		LevelFullTransitive: compat.LevelFull, "": compat.LevelNone,
	} {
		if got := l.Directions(); got != want {
			t.Errorf("%q.Directions() = %v, want %v", l, got, want)
		}
		if l.Transitive() != strings.HasSuffix(string(l), "_TRANSITIVE") {
			t.Errorf("%q.Transitive() = %v", l, l.Transitive())
		}
	}
}

func TestParseOverride(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             compat.Config
	}{
		{"inline buf yaml", "", "version: v1\nbreaking:\n  use: [WIRE]\n", compat.Config{Version: "v1", Use: []string{"WIRE"}}},
		{"inline json", "", `{"version":"v2","breaking":{"use":["WIRE_JSON"]}}`, compat.Config{Version: "v2", Use: []string{"WIRE_JSON"}}},
		{"inline pbregistry", "", "version: v1\nmodule: acme/x\nbreaking:\n  compatibility: BACKWARD\n", compat.Config{Version: "v2", Level: compat.LevelBackward}},
		{"named pbregistry", "conf/pbregistry.yaml", "version: v1\nbreaking:\n  use: [FILE]\n", compat.Config{Version: "v2", Use: []string{"FILE"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(tt.file, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Modules[0].Breaking.CompatConfig(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v want %+v", got, tt.want)
			}
		})
	}
	if _, err := Parse("", []byte("version: v1\nbreaking:\n  nope: 1\n")); err == nil || !strings.HasPrefix(err.Error(), "--config:3:3: unknown key") {
		t.Errorf("inline error = %v", err)
	}
}

func TestModuleContains(t *testing.T) {
	m := Module{Includes: []string{"a"}, Excludes: []string{"a/tmp"}}
	for p, want := range map[string]bool{"a/x.proto": true, "a/tmp/x.proto": false, "b/x.proto": false, "a/tmpx/y.proto": true} {
		if got := m.Contains(p); got != want {
			t.Errorf("Contains(%q) = %v", p, got)
		}
	}
}
