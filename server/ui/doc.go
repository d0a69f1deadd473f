// Package ui is registryd's web UI: server-rendered HTML pages (html/template)
// under /ui/ to browse modules, their versions, files, subjects, ledgers and
// the findings between two versions. It only reads: it offers no write
// action.
//
// Every page is rendered on the server; the style sheet is embedded in the
// binary and nothing is fetched from elsewhere. Responses carry a Content
// Security Policy without inline scripts or styles (default-src 'self',
// frame-ancestors 'none'), X-Content-Type-Options nosniff and a strict
// Referrer-Policy. Every string that users control (module names, build
// metadata, reasons, .proto sources) reaches the page through html/template,
// which escapes it for its context.
//
// Reading follows the API's auth: when the registry allows anonymous reads
// the pages are open; otherwise the reader signs in with a token on
// /ui/signin. The token is checked once and never stored: the session is a
// random id in an HttpOnly, SameSite=Strict cookie (Secure over TLS), kept
// in memory (bounded, expiring). The sign-in and sign-out forms carry a CSRF
// token (double-submit cookie) and refuse cross-origin posts.
package ui
