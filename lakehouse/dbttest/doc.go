// Package dbttest holds the tests of the generated dbt projects that need
// heavy libraries kept out of the main module's graph: a Jinja
// implementation to render the staging models, a JSON-schema validator for
// the dbt schemas, and warehouse drivers. It has no non-test code.
package dbttest
