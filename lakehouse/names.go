package lakehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// MaxNameLen is the longest name the model gives a table or column:
// Postgres truncates identifiers beyond 63 bytes, so longer derived names
// are shortened with a hash suffix that keeps them distinct.
const MaxNameLen = 63

// SnakeCase returns s in lower snake_case: "InvoiceLine" → "invoice_line",
// "HTTPServer" → "http_server", "customer_id" stays. Only ASCII letters,
// digits and underscores are kept; other characters become underscores.
func SnakeCase(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		switch {
		case r >= 'A' && r <= 'Z':
			prevLower := i > 0 && (unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1]))
			nextLower := i > 0 && i+1 < len(runes) && unicode.IsLower(runes[i+1]) && unicode.IsUpper(runes[i-1])
			if (prevLower || nextLower) && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ShortName returns name when it fits in max bytes, and otherwise its
// first bytes followed by "_" and 8 hex digits of its SHA-256, max bytes in
// all: deterministic, and distinct for distinct long names.
func ShortName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "_" + hex.EncodeToString(sum[:4])
	return name[:max-len(suffix)] + suffix
}
