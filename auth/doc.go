// Package auth decides who calls registryd and what they may do.
//
// A request flows through three stages:
//
//  1. authenticate: the bearer token of the Authorization header is hashed
//     with SHA-256 and compared, in constant time, with every entry of the
//     tokens file (which holds hashes only, never tokens). A request
//     without a token is anonymous: allowed to read when anonymous reads
//     are on, refused otherwise. Without a tokens file the registry is
//     open and every request acts as the "anonymous" admin.
//  2. attach: the Principal — the entry's name and scopes — travels in the
//     request's context (Interceptor for Connect RPCs, Middleware for
//     plain HTTP endpoints).
//  3. authorize: handlers ask the Principal for what the call needs
//     (CanRead, CanPush with the module, CanAdmin), which returns an error
//     naming the missing scope.
//
// Scopes are "read", "push:<module glob>" (e.g. "push:acme/*"), which
// implies read, and "admin", which implies everything.
package auth
