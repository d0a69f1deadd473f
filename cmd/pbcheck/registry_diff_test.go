package main

import (
	"strings"
	"testing"
)

// TestRegistryDiffBreaking: an incompatible version let in by an
// exception, then `pbcheck registry diff` between it and the version
// before: exit code 100 with the changelog and the findings, either way
// round and in every format; the same version against itself is clean.
func TestRegistryDiffBreaking(t *testing.T) {
	t.Setenv(envRegistryURL, startRegistry(t))
	v1dir, v2dir := registryModule(t, "int64"), registryModule(t, "string")
	// Let the refused push through with the approve command it printed.
	approve := refusedPush(t, v1dir, v2dir)
	args := append([]string{"registry", "approve"}, approve...)
	if code, stdout, stderr := pbcheck(t, v2dir, nil, append(args, "--reason", "no rows yet")...); code != exitOK {
		t.Fatalf("registry approve: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := pbcheck(t, v2dir, nil, "push"); code != exitOK || !strings.Contains(stdout+stderr, "version 2 created") {
		t.Fatalf("push with an exception: exit %d\n%s%s", code, stdout, stderr)
	}

	// The registry holds files relative to the module's root, and diff
	// names them so.
	finding := `acme/billing/v1/invoice.proto:5:3:Field 7 "amount" on message "Invoice" changed type from int64 to string; ` +
		`readers at v1 cannot read what this version writes, and this version cannot read what v1 wrote [subject acme.billing.v1.Invoice, FULL] (FIELD_WIRE_JSON_COMPATIBLE_TYPE)`
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"v1 to v2", []string{"1", "2"}, exitFindings, []string{
			"acme/commerce v1 → v2: 1 change",
			`  ~ field 7 "amount" on message "Invoice" changed type from int64 to string`,
			"v2 breaks readers or data of v1 (every subject checked at FULL):\n" + finding + "\n"}, nil},
		{"v1 to the latest", []string{"1"}, exitFindings, []string{"acme/commerce v1 → v2: 1 change", finding}, nil},
		{"v2 back to v1", []string{"2", "1"}, exitFindings, []string{
			"acme/commerce v2 → v1: 1 change",
			"v1 breaks readers or data of v2",
			`changed type from string to int64`}, nil},
		{"json", []string{"1", "2", "--error-format", "json"}, exitFindings, []string{
			`"path":"acme/billing/v1/invoice.proto"`, `"start_line":5`, `"type":"FIELD_WIRE_JSON_COMPATIBLE_TYPE"`},
			[]string{"→"}},
		{"github-actions", []string{"1", "2", "--error-format", "github-actions"}, exitFindings, []string{
			"::error file=acme/billing/v1/invoice.proto,line=5,col=3", "title=FIELD_WIRE_JSON_COMPATIBLE_TYPE"}, nil},
		{"v2 to v2", []string{"2", "2"}, exitOK, []string{"acme/commerce v2 → v2: 0 changes"}, []string{"breaks"}},
		{"missing version", []string{"1", "9"}, exitError, []string{"not_found"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRun(t, v1dir, append([]string{"registry", "diff", "acme/commerce"}, tt.args...), tt.wantCode, tt.want, tt.notWant)
		})
	}
}
