package main

import "testing"

// TestApproveException follows the exception flow from the command line: a
// refused push prints the approve command of its finding; running it lets
// that push through once, and registry exceptions shows who approved what,
// why, and the version that used it.
func TestApproveException(t *testing.T) {
	url := startRegistry(t)
	t.Setenv(envRegistryURL, url)
	v1dir, v2dir, v3dir := registryModule(t, "int64"), registryModule(t, "string"), registryModule(t, "double")
	args := refusedPush(t, v1dir, v2dir)

	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		want     []string
	}{
		{"approve without a reason", v2dir, append([]string{"registry", "approve"}, args...), exitError, []string{"approve needs --reason"}},
		{"approve with too few arguments", v2dir, []string{"registry", "approve", "acme/commerce", "--reason", "x"}, exitError, []string{"approve takes <module> <digest> <rule> <element>"}},
		{"exceptions before", v2dir, []string{"registry", "exceptions", "acme/commerce"}, exitOK, []string{"ID  RULE"}},
		{"approve", v2dir, append([]string{"registry", "approve", "--reason", "amounts become decimal strings; readers migrated"}, args...), exitOK, []string{
			"exception 1 approved by anonymous: FIELD_WIRE_JSON_COMPATIBLE_TYPE on acme.billing.v1.Invoice.amount may pass once, for the push of acme/commerce with digest sha256:"}},
		{"push with the exception", v2dir, []string{"push"}, exitOK, []string{"acme/commerce: version 2 created"}},
		{"exceptions after", v2dir, []string{"registry", "exceptions", "acme/commerce"}, exitOK, []string{
			"FIELD_WIRE_JSON_COMPATIBLE_TYPE  acme.billing.v1.Invoice.amount", "anonymous", "v2", "amounts become decimal strings; readers migrated"}},
		{"the exception does not carry over", v3dir, []string{"push"}, exitFindings, []string{
			"rejected against version 2", "FIELD_WIRE_JSON_COMPATIBLE_TYPE", "approves an exception for digest sha256:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRun(t, tt.dir, tt.args, tt.wantCode, tt.want, nil) })
	}
}
