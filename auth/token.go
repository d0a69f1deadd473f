package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// TokenPrefix starts every token NewToken makes, so that leaked tokens are
// easy to recognise.
const TokenPrefix = "pbr_"

// NewToken returns a new random token: TokenPrefix and 32 random bytes
// from crypto/rand, base64url-encoded.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Hash returns the lowercase hex SHA-256 of token, as the tokens file
// stores it.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for principal name with scopes and returns it
// with the tokens file entry that accepts it.
func CreateToken(name string, scopes []string) (string, Entry, error) {
	e := Entry{Name: name}
	if name == "" || name == Anonymous {
		return "", e, fmt.Errorf("create token: name the principal (not %q), e.g. --name ci", Anonymous)
	}
	if len(scopes) == 0 {
		return "", e, fmt.Errorf("create token: give at least one scope: --scope read, --scope 'push:acme/*' or --scope admin")
	}
	for _, s := range scopes {
		sc, err := ParseScope(s)
		if err != nil {
			return "", e, fmt.Errorf("create token: %w", err)
		}
		e.Scopes = append(e.Scopes, sc)
	}
	tok, err := NewToken()
	if err != nil {
		return "", e, err
	}
	e.SHA256 = Hash(tok)
	return tok, e, nil
}
