package ui

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// maxFormBytes bounds the sign-in and sign-out forms.
const maxFormBytes = 8 << 10

// signinData is the sign-in page's data.
type signinData struct {
	Next    string
	Refused string
	// Anonymous is set when the registry may be read without a token.
	Anonymous bool
}

// csrf returns the request's CSRF token, setting its cookie if missing.
func (h *Handler) csrf(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	tok, err := randomToken()
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: Prefix, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return tok
}

// checkForm parses a posted form (bounded) and checks its origin and CSRF
// token; it returns a reason to refuse, or "".
func checkForm(w http.ResponseWriter, r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return "the form was posted from another site"
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return "the form could not be read: " + err.Error()
	}
	c, err := r.Cookie(csrfCookie)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		return "the form's CSRF token does not match: reload the page and try again"
	}
	return ""
}

// safeNext returns next if it is a path of the UI, else the UI's root.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

// urlQueryEscape escapes s for a query parameter.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// signinForm serves the sign-in form.
func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "Sign in", Principal: h.principal(r), CSRF: h.csrf(w, r)}
	v.Data = signinData{Next: safeNext(r.URL.Query().Get("next")), Anonymous: h.auth.AnonymousRead()}
	h.render(w, http.StatusOK, "signin", v)
}

// signin checks the posted token and starts a session.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	if reason := checkForm(w, r); reason != "" {
		h.renderError(w, r, http.StatusForbidden, reason)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	token := strings.TrimSpace(r.PostFormValue("token"))
	refuse := func(msg string) {
		v := &view{Title: "Sign in", CSRF: h.csrf(w, r)}
		v.Data = signinData{Next: next, Refused: msg, Anonymous: h.auth.AnonymousRead()}
		h.render(w, http.StatusUnauthorized, "signin", v)
	}
	if token == "" {
		refuse("enter a token")
		return
	}
	p, err := h.auth.Authenticate("Bearer " + token)
	if err != nil {
		refuse("this token is not accepted by the registry")
		return
	}
	if err := p.CanRead(); err != nil {
		refuse(err.Error())
		return
	}
	id, err := h.sessions.create(p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: Prefix, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds())})
	h.logger.InfoContext(r.Context(), "ui sign-in", "principal", p.Name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signout ends the session.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	if reason := checkForm(w, r); reason != "" {
		h.renderError(w, r, http.StatusForbidden, reason)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}
