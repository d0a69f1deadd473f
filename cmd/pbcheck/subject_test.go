package main

import (
	"context"
	"net"
	"testing"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// startAuthRegistry serves a registry over a fresh SQLite store on a real
// port, with tokens: alice (admin) and ci (push:acme/*), anonymous reads
// on. It returns the URL and the two tokens.
func startAuthRegistry(t *testing.T) (url, alice, ci string) {
	t.Helper()
	alice, aliceEntry, err := auth.CreateToken("alice", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	ci, ciEntry, err := auth.CreateToken("ci", []string{"push:acme/*"})
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(&auth.TokensFile{Entries: []auth.Entry{aliceEntry, ciEntry}}, auth.Options{AnonymousRead: true})
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{Store: store, Auth: authn}).Handler()) }()
	t.Cleanup(func() {
		cancel()
		<-done
		store.Close()
	})
	return "http://" + ln.Addr().String(), alice, ci
}

// subjectsModule is a module with a pbtable on its kind's defaults and a
// log that declares a weak level of its own.
func subjectsModule(t *testing.T) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"pbregistry.yaml": `version: v1
module: acme/audit
subjects:
  - message: acme.audit.v1.Account
    kind: pbtable
    primary_key: [tenant, id]
  - message: acme.audit.v1.AuditLine
    kind: log
    compatibility: BACKWARD
    use: [WIRE]
`,
		"acme/audit/v1/audit.proto": `syntax = "proto3";
package acme.audit.v1;
import "google/protobuf/timestamp.proto";
message Account {
  string tenant = 1;
  string id = 2;
}
message AuditLine {
  string actor = 1;
  string action = 2;
  google.protobuf.Timestamp at = 3;
}
`,
	})
	return dir
}

