package main

import (
	"testing"
)

// auditWithoutLog writes acme/audit without its AuditLine log subject and
// message; note adds a field to Account, so that pushes differ.
func auditWithoutLog(t *testing.T, note string) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"pbregistry.yaml": `version: v1
module: acme/audit
subjects:
  - message: acme.audit.v1.Account
    kind: pbtable
    primary_key: [tenant, id]
`,
		"acme/audit/v1/audit.proto": `syntax = "proto3";
package acme.audit.v1;
import "google/protobuf/timestamp.proto";
message Account {
  string tenant = 1;
  string id = 2;
` + note + `}
`,
	})
	return dir
}

// TestLifecycleCommands: an admin retires a subject that a push drops (the
// refusal names the command), deprecates the module (pushes still work and
// warn), deletes a version (reads say who, when and why; latest serves the
// one before) and restores it; each is listed by registry events; bad
// input and non-admins are refused with a message that says what to do.
func TestLifecycleCommands(t *testing.T) {
	url, alice, ci := startAuthRegistry(t)
	t.Setenv(envRegistryURL, url)
	v1dir := subjectsModule(t)
	if code, stdout, stderr := pbcheck(t, v1dir, nil, "push", "--token", ci); code != exitOK {
		t.Fatalf("push: exit %d\n%s%s", code, stdout, stderr)
	}
	v2dir := auditWithoutLog(t, "")
	v3dir := auditWithoutLog(t, "  string note = 3;\n")
	v4dir := auditWithoutLog(t, "  string note = 3;\n  string memo = 4;\n")
	const log = "acme.audit.v1.AuditLine"
	reg := func(args ...string) []string { return append([]string{"registry"}, args...) }
	admin := func(args ...string) []string { return append(reg(args...), "--token", alice) }
	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"push dropping the log", v2dir, []string{"push", "--token", ci}, exitFindings, []string{
			"SUBJECT_NO_DELETE", "ask an admin to run `pbcheck registry subject retire acme/audit acme.audit.v1.AuditLine --reason '…'`"}, nil},
		{"retire without reason", v1dir, admin("subject", "retire", "acme/audit", log), exitError, []string{
			"subject retire needs --reason"}, nil},
		{"retire, not an admin", v1dir, reg("subject", "retire", "acme/audit", log, "--reason", "moved", "--token", ci), exitError, []string{
			"permission_denied", "retiring subject acme.audit.v1.AuditLine needs scope admin"}, nil},
		{"retire an unknown subject", v1dir, admin("subject", "retire", "acme/audit", "acme.audit.v1.Nope", "--reason", "typo"), exitError, []string{
			"not_found", "pbcheck registry subject get acme/audit lists its subjects"}, nil},
		{"reason on subject get", v1dir, reg("subject", "get", "acme/audit", "--reason", "x"), exitError, []string{
			"--reason applies to subject retire only"}, nil},
		{"retire", v1dir, admin("subject", "retire", "acme/audit", log, "--reason", "audit lines moved to acme/logs"), exitOK, []string{
			"acme.audit.v1.AuditLine retired, by alice at ", " (as of v1): audit lines moved to acme/logs\n",
			"its ledger is kept, so its field numbers and names stay taken",
			"note: v1 still declares it in pbregistry.yaml"}, nil},
		{"retire again", v1dir, admin("subject", "retire", "acme/audit", log, "--reason", "again"), exitOK, []string{
			"acme.audit.v1.AuditLine was retired already, by alice at ", ": audit lines moved to acme/logs"}, []string{"again"}},
		{"list shows it retired", v1dir, reg("subject", "get", "acme/audit"), exitOK, []string{
			"retired by alice at "}, nil},
		{"get shows it retired", v1dir, reg("subject", "get", "acme/audit", log), exitOK, []string{
			"retired:     by alice at ", "not checked until a push declares it again"}, nil},
		{"push dropping the retired log", v2dir, []string{"push", "--token", ci}, exitOK, []string{"acme/audit: version 2 created"}, nil},

		{"deprecate without message", v1dir, admin("deprecate", "acme/audit"), exitError, []string{"deprecate needs --message"}, nil},
		{"deprecate, message and undo", v1dir, admin("deprecate", "acme/audit", "--undo", "--message", "x"), exitError, []string{
			"deprecate --undo clears the deprecation: give no --message"}, nil},
		{"message on another subcommand", v1dir, reg("ls", "--message", "x"), exitError, []string{"--message and --undo apply to registry deprecate only"}, nil},
		{"deprecate, not an admin", v1dir, reg("deprecate", "acme/audit", "--message", "x", "--token", ci), exitError, []string{"permission_denied"}, nil},
		{"deprecate", v1dir, admin("deprecate", "acme/audit", "--message", "use acme/audit2"), exitOK, []string{
			"acme/audit deprecated, by alice at ", ": use acme/audit2\n", "still served and still accepts pushes"}, nil},
		{"ls shows the deprecation", v1dir, reg("ls"), exitOK, []string{"DEPRECATED", "acme/audit  v2", "by alice at ", ": use acme/audit2"}, nil},
		{"push to the deprecated module warns", v3dir, []string{"push", "--token", ci}, exitOK, []string{
			"acme/audit: version 3 created", "warning: module acme/audit is deprecated, by alice at ", ": use acme/audit2\n"}, nil},
		{"get from the deprecated module warns", v1dir, reg("get", "acme/audit", "--out", t.TempDir()), exitOK, []string{
			"warning: module acme/audit is deprecated, by alice at ", ": use acme/audit2\n"}, nil},
		{"undeprecate", v1dir, admin("deprecate", "acme/audit", "--undo"), exitOK, []string{"acme/audit is no longer deprecated"}, nil},
		{"undeprecate again", v1dir, admin("deprecate", "acme/audit", "--undo"), exitOK, []string{"acme/audit is not deprecated: nothing to undo"}, nil},
		{"ls without deprecations", v1dir, reg("ls"), exitOK, []string{"MODULE      LATEST  UPDATED\n", "acme/audit  v3"}, []string{"DEPRECATED"}},

		{"delete without version", v1dir, admin("delete", "acme/audit", "--reason", "x"), exitError, []string{"delete takes one <module>@<version>, e.g. acme/commerce@3"}, nil},
		{"delete latest", v1dir, admin("delete", "acme/audit@latest", "--reason", "x"), exitError, []string{"delete names a version number, not latest"}, nil},
		{"delete without reason", v1dir, admin("delete", "acme/audit@3"), exitError, []string{"delete needs --reason"}, nil},
		{"reason on ls", v1dir, reg("ls", "--reason", "x"), exitError, []string{"--reason applies to registry approve, subject retire, delete and promote only"}, nil},
		{"delete, anonymous", v1dir, reg("delete", "acme/audit@3", "--reason", "x"), exitError, []string{"unauthenticated"}, nil},
		{"delete an unknown version", v1dir, admin("delete", "acme/audit@9", "--reason", "x"), exitError, []string{
			"not_found", "module acme/audit has no version 9"}, nil},
		{"delete", v1dir, admin("delete", "acme/audit@3", "--reason", "pushed from a fork"), exitOK, []string{
			"acme/audit@3 deleted from serving, by alice at ", ": pushed from a fork\n", "readers of latest now get v2."}, nil},
		{"delete again", v1dir, admin("delete", "acme/audit@3", "--reason", "twice"), exitOK, []string{"acme/audit@3 was deleted already"}, []string{"twice"}},
		{"show the deleted version", v1dir, reg("show", "acme/audit@3"), exitError, []string{
			"not_found", "version 3 of acme/audit was deleted by alice at ", ": pushed from a fork;", "pbcheck registry restore acme/audit@3"}, nil},
		{"show latest", v1dir, reg("show", "acme/audit"), exitOK, []string{
			"module:    acme/audit (latest v3)\n", "the versions after v2 are deleted from serving; latest serves v2", "version:   v2\n"}, nil},
		{"ls lists it deleted", v1dir, reg("ls", "acme/audit"), exitOK, []string{"DELETED", "by alice at ", ": pushed from a fork"}, nil},
		{"push checked against the deleted v3", v4dir, []string{"push", "--token", ci}, exitOK, []string{"acme/audit: version 4 created"}, nil},
		{"push of the deleted version's content", v3dir, []string{"push", "--token", ci}, exitOK, []string{
			"acme/audit: version 3 already holds this content",
			"warning: version 3, which holds this content, was deleted from serving, by alice at ",
			"`pbcheck registry restore acme/audit@3`"}, nil},
		{"restore", v1dir, admin("restore", "acme/audit@3"), exitOK, []string{"acme/audit@3 restored: it is served again"}, nil},
		{"restore again", v1dir, admin("restore", "acme/audit@3"), exitOK, []string{"acme/audit@3 is not deleted: nothing to restore"}, nil},
		{"show the restored version", v1dir, reg("show", "acme/audit@3"), exitOK, []string{"version:   v3\n"}, nil},

		{"events", v1dir, reg("events", "acme/audit"), exitOK, []string{
			"ACTION", "version.restored     v3", "version.deleted      v3", "pushed from a fork",
			"module.undeprecated  acme/audit", "module.deprecated    acme/audit", "use acme/audit2",
			"subject.retired      acme.audit.v1.AuditLine", "audit lines moved to acme/logs"}, []string{"twice", "again"}},
		{"events of an unknown module", v1dir, reg("events", "acme/nope"), exitError, []string{"not_found"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRun(t, tt.dir, tt.args, tt.wantCode, tt.want, tt.notWant) })
	}
}
