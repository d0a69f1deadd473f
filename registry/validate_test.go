package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

func TestValidateModuleName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"acme/commerce", true},
		{"acme", true},
		{"Acme/commerce-v2/x_y.z", true},
		{"", false},
		{"acme/", false},
		{"/acme", false},
		{"acme//x", false},
		{"acme/../x", false},
		{"acme/./x", false},
		{"acme/com merce", false},
		{"acme/é", false},
		{strings.Repeat("a", registry.MaxModuleNameLength+1), false},
	}
	for _, tc := range tests {
		err := registry.ValidateModuleName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateModuleName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, registry.ErrInvalidArgument) {
			t.Errorf("ValidateModuleName(%q) = %v, not an invalid argument", tc.name, err)
		}
	}
}

func TestValidateSubject(t *testing.T) {
	valid := registry.SubjectSpec{Name: "acme.v1.Order", Kind: registry.KindPBTable, PrimaryKey: []string{"id"},
		Compatibility: registry.Compatibility{Level: registry.LevelBackwardTransitive}}
	tests := []struct {
		name   string
		modify func(s *registry.SubjectSpec)
		field  string
	}{
		{"valid", func(*registry.SubjectSpec) {}, ""},
		{"single-part name", func(s *registry.SubjectSpec) { s.Name = "Order" }, ""},
		{"leading dot", func(s *registry.SubjectSpec) { s.Name = ".acme.Order" }, "s.name"},
		{"digit first", func(s *registry.SubjectSpec) { s.Name = "acme.1Order" }, "s.name"},
		{"log", func(s *registry.SubjectSpec) { s.Kind = registry.KindLog; s.PrimaryKey = nil }, ""},
		{"unknown kind", func(s *registry.SubjectSpec) { s.Kind = "stream" }, "s.kind"},
		{"bad key field", func(s *registry.SubjectSpec) { s.PrimaryKey = []string{"a..b"} }, "s.primary_key[0]"},
		{"dotted key field", func(s *registry.SubjectSpec) { s.PrimaryKey = []string{"key.id"} }, ""},
		{"lowercase level", func(s *registry.SubjectSpec) { s.Compatibility.Level = "backward" }, "s.compatibility.level"},
		{"empty rule", func(s *registry.SubjectSpec) { s.Compatibility.Use = []string{""} }, "s.compatibility.use[0]"},
	}
	for _, tc := range tests {
		s := valid
		tc.modify(&s)
		err := s.Validate("s")
		var inv *registry.InvalidArgumentError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (!errors.As(err, &inv) || inv.Field != tc.field):
			t.Errorf("%s: error %v, want an invalid %s", tc.name, err, tc.field)
		}
	}
}

func TestLevels(t *testing.T) {
	for _, l := range registry.Levels {
		if !l.Valid() {
			t.Errorf("%s is not valid", l)
		}
		if l.Transitive() != strings.HasSuffix(string(l), "_TRANSITIVE") {
			t.Errorf("%s.Transitive() = %v", l, l.Transitive())
		}
	}
	if registry.Level("FULL_TRANSITIVE ").Valid() {
		t.Error("a level with a space is valid")
	}
	sub := registry.Subject{Pushed: registry.Compatibility{Level: registry.LevelFull}}
	if sub.Effective().Level != registry.LevelFull {
		t.Error("Effective without override is not the pushed config")
	}
	sub.Override = &registry.SubjectOverride{Compatibility: registry.Compatibility{Level: registry.LevelNone}}
	if sub.Effective().Level != registry.LevelNone {
		t.Error("Effective with an override is not the override")
	}
}
