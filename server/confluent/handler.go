package confluent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
)

// ContentType is the content type of every response.
const ContentType = "application/vnd.schemaregistry.v1+json"

// requestTypes are the content types a request body may have.
var requestTypes = []string{"application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json", "application/octet-stream"}

// Options configure a Handler.
type Options struct {
	// Service registers schemas (Push), checks them (CheckPush) and keeps
	// subjects' configuration in step (SetSubjectConfig).
	Service *registry.Service
	// IDs is the store of schema ids, usually the Service's store.
	IDs registry.SchemaIDStore
	// Auth authenticates requests; nil means auth.Open().
	Auth *auth.Authenticator
	// Config is the confluent: section.
	Config Config
	// ReadOnly refuses writes, as a read-only registryd does.
	ReadOnly bool
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
	// LockedPolicies are the names of the server-wide policies, which a
	// module may not change.
	LockedPolicies []string
}

// Handler serves Confluent's Schema Registry REST API for PROTOBUF
// schemas over a registry.Service; see the package documentation.
type Handler struct {
	service  *registry.Service
	store    registry.Store
	ids      registry.SchemaIDStore
	auth     *auth.Authenticator
	cfg      Config
	readOnly bool
	logger   *slog.Logger
	mux      *http.ServeMux
	locked   []string
	schemas  *schemaCache
}

