package main

import (
	"os/exec"
	"strings"
	"testing"
)

// historyConfig declares a pbtable and an event whose rules let a field be
// deleted without reserving its number: only the ledger then stops the
// number and the name from coming back with another meaning.
const historyConfig = `version: v1
module: acme/shop
roots: [proto]
subjects:
  - {message: acme.shop.v1.Order, kind: pbtable, primary_key: [id]}
  - {message: acme.shop.v1.OrderPlaced, kind: event, except: [FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED]}
`

// historyProto is the module's one file with OrderPlaced's fields and
// Note's text field of type noteType.
func historyProto(placedFields, noteType string) string {
	return "syntax = \"proto3\";\npackage acme.shop.v1;\nimport \"google/protobuf/timestamp.proto\";\n" +
		"message Order {\n  string id = 1;\n  int64 amount = 2;\n}\n" +
		"message OrderPlaced {\n  string event_id = 1;\n  google.protobuf.Timestamp occurred_at = 2;\n" + placedFields + "}\n" +
		"message Note {\n  " + noteType + " text = 1;\n}\n"
}

// TestBreakingHistoryMatchesRegistry replays one history through both
// paths: each commit pushed to a real registry (HTTP server, SQLite), and
// pbcheck breaking --against .git#branch=main --history all on the same
// git history. The pull request — a renamed event field (WIRE accepts
// it), a non-subject field's type changed (the module's FILE rules refuse
// it), and the number and name of a field deleted one commit earlier
// reused — gets the same findings from both, subject and level included.
func TestBreakingHistoryMatchesRegistry(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: ", err)
	}
	t.Setenv(envRegistryURL, startRegistry(t))
	dir := t.TempDir()
	path := "proto/acme/shop/v1/shop.proto"
	commits := []string{
		historyProto("  string order_id = 3;\n  string coupon = 4;\n", "string"),
		historyProto("  string order_id = 3;\n", "string"), // coupon deleted, its number not reserved
	}
	gitIn(t, dir, "init", "-q", "-b", "main")
	for i, proto := range commits {
		writeTree(t, dir, map[string]string{"pbregistry.yaml": historyConfig, path: proto})
		gitIn(t, dir, "add", ".")
		gitIn(t, dir, "commit", "-q", "-m", "v"+string(rune('1'+i)))
		if code, stdout, stderr := pbcheck(t, dir, nil, "push"); code != exitOK {
			t.Fatalf("push of commit %d: exit %d\n%s%s", i+1, code, stdout, stderr)
		}
	}
	// The pull request: number 4 and the name coupon come back with
	// other meanings, order_id is renamed, Note.text changes type.
	writeTree(t, dir, map[string]string{path: historyProto("  string order_ref = 3;\n  int32 discount = 4;\n  string coupon = 5;\n", "int32")})

	regCode, regOut, regErr := pbcheck(t, dir, nil, "breaking", "--against-registry", "--error-format", "json")
	gitCode, gitOut, gitErr := pbcheck(t, dir, nil, "breaking", ".", "--against", ".git#branch=main", "--history", "all", "--error-format", "json")
	if regCode != exitFindings || gitCode != exitFindings {
		t.Fatalf("exit codes: registry %d, git history %d; want %d for both\nregistry:\n%s%s\ngit history:\n%s%s", regCode, gitCode, exitFindings, regOut, regErr, gitOut, gitErr)
	}
	if regOut != gitOut {
		t.Errorf("the registry and the git history disagree\nregistry:\n%s\ngit history:\n%s", regOut, gitOut)
	}
	for _, want := range []string{
		`"type":"FIELD_NUMBER_NO_REUSE"`, `"type":"FIELD_NAME_NO_REUSE"`,
		`[subject acme.shop.v1.OrderPlaced, FULL_TRANSITIVE]`,
		`"type":"FIELD_SAME_TYPE"`, // Note.text, the module's FILE rules
	} {
		if !strings.Contains(gitOut, want) {
			t.Errorf("pbcheck breaking --history all does not report %s:\n%s", want, gitOut)
		}
	}
	if strings.Contains(gitOut, "order_ref") && strings.Contains(gitOut, "FIELD_SAME_NAME") {
		t.Errorf("the event's rename is reported though its kind's rules (WIRE) accept it:\n%s", gitOut)
	}

	// Without the history, the reuse of what the against commit no longer
	// has cannot be seen: only the registry's ledger (or --history) knows.
	_, noHist, _ := pbcheck(t, dir, nil, "breaking", ".", "--against", ".git#branch=main", "--error-format", "json")
	if strings.Contains(noHist, "NO_REUSE") || !strings.Contains(noHist, "FIELD_SAME_TYPE") {
		t.Errorf("without --history: want the type change and no reuse finding, got:\n%s", noHist)
	}
	// --history 1 replays the against commit only: coupon's deletion is
	// before it.
	_, oneCommit, _ := pbcheck(t, dir, nil, "breaking", ".", "--against", ".git#branch=main", "--history", "1", "--error-format", "json")
	if strings.Contains(oneCommit, "NO_REUSE") {
		t.Errorf("--history 1 reports a reuse of what only commit 1 had:\n%s", oneCommit)
	}
}

// TestBreakingHistoryFlags: --history takes a number of commits or all,
// and needs a git --against.
func TestBreakingHistoryFlags(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/pbregistry.yaml": historyConfig, "a/" + "proto/acme/shop/v1/shop.proto": historyProto("", "string"),
		"b/pbregistry.yaml": historyConfig, "b/" + "proto/acme/shop/v1/shop.proto": historyProto("", "string"),
	})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"breaking", "a", "--against", "b", "--history", "0"}, "--history 0: give a number of commits (e.g. --history 50) or all"},
		{[]string{"breaking", "a", "--against", "b", "--history", "some"}, "--history some: give a number of commits"},
		{[]string{"breaking", "a", "--against", "b", "--history", "all"}, "--history replays the git history of --against: --against b is not a git input"},
	} {
		code, stdout, stderr := pbcheck(t, dir, nil, tt.args...)
		if code != exitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q (stdout %q)", tt.args, code, stderr, exitError, tt.want, stdout)
		}
	}
}

// TestBreakingGovernedConfiguration: a pull request that weakens a
// subject's level in pbregistry.yaml gets the finding a push would get.
func TestBreakingGovernedConfiguration(t *testing.T) {
	dir := t.TempDir()
	weaker := strings.Replace(historyConfig, "kind: event,", "kind: event, compatibility: NONE,", 1)
	proto := historyProto("  string order_id = 3;\n", "string")
	writeTree(t, dir, map[string]string{
		"main/pbregistry.yaml": historyConfig, "main/proto/acme/shop/v1/shop.proto": proto,
		"pr/pbregistry.yaml": weaker, "pr/proto/acme/shop/v1/shop.proto": proto,
	})
	code, stdout, stderr := pbcheck(t, dir, nil, "breaking", "pr", "--against", "main")
	want := "Subject acme.shop.v1.OrderPlaced lowers its compatibility from FULL_TRANSITIVE to NONE"
	if code != exitFindings || !strings.Contains(stdout, want) || !strings.Contains(stdout, "(SUBJECT_LEVEL_NO_WEAKEN)") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d and %q (SUBJECT_LEVEL_NO_WEAKEN)", code, stdout, stderr, exitFindings, want)
	}
	if code, stdout, _ := pbcheck(t, dir, nil, "breaking", "main", "--against", "pr"); code != exitOK {
		t.Errorf("strengthening: exit %d, stdout:\n%s", code, stdout)
	}
}
