package webhook

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DeadLetter is an event an endpoint did not accept within its
// max_attempts or max_age, kept for an admin to look at and re-drive.
type DeadLetter struct {
	// Endpoint is the endpoint's name.
	Endpoint string `json:"endpoint"`
	// EventID is the outbox event's id.
	EventID int64 `json:"event_id"`
	// WebhookID is the webhook-id it was sent with, and is re-driven
	// with.
	WebhookID string `json:"webhook_id"`
	// Type and Module, Version identify the event.
	Type    string `json:"type"`
	Module  string `json:"module"`
	Version int64  `json:"version"`
	// URL is where it was sent.
	URL string `json:"url"`
	// Body is the payload sent, re-sent as is.
	Body json.RawMessage `json:"body"`
	// Attempts counts the attempts made.
	Attempts int `json:"attempts"`
	// EventTime is when the event was written.
	EventTime time.Time `json:"event_time"`
	// LastAttempt is when the last attempt failed.
	LastAttempt time.Time `json:"last_attempt"`
	// LastError is its error.
	LastError string `json:"last_error"`
}

// ID returns the dead letter's id for the CLI: <endpoint>/<event id>.
func (d DeadLetter) ID() string {
	return d.Endpoint + "/" + strconv.FormatInt(d.EventID, 10)
}

// DeadLetters are the dead letters under a directory, one JSON file per
// letter at <dir>/dead/<endpoint>/<event id>.json. Files are written to a
// temporary name and renamed, so a reader never sees half a letter.
type DeadLetters struct {
	// Dir is the webhooks directory.
	Dir string
}

// ParseID splits a dead letter id, <endpoint>/<event id>.
func ParseID(id string) (endpoint string, eventID int64, err error) {
	endpoint, n, ok := strings.Cut(id, "/")
	if !ok {
		return "", 0, fmt.Errorf("dead letter id %q: write <endpoint>/<event id>, as `registryd webhooks deliveries` lists them", id)
	}
	if err := ValidateName(endpoint); err != nil {
		return "", 0, fmt.Errorf("dead letter id %q: %w", id, err)
	}
	eventID, err = strconv.ParseInt(n, 10, 64)
	if err != nil || eventID <= 0 {
		return "", 0, fmt.Errorf("dead letter id %q: the event id %q is not a positive number", id, n)
	}
	return endpoint, eventID, nil
}

func (s DeadLetters) path(endpoint string, eventID int64) string {
	return filepath.Join(s.Dir, "dead", endpoint, strconv.FormatInt(eventID, 10)+".json")
}

// Put writes d, replacing a letter of the same endpoint and event.
func (s DeadLetters) Put(d DeadLetter) error {
	p := s.path(d.Endpoint, d.EventID)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.ID(), err)
	}
	return nil
}

// NoDeadLetterError reports a dead letter that does not exist (any more).
type NoDeadLetterError struct {
	// ID is the dead letter's id; Dir the directory it is not in.
	ID, Dir string
}

// Error says which dead letter is missing and where to list them.
func (e *NoDeadLetterError) Error() string {
	return fmt.Sprintf("no dead letter %s in %s: list them with `registryd webhooks deliveries` or `pbcheck registry deliveries --dead`", e.ID, e.Dir)
}

// Get reads the dead letter id (<endpoint>/<event id>).
func (s DeadLetters) Get(id string) (DeadLetter, error) {
	endpoint, eventID, err := ParseID(id)
	if err != nil {
		return DeadLetter{}, err
	}
	b, err := os.ReadFile(s.path(endpoint, eventID))
	if errors.Is(err, fs.ErrNotExist) {
		return DeadLetter{}, &NoDeadLetterError{ID: id, Dir: filepath.Join(s.Dir, "dead")}
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	var d DeadLetter
	if err := json.Unmarshal(b, &d); err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %s is not a dead letter: %w", id, s.path(endpoint, eventID), err)
	}
	return d, nil
}

// Remove deletes the dead letter of endpoint and event.
func (s DeadLetters) Remove(endpoint string, eventID int64) error {
	if err := os.Remove(s.path(endpoint, eventID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove dead letter %s/%d: %w", endpoint, eventID, err)
	}
	return nil
}

// List returns the dead letters, of endpoint only unless it is "", by
// endpoint and event id.
func (s DeadLetters) List(endpoint string) ([]DeadLetter, error) {
	root := filepath.Join(s.Dir, "dead")
	dirs, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	var out []DeadLetter
	for _, d := range dirs {
		if !d.IsDir() || endpoint != "" && d.Name() != endpoint || ValidateName(d.Name()) != nil {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		for _, f := range files {
			n, ok := strings.CutSuffix(f.Name(), ".json")
			if !ok || strings.HasPrefix(n, ".") {
				continue
			}
			l, err := s.Get(d.Name() + "/" + n)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b DeadLetter) int {
		if c := strings.Compare(a.Endpoint, b.Endpoint); c != 0 {
			return c
		}
		return cmp.Compare(a.EventID, b.EventID)
	})
	return out, nil
}
