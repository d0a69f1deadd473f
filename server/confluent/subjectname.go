package confluent

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pbregistry/pbregistry/registry"
)

// Subject names and module names. A Confluent subject is any string (by
// convention "<topic>-value", "<topic>-key" or a message's full name); a
// module name (in pbregistry.yaml) is segments of lowercase letters,
// digits, '.', '_' and '-'. Subject S is module
// <module prefix>/<encodeSubject(S)>, where encodeSubject keeps lowercase
// letters, digits, '.' and '-', writes '_' as "__" and every other byte
// (an uppercase letter, a '/', a leading '.') as '_' and two lowercase hex
// digits: "orders-value" is "confluent/orders-value", "a/b_C" is
// "confluent/a_2fb___43". The encoding is reversible, so that modules list
// back as subjects.

// maxSubjectBytes bounds a subject's name.
const maxSubjectBytes = 180

// encodeSubject returns the module segment of subject.
func encodeSubject(subject string) string {
	var b strings.Builder
	for i := 0; i < len(subject); i++ {
		c := subject[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.' && i > 0:
			b.WriteByte(c)
		case c == '_':
			b.WriteString("__")
		default:
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

// decodeSubject reverses encodeSubject; ok is false for a segment
// encodeSubject cannot have written.
func decodeSubject(seg string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c != '_' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(seg) && seg[i+1] == '_' {
			b.WriteByte('_')
			i++
			continue
		}
		if i+2 >= len(seg) {
			return "", false
		}
		v, err := strconv.ParseUint(seg[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	s := b.String()
	return s, encodeSubject(s) == seg
}

// moduleOf returns the module of subject, or a 42208 error.
func (h *Handler) moduleOf(subject string) (string, *apiError) {
	switch {
	case subject == "":
		return "", fail(codeInvalidSubject, "the subject name is empty")
	case len(subject) > maxSubjectBytes:
		return "", fail(codeInvalidSubject, "subject %.40q… is longer than %d bytes", subject, maxSubjectBytes)
	case !utf8.ValidString(subject) || strings.ContainsAny(subject, "\x00\r\n"):
		return "", fail(codeInvalidSubject, "subject %q is not valid UTF-8 text on one line", subject)
	}
	module := h.cfg.ModulePrefix + "/" + encodeSubject(subject)
	if err := registry.ValidateModuleName(module); err != nil {
		return "", fail(codeInvalidSubject, "subject %q: %v", subject, err)
	}
	return module, nil
}

// subjectOf returns the subject of module, or false for a module that is
// not a Confluent subject's.
func (h *Handler) subjectOf(module string) (string, bool) {
	seg, ok := strings.CutPrefix(module, h.cfg.ModulePrefix+"/")
	if !ok || strings.Contains(seg, "/") {
		return "", false
	}
	return decodeSubject(seg)
}

// schemaPath is the path of a subject's own schema file in its module.
func schemaPath(module string) string {
	return module[strings.LastIndexByte(module, '/')+1:] + ".proto"
}
