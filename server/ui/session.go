package ui

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/pbregistry/pbregistry/auth"
)

// Session limits.
const (
	// sessionTTL is how long a sign-in lasts.
	sessionTTL = 12 * time.Hour
	// maxSessions bounds the sessions kept in memory; past it the expired
	// ones go, then arbitrary ones.
	maxSessions = 10000
)

// session is a signed-in reader.
type session struct {
	principal *auth.Principal
	expires   time.Time
}

// sessions holds the signed-in readers by session id, in memory.
type sessions struct {
	mu   sync.Mutex
	byID map[string]session
	now  func() time.Time
}

func newSessions() *sessions {
	return &sessions{byID: map[string]session{}, now: time.Now}
}

// create starts a session for p and returns its id.
func (s *sessions) create(p *auth.Principal) (string, error) {
	id, err := randomToken()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.byID) >= maxSessions {
		for k, v := range s.byID {
			if now.After(v.expires) {
				delete(s.byID, k)
			}
		}
		for k := range s.byID {
			if len(s.byID) < maxSessions {
				break
			}
			delete(s.byID, k)
		}
	}
	s.byID[id] = session{principal: p, expires: now.Add(sessionTTL)}
	return id, nil
}

// get returns the principal of session id, or nil.
func (s *sessions) get(id string) *auth.Principal {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.byID[id]
	if !ok {
		return nil
	}
	if s.now().After(v.expires) {
		delete(s.byID, id)
		return nil
	}
	return v.principal
}

// end ends session id.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// randomToken returns 32 random bytes, URL-safe base64.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
