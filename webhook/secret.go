package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// SecretPrefix starts a Standard Webhooks signing secret.
const SecretPrefix = "whsec_"

// Secret is a decoded signing secret: the HMAC key.
type Secret []byte

// ParseSecret decodes a Standard Webhooks secret: "whsec_" and the
// standard base64 of 24 to 64 bytes.
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("the secret does not start with %q: write whsec_ and the base64 of 24 to 64 random bytes (e.g. echo whsec_$(head -c 32 /dev/urandom | base64))", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("the secret after whsec_ is not standard base64: %v", err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("the secret decodes to %d bytes: use 24 to 64 random bytes", len(key))
	}
	return key, nil
}

// LoadSecret reads and decodes the endpoint's signing secret from its
// secret_env (looked up with getenv) or secret_file.
func (e *Endpoint) LoadSecret(getenv func(string) string) (Secret, error) {
	var raw, from string
	switch {
	case e.SecretEnv != "":
		from = "secret_env " + e.SecretEnv
		raw = getenv(e.SecretEnv)
		if raw == "" {
			return nil, fmt.Errorf("webhook endpoint %s: %s: the environment variable is unset or empty", e.Name, from)
		}
	case e.SecretFile != "":
		from = "secret_file " + e.SecretFile
		b, err := os.ReadFile(e.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("webhook endpoint %s: %s: %w", e.Name, from, err)
		}
		raw = string(b)
	default:
		return nil, fmt.Errorf("webhook endpoint %s: no signing secret: set secret_env or secret_file", e.Name)
	}
	s, err := ParseSecret(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoint %s: %s: %w", e.Name, from, err)
	}
	return s, nil
}

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 of HMAC-SHA256(secret, id + "." + timestamp + "." + body), the
// timestamp in Unix seconds.
func (s Secret) Sign(id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, s)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
