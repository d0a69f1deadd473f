package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds on what pbcheck import reads from a registry.
const (
	// maxCSRResponse is the largest response body read (a schema with
	// its JSON envelope, or a listing).
	maxCSRResponse = 32 << 20
	// maxCSRList is the most subjects, or versions of one subject, read.
	maxCSRList = 100000
)

// csrContentType is the content type Confluent's API speaks.
const csrContentType = "application/vnd.schemaregistry.v1+json"

// csrClient talks to a Confluent-compatible Schema Registry REST API with
// plain HTTP and JSON.
type csrClient struct {
	base string
	// auth is the Authorization header, if any.
	auth string
	http *http.Client
}

// newCSRClient returns a client of the API at rawURL, with a bearer token
// or basic auth (user, password), each request bounded by timeout.
func newCSRClient(rawURL, token, user, password string, timeout time.Duration) (*csrClient, error) {
	u := strings.TrimRight(rawURL, "/")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = "http://" + u
	}
	if _, err := url.Parse(u); err != nil {
		return nil, usagef("registry URL %q: %v", rawURL, err)
	}
	c := &csrClient{base: u, http: &http.Client{Timeout: timeout}}
	switch {
	case token != "":
		c.auth = "Bearer " + token
	case user != "" || password != "":
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.SetBasicAuth(user, password)
		c.auth = req.Header.Get("Authorization")
	}
	return c, nil
}

// csrError is an error answer of the API: Confluent's error code and
// message, with the HTTP status.
type csrError struct {
	Status  int    `json:"-"`
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *csrError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("error %d (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// csrCode returns the Confluent error code of err, or 0.
func csrCode(err error) int {
	var ce *csrError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// csrReference is a schema reference as the API writes it.
type csrReference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int64  `json:"version"`
}

// csrSchema is a subject version as GET /subjects/{s}/versions/{v}
// answers it.
type csrSchema struct {
	Subject    string         `json:"subject"`
	Version    int64          `json:"version"`
	ID         int64          `json:"id"`
	SchemaType string         `json:"schemaType,omitempty"`
	Schema     string         `json:"schema"`
	References []csrReference `json:"references,omitempty"`
}

// typ returns the schema type, AVRO when none is given (Confluent's rule).
func (s *csrSchema) typ() string {
	if s.SchemaType == "" {
		return "AVRO"
	}
	return strings.ToUpper(s.SchemaType)
}

// do sends a request with body (nil: none) to path and decodes the answer
// into out (nil: discarded), reading at most maxCSRResponse bytes.
func (c *csrClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s%s: %w", method, c.base, path, err)
	}
	req.Header.Set("Accept", csrContentType+", application/json")
	if body != nil {
		req.Header.Set("Content-Type", csrContentType)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	req.Header.Set("User-Agent", "pbcheck/"+version())
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s%s: %w", method, c.base, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCSRResponse+1))
	if err != nil {
		return fmt.Errorf("%s %s%s: reading the answer: %w", method, c.base, path, err)
	}
	if len(data) > maxCSRResponse {
		return fmt.Errorf("%s %s%s: the answer is larger than %d bytes", method, c.base, path, maxCSRResponse)
	}
	if resp.StatusCode/100 != 2 {
		ce := &csrError{Status: resp.StatusCode}
		if json.Unmarshal(data, ce) != nil || ce.Message == "" {
			ce.Code = 0
			ce.Message = strings.TrimSpace(string(bytes.ToValidUTF8(data[:min(len(data), 512)], nil)))
		}
		return fmt.Errorf("%s %s%s: %w", method, c.base, path, ce)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s%s: the answer is not the JSON expected: %w", method, c.base, path, err)
	}
	return nil
}

// subjects lists the live subjects.
func (c *csrClient) subjects(ctx context.Context) ([]string, error) {
	var out []string
	if err := c.do(ctx, http.MethodGet, "/subjects", nil, &out); err != nil {
		return nil, err
	}
	if len(out) > maxCSRList {
		return nil, fmt.Errorf("%s lists %d subjects, more than pbcheck import reads (%d): narrow with --subjects", c.base, len(out), maxCSRList)
	}
	return out, nil
}

// versions lists a subject's live versions.
func (c *csrClient) versions(ctx context.Context, subject string) ([]int64, error) {
	var out []int64
	if err := c.do(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions", nil, &out); err != nil {
		return nil, err
	}
	if len(out) > maxCSRList {
		return nil, fmt.Errorf("subject %s has %d versions, more than pbcheck import reads (%d)", subject, len(out), maxCSRList)
	}
	return out, nil
}

// version reads a subject version.
func (c *csrClient) version(ctx context.Context, subject string, v int64) (*csrSchema, error) {
	var out csrSchema
	if err := c.do(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions/"+strconv.FormatInt(v, 10), nil, &out); err != nil {
		return nil, err
	}
	if out.Subject == "" {
		out.Subject = subject
	}
	if out.Version == 0 {
		out.Version = v
	}
	return &out, nil
}

// csrRegister is the body of an import registration.
type csrRegister struct {
	Schema     string         `json:"schema"`
	SchemaType string         `json:"schemaType"`
	References []csrReference `json:"references,omitempty"`
	ID         int64          `json:"id"`
	Version    int64          `json:"version"`
}

// register registers s under its subject with its id and version (IMPORT
// mode) and returns the id the registry answers.
func (c *csrClient) register(ctx context.Context, s *csrSchema) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	body := csrRegister{Schema: s.Schema, SchemaType: s.typ(), References: s.References, ID: s.ID, Version: s.Version}
	if err := c.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(s.Subject)+"/versions", body, &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// subjectMode returns the subject's own mode, "" when it has none.
func (c *csrClient) subjectMode(ctx context.Context, subject string) (string, error) {
	var out struct {
		Mode string `json:"mode"`
	}
	err := c.do(ctx, http.MethodGet, "/mode/"+url.PathEscape(subject)+"?defaultToGlobal=false", nil, &out)
	if code := csrCode(err); code == 40409 || code == 40401 {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.ToUpper(out.Mode), nil
}

// setSubjectMode puts the subject in mode ("" deletes its own mode, so
// that it follows the global mode).
func (c *csrClient) setSubjectMode(ctx context.Context, subject, mode string) error {
	p := "/mode/" + url.PathEscape(subject)
	if mode == "" {
		err := c.do(ctx, http.MethodDelete, p, nil, nil)
		if code := csrCode(err); code == 40409 || code == 40401 {
			return nil
		}
		return err
	}
	return c.do(ctx, http.MethodPut, p+"?force=true", map[string]string{"mode": mode}, nil)
}
