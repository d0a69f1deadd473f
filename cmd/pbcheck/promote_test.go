package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPromote rolls back from the command line: pushing an old version's
// content again leaves the latest version alone and prints the promote
// command; registry promote makes it the next version, once however often
// it is run; a promotion that breaks the latest version is refused like a
// push: findings, approve commands, exit code 100.
func TestPromote(t *testing.T) {
	url := startRegistry(t)
	t.Setenv(envRegistryURL, url)
	v1dir := registryModule(t, "int64")
	v2dir := registryModule(t, "int64")
	appendProto(t, v2dir, "// amounts in cents\n")
	v4dir := registryModule(t, "int64")
	appendProto(t, v4dir, "message Note {\n  string text = 1;\n}\n")
	// v5 adds a field to Invoice: promoting version 1 over it deletes it.
	v5dir := t.TempDir()
	writeTree(t, v5dir, map[string]string{
		"pbregistry.yaml": registryConfig,
		"proto/acme/billing/v1/invoice.proto": "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Invoice {\n  string id = 1;\n" +
			"  int64 amount = 7;\n  string note = 8;\n}\nmessage Note {\n  string text = 1;\n}\n",
	})

	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		want     []string
	}{
		{"push version 1", v1dir, []string{"push"}, exitOK, []string{"acme/commerce: version 1 created"}},
		{"push version 2", v2dir, []string{"push"}, exitOK, []string{"acme/commerce: version 2 created"}},
		{"push version 1's content again", v1dir, []string{"push"}, exitOK, []string{
			"acme/commerce: version 1 already holds this content",
			"notice: this content is version 1; latest stays 2: to roll back run `pbcheck registry promote acme/commerce@1`"}},
		{"promote without a version", v1dir, []string{"registry", "promote", "acme/commerce"}, exitError, []string{"name the version to promote, e.g. acme/commerce@3"}},
		{"promote two versions", v1dir, []string{"registry", "promote", "acme/commerce@1", "acme/commerce@2"}, exitError, []string{"promote takes one <module>@<version>"}},
		{"promote an unknown version", v1dir, []string{"registry", "promote", "acme/commerce@9"}, exitError, []string{"acme/commerce@9"}},
		{"promote version 1", v1dir, []string{"registry", "promote", "acme/commerce@1", "--reason", "version 2 broke the billing job"}, exitOK, []string{
			"acme/commerce: version 3 created from version 1 (sha256:"}},
		{"promote version 1 again", v1dir, []string{"registry", "promote", "acme/commerce@1"}, exitOK, []string{
			"acme/commerce: version 3, the latest, already holds the content of version 1 (sha256:"}},
		{"push version 1's content after the promotion", v1dir, []string{"push"}, exitOK, []string{"acme/commerce: version 3 already holds this content"}},
		{"push version 4", v4dir, []string{"push"}, exitOK, []string{"acme/commerce: version 4 created"}},
		{"push version 5", v5dir, []string{"push"}, exitOK, []string{"acme/commerce: version 5 created"}},
		{"promote version 1 over a new field", v1dir, []string{"registry", "promote", "acme/commerce@1"}, exitFindings, []string{
			"rejected against version 5", "note", "pbcheck registry approve acme/commerce sha256:"}},
		{"the same, as JSON", v1dir, []string{"registry", "promote", "acme/commerce@1", "--error-format", "json"}, exitFindings, []string{
			`"type":"FIELD_NO_DELETE_UNLESS_NAME_RESERVED"`, `Field 8 \"note\"`}},
		{"promote version 4", v1dir, []string{"registry", "promote", "acme/commerce@4"}, exitFindings, []string{"rejected against version 5"}},
		{"push version 1's content, promoted as 3, over 5", v1dir, []string{"push"}, exitOK, []string{
			"notice: this content is version 3; latest stays 5: to roll back run `pbcheck registry promote acme/commerce@3`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRun(t, tt.dir, tt.args, tt.wantCode, tt.want, nil) })
	}
}

// appendProto appends text to the Invoice file of a registryModule.
func appendProto(t *testing.T, dir, text string) {
	t.Helper()
	p := filepath.Join(dir, "proto/acme/billing/v1/invoice.proto")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, text...), 0o644); err != nil {
		t.Fatal(err)
	}
}