// New returns a Handler. The Service's store must implement
// registry.SchemaIDStore when Options.IDs is nil.
func New(opts Options) (*Handler, error) {
	h := &Handler{service: opts.Service, ids: opts.IDs, auth: opts.Auth, cfg: opts.Config.WithDefaults(), readOnly: opts.ReadOnly, logger: opts.Logger, locked: opts.LockedPolicies, schemas: newSchemaCache()}
	if h.service == nil {
		return nil, errors.New("confluent API: no registry service")
	}
	h.store = h.service.Store()
	if h.ids == nil {
		ids, ok := h.store.(registry.SchemaIDStore)
		if !ok {
			return nil, fmt.Errorf("confluent API: the store %T keeps no schema ids (registry.SchemaIDStore)", h.store)
		}
		h.ids = ids
	}
	if h.auth == nil {
		h.auth = auth.Open()
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.routes()
	return h, nil
}

// Patterns are the http.ServeMux patterns under which a server mounts h:
// every path of the API, under Config.Prefix.
func (h *Handler) Patterns() []string {
	p := h.cfg.Prefix
	return []string{p + "/subjects", p + "/subjects/", p + "/schemas/", p + "/config", p + "/config/", p + "/mode", p + "/mode/", p + "/compatibility/"}
}

// routes registers the endpoints.
func (h *Handler) routes() {
	p := h.cfg.Prefix
	h.mux = http.NewServeMux()
	handle := func(pattern string, f func(*request) (any, error)) {
		method, path, _ := strings.Cut(pattern, " ")
		h.mux.Handle(method+" "+p+path, h.endpoint(f))
	}
	handle("GET /subjects", h.listSubjects)
	handle("POST /subjects/{subject}", h.lookup)
	handle("DELETE /subjects/{subject}", h.deleteSubject)
	handle("GET /subjects/{subject}/versions", h.listVersions)
	handle("POST /subjects/{subject}/versions", h.register)
	handle("GET /subjects/{subject}/versions/{version}", h.getVersion)
	handle("DELETE /subjects/{subject}/versions/{version}", h.deleteVersion)
	handle("GET /subjects/{subject}/versions/{version}/schema", h.getVersionSchema)
	handle("GET /subjects/{subject}/versions/{version}/referencedby", h.referencedBy)
	handle("GET /schemas/ids/{id}", h.getSchemaByID)
	handle("GET /schemas/ids/{id}/schema", h.getSchemaTextByID)
	handle("GET /schemas/ids/{id}/versions", h.getSchemaVersions)
	handle("GET /schemas/ids/{id}/subjects", h.getSchemaSubjects)
	handle("GET /schemas/types", h.schemaTypes)
	handle("POST /compatibility/subjects/{subject}/versions/{version}", h.compatibility)
	handle("POST /compatibility/subjects/{subject}/versions", h.compatibilityAll)
	handle("GET /config", h.getConfig)
	handle("PUT /config", h.putConfig)
	handle("DELETE /config", h.deleteConfig)
	handle("GET /config/{subject}", h.getConfig)
	handle("PUT /config/{subject}", h.putConfig)
	handle("DELETE /config/{subject}", h.deleteConfig)
	handle("GET /mode", h.getMode)
	handle("PUT /mode", h.putMode)
	handle("GET /mode/{subject}", h.getMode)
	handle("PUT /mode/{subject}", h.putMode)
	handle("DELETE /mode/{subject}", h.deleteMode)
}

// ServeHTTP implements http.Handler: it authenticates the request, then
// routes it; unknown paths and methods get Confluent's error body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := h.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="pbregistry"`)
		writeError(w, fail(codeUnauthorized, "%v; Kafka clients pass the token as the password of basic auth (basic.auth.user.info=<any>:<token>) or as a bearer token", err))
		return
	}
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	if _, pattern := h.mux.Handler(r); pattern == "" {
		// Not found, or the method is not allowed: ServeMux would answer
		// in plain text.
		rec := &statusOnly{header: http.Header{}}
		h.mux.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeError(w, fail(codeMethodNotAllowed, "HTTP %s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, fail(codeNotFound, "HTTP 404 Not Found: %s is not an endpoint of the Confluent Schema Registry API", r.URL.Path))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// statusOnly records the status ServeMux would answer with.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(status int)      { s.status = status }

// authenticate returns the request's principal: a token as a bearer
// token, or as the password of HTTP basic auth (the user name is ignored),
// which is how Kafka clients pass credentials to a schema registry.
func (h *Handler) authenticate(r *http.Request) (*auth.Principal, error) {
	header := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(header, " "); ok && strings.EqualFold(scheme, "Basic") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("%w: the basic auth credentials are not base64", auth.ErrUnauthenticated)
		}
		_, token, ok := strings.Cut(string(raw), ":")
		if !ok || token == "" {
			return nil, fmt.Errorf("%w: basic auth has no password: pass the token as the password", auth.ErrUnauthenticated)
		}
		header = "Bearer " + token
	}
	return h.auth.Authenticate(header)
}

// request is what an endpoint reads.
type request struct {
	r         *http.Request
	principal *auth.Principal
}

// query returns a query parameter.
func (q *request) query(name string) string { return q.r.URL.Query().Get(name) }

// flag returns a boolean query parameter: "true" (any case) is true.
func (q *request) flag(name string) bool { return strings.EqualFold(q.query(name), "true") }

// endpoint adapts f: its result is written as JSON, a string result as
// the raw schema text, an error as Confluent's error body.
func (h *Handler) endpoint(f func(*request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := f(&request{r: r, principal: auth.FromContext(r.Context())})
		if err != nil {
			ae := storeError(err)
			if ae.code == codeStoreError {
				h.logger.ErrorContext(r.Context(), "confluent API", "method", r.Method, "path", r.URL.Path, "error", err)
			}
			writeError(w, ae)
			return
		}
		if text, ok := out.(rawSchema); ok {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, string(text))
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// rawSchema is a schema's text, written as it is (the …/schema endpoints).
type rawSchema string

// writeJSON writes v as the response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(w, fail(codeStoreError, "encode the response: %v", err))
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorBody is Confluent's error body.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// writeError writes e as Confluent's error body.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.httpStatus(), errorBody{ErrorCode: e.code, Message: e.message})
}

// decode reads the request body, at most Config.MaxRequestBytes, as JSON
// into v, refusing unknown fields and trailing data.
func (h *Handler) decode(q *request, v any) error {
	if ct := q.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		ok := err == nil
		if ok {
			ok = false
			for _, t := range requestTypes {
				ok = ok || mt == t
			}
		}
		if !ok {
			return fail(codeUnsupportedMediaType, "content type %q is not accepted: send %s", ct, strings.Join(requestTypes[:3], ", "))
		}
	}
	limit := int64(h.cfg.MaxRequestBytes)
	body, err := io.ReadAll(io.LimitReader(q.r.Body, limit+1))
	if err != nil {
		return fail(codeBadRequest, "read the request body: %v", err)
	}
	if int64(len(body)) > limit {
		return fail(codeRequestTooLarge, "the request body is larger than %d bytes (confluent.max_request_bytes)", limit)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return fail(codeUnprocessable, "Unrecognized field %s: remove it; the fields are those of Confluent's API", strings.TrimPrefix(msg, "json: unknown field "))
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail(codeUnprocessable, "field %q has the wrong type: %v", te.Field, err)
		}
		if errors.Is(err, io.EOF) {
			return fail(codeBadRequest, "the request has no JSON body")
		}
		return fail(codeBadRequest, "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return fail(codeBadRequest, "the request body has data after its JSON object")
	}
	return nil
}

// canRead refuses principals who may not read.
func canRead(q *request) error { return q.principal.CanRead() }

// canAdmin refuses principals who are not admins; what names the action.
func (h *Handler) canAdmin(q *request, what string) error {
	if h.readOnly {
		return fail(codeOperationNotPermitted, "%s: this registryd runs read-only (e.g. a replica): send writes to the primary", what)
	}
	return q.principal.CanAdmin(what)
}
