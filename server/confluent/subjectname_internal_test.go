package confluent

import (
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/config"
)

// TestSubjectNames: every subject maps to a module name pbregistry.yaml
// accepts, and back; distinct subjects get distinct modules.
func TestSubjectNames(t *testing.T) {
	h := &Handler{cfg: Config{}.WithDefaults()}
	seen := map[string]string{}
	for _, subject := range []string{
		"orders-value", "Orders-Value", "com.acme.Order", "acme/common/v1/money.proto", "a_b", "a__b", "a_2fb",
		".hidden", ".", "..", "topic:key", "ünïcode", "with space", strings.Repeat("x", maxSubjectBytes),
	} {
		module, ae := h.moduleOf(subject)
		if ae != nil {
			t.Errorf("moduleOf(%q): %v", subject, ae)
			continue
		}
		yaml := "version: v1\nmodule: " + module + "\n"
		if _, err := config.Parse("pbregistry.yaml", []byte(yaml)); err != nil {
			t.Errorf("subject %q: module %q is refused by pbregistry.yaml: %v", subject, module, err)
		}
		back, ok := h.subjectOf(module)
		if !ok || back != subject {
			t.Errorf("subjectOf(%q) = %q, %v; want %q", module, back, ok, subject)
		}
		if other, dup := seen[module]; dup {
			t.Errorf("subjects %q and %q share module %q", other, subject, module)
		}
		seen[module] = subject
	}
	for _, bad := range []string{"", strings.Repeat("x", maxSubjectBytes+1), "a\nb", "\xff"} {
		if _, ae := h.moduleOf(bad); ae == nil || ae.code != codeInvalidSubject {
			t.Errorf("moduleOf(%q) = %v, want 42208", bad, ae)
		}
	}
	for _, notOurs := range []string{"acme/commerce", "confluent/a/b", "confluent/a_zz", "confluent/a_2F"} {
		if s, ok := h.subjectOf(notOurs); ok {
			t.Errorf("subjectOf(%q) = %q: not a module this API writes", notOurs, s)
		}
	}
}

// FuzzSubjectName: every subject the API accepts maps to a module name
// pbregistry.yaml accepts, and back to itself.
func FuzzSubjectName(f *testing.F) {
	for _, s := range []string{"orders-value", "Orders_Value", "a/b.proto", ".x", "_", "__", "_2f", "ü", "a b"} {
		f.Add(s)
	}
	h := &Handler{cfg: Config{}.WithDefaults()}
	f.Fuzz(func(t *testing.T, subject string) {
		module, ae := h.moduleOf(subject)
		if ae != nil {
			if ae.code != codeInvalidSubject {
				t.Fatalf("moduleOf(%q): code %d", subject, ae.code)
			}
			return
		}
		if _, err := config.Parse("pbregistry.yaml", []byte("version: v1\nmodule: "+module+"\n")); err != nil {
			t.Fatalf("subject %q: module %q refused: %v", subject, module, err)
		}
		if back, ok := h.subjectOf(module); !ok || back != subject {
			t.Fatalf("subjectOf(moduleOf(%q)) = %q, %v", subject, back, ok)
		}
		if s, ok := decodeSubject(encodeSubject(subject) + "_"); ok {
			t.Fatalf("a dangling escape decoded to %q", s)
		}
	})
}