// TestSubjectCommands: pbcheck registry subject get lists a module's
// subjects and shows one with where its configuration comes from; subject
// set (admin) puts a stricter level in force, recorded with who set it,
// keeping what was not given; subject clear goes back to the pushed
// configuration; bad input is refused with a message that says what to do.
func TestSubjectCommands(t *testing.T) {
	url, alice, ci := startAuthRegistry(t)
	t.Setenv(envRegistryURL, url)
	dir := subjectsModule(t)
	if code, stdout, stderr := pbcheck(t, dir, nil, "push", "--token", ci); code != exitOK {
		t.Fatalf("push: exit %d\n%s%s", code, stdout, stderr)
	}
	const log = "acme.audit.v1.AuditLine"
	subject := func(args ...string) []string { return append([]string{"registry", "subject"}, args...) }
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"list", subject("get", "acme/audit"), exitOK, []string{
			"SUBJECT                  KIND     PRIMARY KEY  LEVEL            USE        EXCEPT  SOURCE",
			"acme.audit.v1.Account    pbtable  tenant,id    FULL_TRANSITIVE  WIRE_JSON  -       push",
			"acme.audit.v1.AuditLine  log      -            BACKWARD         WIRE       -       push"}, nil},
		{"get, kind defaults", subject("get", "acme/audit", "acme.audit.v1.Account"), exitOK, []string{
			"subject:     acme.audit.v1.Account\n",
			"module:      acme/audit (subject since v1)\n",
			"kind:        pbtable\n",
			"primary key: tenant, id\n",
			"in force:    FULL_TRANSITIVE, use WIRE_JSON, except nothing\n",
			"source:      the pushed pbregistry.yaml, with the defaults of its kind where it says nothing\n",
			"declared:    FULL_TRANSITIVE, use WIRE_JSON, except nothing\n"}, nil},
		{"get, declared", subject("get", "acme/audit", log), exitOK, []string{
			"kind:        log\n", "in force:    BACKWARD, use WIRE, except nothing\n", "declared:    BACKWARD, use WIRE, except nothing\n"},
			[]string{"primary key"}},
		{"get, not a subject", subject("get", "acme/audit", "acme.audit.v1.Nope"), exitError, []string{
			"not_found", "pbcheck registry subject get acme/audit lists its subjects"}, nil},
		{"list, no such module", subject("get", "acme/nothing"), exitError, []string{"not_found", "acme/nothing"}, nil},
		{"set, unknown level", append(subject("set", "acme/audit", log, "--compatibility", "STRICT"), "--registry", "http://127.0.0.1:1"), exitError, []string{
			`unknown compatibility level "STRICT": use one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE`},
			[]string{"unavailable"}},
		{"set, unknown rule", append(subject("set", "acme/audit", log, "--use", "WIRE_JSN"), "--registry", "http://127.0.0.1:1"), exitError, []string{
			`unknown breaking rule or category "WIRE_JSN" for configuration version v2 (did you mean WIRE_JSON?); run ` + "`pbcheck rules`"}, []string{"unavailable"}},
		{"set, unknown exception", append(subject("set", "acme/audit", log, "--except", "FIELD_SAME_TYPO"), "--registry", "http://127.0.0.1:1"), exitError, []string{
			`unknown breaking rule or category "FIELD_SAME_TYPO"`}, []string{"unavailable"}},
		{"set, nothing to set", append(subject("set", "acme/audit", log), "--token", alice), exitError, []string{
			"subject set needs --compatibility LEVEL, --use RULE or --except RULE"}, nil},
		{"set flags on get", subject("get", "acme/audit", "--use", "WIRE"), exitError, []string{
			"--compatibility, --use and --except apply to subject set only"}, nil},
		{"set flags on another subcommand", []string{"registry", "ls", "--compatibility", "FULL"}, exitError, []string{
			"apply to registry subject set only"}, nil},
		{"set, not an admin", append(subject("set", "acme/audit", log, "--compatibility", "FULL_TRANSITIVE"), "--token", ci), exitError, []string{
			"permission_denied", "admin"}, nil},
		{"set, anonymous", subject("set", "acme/audit", log, "--compatibility", "FULL_TRANSITIVE"), exitError, []string{
			"unauthenticated"}, nil},
		{"set a stricter level", append(subject("set", "acme/audit", log, "--compatibility", "full_transitive"), "--token", alice), exitOK, []string{
			"override of acme.audit.v1.AuditLine set by alice; now in force:\n",
			"in force:    FULL_TRANSITIVE, use WIRE, except nothing\n",
			"source:      admin override set by alice at ",
			"declared:    BACKWARD, use WIRE, except nothing\n"}, nil},
		{"get shows the override", subject("get", "acme/audit", log), exitOK, []string{
			"in force:    FULL_TRANSITIVE, use WIRE, except nothing\n",
			"source:      admin override set by alice at ",
			"(pbcheck registry subject clear removes it)"}, nil},
		{"list shows the override", subject("get", "acme/audit"), exitOK, []string{
			"acme.audit.v1.AuditLine  log      -            FULL_TRANSITIVE  WIRE       -       override by alice at "}, nil},
		{"set rules, keeping the level", append(subject("set", "acme/audit", log, "--use", "WIRE_JSON", "--except", "FIELD_SAME_JSON_NAME"), "--token", alice), exitOK, []string{
			"in force:    FULL_TRANSITIVE, use WIRE_JSON, except FIELD_SAME_JSON_NAME\n"}, nil},
		{"clear", append(subject("clear", "acme/audit", log), "--token", alice), exitOK, []string{
			"override of acme.audit.v1.AuditLine cleared; the pushed configuration is in force:\n",
			"in force:    BACKWARD, use WIRE, except nothing\n",
			"source:      the pushed pbregistry.yaml"}, []string{"alice"}},
		{"clear again", append(subject("clear", "acme/audit", log), "--token", alice), exitOK, []string{
			"acme.audit.v1.AuditLine has no override: nothing to clear; the pushed configuration is in force:\n",
			"in force:    BACKWARD, use WIRE, except nothing\n"}, nil},
		{"get after clear", subject("get", "acme/audit", log), exitOK, []string{
			"in force:    BACKWARD, use WIRE, except nothing\n"}, []string{"override"}},
		{"clear, not a subject", append(subject("clear", "acme/audit", "acme.audit.v1.Nope"), "--token", alice), exitError, []string{
			"not_found"}, nil},
		{"unknown verb", subject("remove", "acme/audit", log), exitError, []string{`unknown subject subcommand "remove": use get, set, clear or retire`}, nil},
		{"no verb", subject(), exitError, []string{"name a subject subcommand: get, set, clear or retire"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRun(t, dir, tt.args, tt.wantCode, tt.want, tt.notWant) })
	}
}

// TestRegistryUsage: pbcheck registry --help lists every subcommand,
// with the lifecycle ones, and exits 0.
func TestRegistryUsage(t *testing.T) {
	checkRun(t, t.TempDir(), []string{"registry", "--help"}, exitOK, []string{
		"Usage: pbcheck registry <ls|show|get|diff|approve|exceptions|subject|promote|deprecate|delete|restore|events|deliveries|redrive> [arguments] --registry URL [flags]",
		"  registry get <module>[@<version>] --out DIR [--image FILE] [--force]\n",
		"  registry subject get <module> [<message>]\n",
		"  registry subject set <module> <message> [--compatibility LEVEL] [--use RULE]... [--except RULE]...\n",
		"  registry subject clear <module> <message>\n",
		"  registry subject retire <module> <message> --reason TEXT\n",
		"  registry deprecate <module> --message TEXT\n",
		"  registry delete <module>@<version> --reason TEXT\n",
		"  registry restore <module>@<version>  (admin) serve a deleted version again\n",
		"  registry events <module>  ",
		"  registry promote <module>@<version> [--reason TEXT]\n",
		"-out string", "-image string", "-force", "-compatibility string", "-use value", "-except value",
		"-message string", "-undo", "-reason string",
	}, nil)
	checkRun(t, t.TempDir(), []string{"registry"}, exitError, []string{
		"name a subcommand: ls, show, get, diff, approve, exceptions, subject, promote, deprecate, delete, restore, events, deliveries or redrive"}, nil)
}
