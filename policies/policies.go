// Package policies evaluates governance rules written in CEL on schemas and
// on changes between schemas, per kind of data.
//
// A policy is data, not code: a name (the rule ID of its findings), a
// target (file, message, field, enum, enum_value, service, method, or
// change), a CEL expression that must be true for the element to comply,
// and optional scopes — subject kinds (pbtable, event, log), module and
// package globs — a severity (error blocks, warning reports) and a message.
//
// Policies flow through three stages:
//
//  1. parse: Parse reads the policies: list of pbregistry.yaml or of
//     registryd's configuration, keeping each expression's position;
//  2. compile: Compile merges the built-in policies (Builtins), the
//     server's and the module's by name — the module cannot override the
//     server's — and compiles every expression once, reporting errors at
//     the configuration file's line and the CEL column;
//  3. evaluate: Set.Lint walks an image and evaluates each policy on the
//     elements of its target (once per subject of a matching kind, with
//     `subject` bound), and Set.Changes evaluates change policies on every
//     compat finding between two images. Both report compat.Findings, so
//     they print and gate pushes exactly like compatibility findings.
//
// docs/policies.md documents the object model the expressions see.
package policies
