package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// MaxSubjects bounds the subjects listed in a payload, so that a module
// with thousands of subjects does not make a payload of megabytes.
const MaxSubjects = 500

// Source is what the payload is built from: the store's reads of a
// version and its subjects. registry.Store satisfies it.
type Source interface {
	// GetVersion returns a module version.
	GetVersion(ctx context.Context, module string, number int64) (registry.Version, error)
	// ListSubjects returns a module's subjects.
	ListSubjects(ctx context.Context, module string) ([]registry.Subject, error)
}

// Payload is the JSON body of a webhook, in the Standard Webhooks shape:
// type, timestamp and data.
type Payload struct {
	// Type is the event type, e.g. "module.version.accepted".
	Type string `json:"type"`
	// Timestamp is when the event was written (RFC 3339).
	Timestamp time.Time `json:"timestamp"`
	// Data is what the event is about.
	Data Data `json:"data"`
}

// Data is the event-specific part of a Payload.
type Data struct {
	// EventID is the outbox event's id, also the webhook-id header.
	EventID int64 `json:"event_id"`
	// Module, Version and Digest identify the accepted version.
	Module  string `json:"module"`
	Version int64  `json:"version"`
	Digest  string `json:"digest"`
	// PushedBy is the principal that pushed it.
	PushedBy string `json:"pushed_by,omitempty"`
	// Commit and Branch are the source commit and branch the push
	// carried, if any.
	Commit string `json:"commit,omitempty"`
	Branch string `json:"branch,omitempty"`
	// SubjectsAdded are the subjects this version declared first, at
	// most MaxSubjects of them.
	SubjectsAdded []string `json:"subjects_added,omitempty"`
	// SubjectsAddedCount is how many subjects this version declared
	// first; more than len(SubjectsAdded) when the list was cut.
	SubjectsAddedCount int `json:"subjects_added_count,omitempty"`
	// Links are URLs of the version: "image" (the FileDescriptorSet) and
	// "version" (the version's metadata); absent without
	// webhooks.public_url.
	Links map[string]string `json:"links,omitempty"`
}

// WebhookID returns the webhook-id of an outbox event: its id, the same
// for every attempt and every endpoint.
func WebhookID(e registry.OutboxEvent) string {
	return "evt_" + strconv.FormatInt(e.ID, 10)
}

// BuildPayload returns the JSON body sent for event e. src may be nil:
// then only the event's own fields are sent.
func BuildPayload(ctx context.Context, src Source, publicURL string, e registry.OutboxEvent) ([]byte, error) {
	p := Payload{Type: e.Type, Timestamp: e.CreatedAt.UTC().Truncate(time.Millisecond), Data: Data{
		EventID: e.ID, Module: e.Module, Version: e.Version, Digest: e.Digest,
	}}
	if src != nil && e.Type == registry.EventVersionAccepted {
		v, err := src.GetVersion(ctx, e.Module, e.Version)
		if err != nil {
			return nil, fmt.Errorf("read %s v%d: %w", e.Module, e.Version, err)
		}
		p.Data.PushedBy, p.Data.Commit, p.Data.Branch = v.Principal, v.Build.Commit, v.Build.Branch
		subjects, err := src.ListSubjects(ctx, e.Module)
		if err != nil {
			return nil, fmt.Errorf("list the subjects of %s: %w", e.Module, err)
		}
		for _, s := range subjects {
			if s.FirstVersion == e.Version {
				p.Data.SubjectsAddedCount++
				if len(p.Data.SubjectsAdded) < MaxSubjects {
					p.Data.SubjectsAdded = append(p.Data.SubjectsAdded, s.Name)
				}
			}
		}
	}
	if publicURL != "" && e.Module != "" {
		base := strings.TrimRight(publicURL, "/") + "/modules/" + escapeModule(e.Module) + "/versions/" + strconv.FormatInt(e.Version, 10)
		p.Data.Links = map[string]string{"image": base + "/image.binpb"}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode the payload: %w", err)
	}
	return b, nil
}

// escapeModule escapes each segment of a module name for a URL path.
func escapeModule(m string) string {
	parts := strings.Split(m, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
