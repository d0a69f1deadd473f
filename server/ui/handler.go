package ui

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the UI is mounted.
const Prefix = "/ui/"

// Options configure a Handler.
type Options struct {
	// Service is the registry read (and diffed).
	Service *registry.Service
	// Auth authenticates tokens; nil means auth.Open().
	Auth *auth.Authenticator
	// Logger logs internal errors; nil means slog.Default().
	Logger *slog.Logger
	// Image, when set, serves /modules/{module}/versions/{n}/image.binpb
	// for the principal in the request's context; the UI's download
	// links go through it with the reader's session.
	Image http.Handler
	// Dbt, when set, serves /dbt/{module}/{n}.tar.gz?dialect=… likewise.
	Dbt http.Handler
}

// Handler serves the UI under Prefix.
type Handler struct {
	svc      *registry.Service
	store    registry.Store
	auth     *auth.Authenticator
	logger   *slog.Logger
	image    http.Handler
	dbt      http.Handler
	sessions *sessions
	pages    map[string]*template.Template
	index    *searchIndex
	mux      *http.ServeMux
}

// New returns a Handler.
func New(opts Options) *Handler {
	h := &Handler{svc: opts.Service, store: opts.Service.Store(), auth: opts.Auth, logger: opts.Logger,
		image: opts.Image, dbt: opts.Dbt, sessions: newSessions(), index: newSearchIndex()}
	if h.auth == nil {
		h.auth = auth.Open()
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.pages = parsePages()
	static, _ := fs.Sub(staticFS, "static")
	h.mux = http.NewServeMux()
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticHandler(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /ui/signin", h.signinForm)
	h.mux.HandleFunc("POST /ui/signin", h.signin)
	h.mux.HandleFunc("POST /ui/signout", h.signout)
	h.mux.Handle("GET /ui/{$}", h.reader(h.modulesPage))
	h.mux.Handle("GET /ui/module", h.reader(h.modulePage))
	h.mux.Handle("GET /ui/file", h.reader(h.filePage))
	h.mux.Handle("GET /ui/diff", h.reader(h.diffPage))
	h.mux.Handle("GET /ui/subject", h.reader(h.subjectPage))
	h.mux.Handle("GET /ui/download/image", h.reader(h.downloadImage))
	h.mux.Handle("GET /ui/download/dbt", h.reader(h.downloadDbt))
	return h
}

// parsePages parses each page template with the layout.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"inc": func(i int) int { return i + 1 },
		"dec": func(i any) int64 { return toInt64(i) - 1 },
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"modules", "module", "file", "diff", "subject", "signin", "error"} {
		t := template.Must(layout.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// ServeHTTP sets the security headers and routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.mux.ServeHTTP(w, r)
}

// staticHandler lets browsers cache the embedded assets for an hour.
func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// sessionCookie names the session cookie; csrfCookie the CSRF cookie.
const (
	sessionCookie = "pbregistry_ui_session"
	csrfCookie    = "pbregistry_ui_csrf"
)

// principal returns the reader of r: its session's principal, else the
// anonymous principal when the registry allows it, else nil.
func (h *Handler) principal(r *http.Request) *auth.Principal {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if p := h.sessions.get(c.Value); p != nil {
			return p
		}
	}
	if p, err := h.auth.Authenticate(""); err == nil {
		return p
	}
	return nil
}

// pageFunc renders a page for a reader, or returns an error.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view) error

// view is what every page's layout needs besides its own data.
type view struct {
	Title     string
	Principal *auth.Principal
	// CanSignOut is set for a signed-in session.
	CanSignOut bool
	CSRF       string
	Data       any
}

// reader serves f to readers who may read; others are sent to sign in.
func (h *Handler) reader(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := h.principal(r)
		if p == nil {
			http.Redirect(w, r, "/ui/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err := p.CanRead(); err != nil {
			h.renderError(w, r, http.StatusForbidden, err.Error())
			return
		}
		v := &view{Principal: p}
		if c, err := r.Cookie(sessionCookie); err == nil && h.sessions.get(c.Value) != nil {
			v.CanSignOut = true
			v.CSRF = h.csrf(w, r)
		}
		ctx := auth.WithPrincipal(r.Context(), p)
		if err := f(w, r.WithContext(ctx), v); err != nil {
			h.fail(w, r, err)
		}
	})
}

// fail renders err with the status its kind calls for.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, registry.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, registry.ErrInvalidArgument), errors.Is(err, errBadRequest):
		status = http.StatusBadRequest
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		h.logger.ErrorContext(r.Context(), "ui page", "path", r.URL.Path, "error", err)
		msg = "internal error: the server logged it"
	}
	h.renderError(w, r, status, msg)
}

// errBadRequest marks errors of a request's parameters.
var errBadRequest = errors.New("bad request")

// badRequest returns an error matching errBadRequest.
func badRequest(msg string) error { return &paramError{msg: msg} }

type paramError struct{ msg string }

func (e *paramError) Error() string        { return e.msg }
func (e *paramError) Is(target error) bool { return target == errBadRequest }

// renderError renders the error page.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, status, "error", &view{Title: http.StatusText(status), Principal: h.principal(r), Data: struct {
		Status  int
		Message string
	}{status, msg}})
}

// render executes page into a buffer, then writes it with status.
func (h *Handler) render(w http.ResponseWriter, status int, page string, v *view) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.logger.Error("ui template", "page", page, "error", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// toInt64 converts the integers the templates pass to dec.
func toInt64(i any) int64 {
	switch n := i.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	return 0
}
