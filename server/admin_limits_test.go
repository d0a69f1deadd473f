package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// adminInstance starts a server with an admin token "a" and a push token
// "c", and pushes the quickstart module once.
func adminInstance(t *testing.T, logger *slog.Logger) *instance {
	t.Helper()
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
		{Name: "root", SHA256: auth.Hash("a"), Scopes: []auth.Scope{auth.ScopeAdmin}},
	}}
	in := start(t, "", server.Options{Auth: auth.New(tf, auth.Options{AnonymousRead: true}), Logger: logger})
	mustPush(t, in.client("c"), files("int64", ""))
	return in
}

// TestSetSubjectConfigValidates is probe 9 of issue 8: an override naming
// a rule the catalog does not have (which used to make every later push
// fail until cleared) is refused with the categories to choose from, and
// pushes keep working; so are overrides of modules and subjects that do
// not exist, and malformed names.
func TestSetSubjectConfigValidates(t *testing.T) {
	in := adminInstance(t, nil)
	ctx := context.Background()
	admin := in.client("a")
	set := func(module, subject string, c *v1.Compatibility) error {
		_, err := admin.SetSubjectConfig(ctx, connect.NewRequest(&v1.SetSubjectConfigRequest{Module: module, Message: subject, Compatibility: c}))
		return err
	}
	full := v1.CompatibilityLevel_COMPATIBILITY_LEVEL_FULL
	tests := []struct {
		name            string
		module, subject string
		compat          *v1.Compatibility
		code            connect.Code
		want            []string
	}{
		{"unknown rule in use", "acme/commerce", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full, Use: []string{"NOPE_RULE"}},
			connect.CodeInvalidArgument, []string{"compatibility.use[0]", `"NOPE_RULE"`, "FILE, PACKAGE, WIRE_JSON, WIRE"}},
		{"unknown rule in except", "acme/commerce", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full, Use: []string{"WIRE"}, Except: []string{"FIELD_SAME_TYPO"}},
			connect.CodeInvalidArgument, []string{"compatibility.except[0]", "FIELD_SAME_TYPO"}},
		{"rule with a NUL", "acme/commerce", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full, Use: []string{"WIRE\x00"}},
			connect.CodeInvalidArgument, []string{"control character"}},
		{"use minus except leaves nothing", "acme/commerce", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full, Use: []string{"FIELD_SAME_TYPE"}, Except: []string{"FIELD_SAME_TYPE"}},
			connect.CodeInvalidArgument, []string{"no breaking rules selected"}},
		{"too many rules", "acme/commerce", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full, Use: slicesRepeat("WIRE", 201)},
			connect.CodeInvalidArgument, []string{"201 rules", "limit of 200", "limits.max_rules"}},
		{"module that does not exist", "acme/nothing", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full},
			connect.CodeNotFound, []string{"module acme/nothing does not exist"}},
		{"subject that does not exist", "acme/commerce", "acme.billing.v1.Nothing", &v1.Compatibility{Level: full},
			connect.CodeNotFound, []string{"module acme/commerce has no subject acme.billing.v1.Nothing"}},
		{"clearing a subject that does not exist", "acme/commerce", "acme.billing.v1.Nothing", nil,
			connect.CodeNotFound, []string{"has no subject"}},
	}
	extra := "" // each push adds a field: compatible with every version before
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.name, set(tt.module, tt.subject, tt.compat), tt.code, tt.want...)
			sub, err := in.client("").GetSubject(ctx, connect.NewRequest(&v1.GetSubjectRequest{Module: "acme/commerce", Message: "acme.billing.v1.Invoice"}))
			if err != nil || sub.Msg.GetSubject().GetOverride() != nil {
				t.Fatalf("Invoice after the refused override = %v, %v; want no override", sub, err)
			}
			extra += fmt.Sprintf("  string added%d = %d;\n", i, 10+i)
			mustPush(t, in.client("c"), files("int64", extra))
		})
	}
	// A valid override still works, with categories and rule IDs.
	if err := set("acme/commerce", "acme.billing.v1.Invoice", &v1.Compatibility{Level: full, Use: []string{"WIRE", "FIELD_SAME_NAME"}}); err != nil {
		t.Fatalf("valid override: %v", err)
	}
	mustPush(t, in.client("c"), files("int64", extra+"  string after_override = 99;\n"))
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestApproveExceptionValidates is the other half of probe 9: exceptions
// for modules that do not exist, and rules, elements or reasons carrying a
// NUL, a newline or no text, are refused, and nothing is stored.
func TestApproveExceptionValidates(t *testing.T) {
	in := adminInstance(t, nil)
	ctx := context.Background()
	digest := "sha256:" + strings.Repeat("ab", 32)
	ok := v1.ApproveExceptionRequest{Module: "acme/commerce", Digest: digest, Rule: "FIELD_SAME_TYPE", Element: "acme.billing.v1.Invoice.amount", Reason: "amounts were never set"}
	tests := []struct {
		name   string
		modify func(r *v1.ApproveExceptionRequest)
		code   connect.Code
		want   []string
	}{
		{"missing module", func(r *v1.ApproveExceptionRequest) { r.Module = "acme/nothing" }, connect.CodeNotFound, []string{"module acme/nothing does not exist"}},
		{"rule with a NUL", func(r *v1.ApproveExceptionRequest) { r.Rule = "FIELD_SAME_TYPE\x00" }, connect.CodeInvalidArgument, []string{"invalid rule", "control character U+0000"}},
		{"rule with a newline", func(r *v1.ApproveExceptionRequest) { r.Rule = "FIELD_SAME_TYPE\nINJECTED" }, connect.CodeInvalidArgument, []string{"invalid rule", "control character U+000A"}},
		{"rule that is no rule", func(r *v1.ApproveExceptionRequest) { r.Rule = "field same type" }, connect.CodeInvalidArgument, []string{"invalid rule"}},
		{"lowercase rule", func(r *v1.ApproveExceptionRequest) { r.Rule = "field_same_type" }, connect.CodeInvalidArgument, []string{"neither a rule ID"}},
		{"element with a newline", func(r *v1.ApproveExceptionRequest) { r.Element = "acme.billing\nv1" }, connect.CodeInvalidArgument, []string{"invalid element"}},
		{"element that is no name", func(r *v1.ApproveExceptionRequest) { r.Element = "acme..billing" }, connect.CodeInvalidArgument, []string{"not a fully-qualified name"}},
		{"long element", func(r *v1.ApproveExceptionRequest) { r.Element = strings.Repeat("a", 513) }, connect.CodeInvalidArgument, []string{"513 bytes", "limits.max_name_bytes"}},
		{"blank reason", func(r *v1.ApproveExceptionRequest) { r.Reason = "  " }, connect.CodeInvalidArgument, []string{"no reason"}},
		{"reason with a NUL", func(r *v1.ApproveExceptionRequest) { r.Reason = "ok\x00" }, connect.CodeInvalidArgument, []string{"invalid reason", "control character"}},
		{"long reason", func(r *v1.ApproveExceptionRequest) { r.Reason = strings.Repeat("x", 5000) }, connect.CodeInvalidArgument, []string{"5000 bytes", "limit of 4096", "limits.max_reason_bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := proto.Clone(&ok).(*v1.ApproveExceptionRequest)
			tt.modify(req)
			_, err := in.client("a").ApproveException(ctx, connect.NewRequest(req))
			wantCode(t, tt.name, err, tt.code, tt.want...)
		})
	}
	list, err := in.client("a").ListExceptions(ctx, connect.NewRequest(&v1.ListExceptionsRequest{Module: "acme/commerce"}))
	if err != nil || len(list.Msg.Exceptions) != 0 {
		t.Fatalf("exceptions after the refused approvals = %v, %v", list, err)
	}
	// A multi-line reason is text, and the valid request is granted.
	req := proto.Clone(&ok).(*v1.ApproveExceptionRequest)
	req.Reason = "amounts were never set:\n\tsee INC-1234"
	if _, err := in.client("a").ApproveException(ctx, connect.NewRequest(req)); err != nil {
		t.Fatalf("valid approval: %v", err)
	}
}

// TestBuildMetadataBounded is probe 3 of issue 8: a push whose
// build.gitCommit is 60 MiB (under the request limit) is refused before
// any work, naming the field, its size and the limit; nothing is stored or
// logged at that size, and ListVersions stays small.
func TestBuildMetadataBounded(t *testing.T) {
	var logs syncBuffer
	in := adminInstance(t, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	huge := strings.Repeat("f", 60<<20)
	for _, tt := range []struct {
		name  string
		build *v1.BuildInfo
		want  []string
	}{
		{"60 MiB git commit", &v1.BuildInfo{GitCommit: huge}, []string{"invalid build.git_commit", "62914560 bytes", "limit of 256", "limits.max_git_commit_bytes"}},
		{"long branch", &v1.BuildInfo{GitBranch: strings.Repeat("b", 1025)}, []string{"invalid build.git_branch", "limits.max_git_branch_bytes"}},
		{"long CI URL", &v1.BuildInfo{CiUrl: strings.Repeat("u", 2049)}, []string{"invalid build.ci_url", "limits.max_ci_url_bytes"}},
		{"newline in the commit", &v1.BuildInfo{GitCommit: "abc\ninjected log line"}, []string{"control character U+000A"}},
		{"too many labels", &v1.BuildInfo{Labels: manyLabels(65)}, []string{"65 labels", "limit of 64", "limits.max_labels"}},
		{"long label value", &v1.BuildInfo{Labels: map[string]string{"team": strings.Repeat("v", 1025)}}, []string{"build.labels[team]", "limits.max_label_value_bytes"}},
		{"label key with a space", &v1.BuildInfo{Labels: map[string]string{"my team": "x"}}, []string{"label key", "use letters, digits"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := in.client("c").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files("int64", "  string x = 20;\n"), Build: tt.build}))
			wantCode(t, tt.name, err, connect.CodeInvalidArgument, tt.want...)
		})
	}
	// Metadata within the limits is kept as sent.
	commit := strings.Repeat("c", 256)
	resp, err := in.client("c").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files("int64", "  string x = 20;\n"),
		Build: &v1.BuildInfo{GitCommit: commit, GitBranch: "main", Labels: map[string]string{"team": "billing"}}}))
	if err != nil || resp.Msg.Version.GetBuild().GetGitCommit() != commit {
		t.Fatalf("push with metadata at the limit = %v, %v", resp, err)
	}
	list, err := in.client("").ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: "acme/commerce"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.Msg.GetVersions()); n != 2 {
		t.Errorf("ListVersions has %d versions, want 2: the refused pushes left none", n)
	}
	if size := proto.Size(list.Msg); size > 4<<10 {
		t.Errorf("ListVersions is %d bytes, want under 4 KiB", size)
	}
	if n := len(logs.String()); n > 64<<10 {
		t.Errorf("the server logged %d bytes for a few pushes, want under 64 KiB: it logs what clients send", n)
	}
}

func manyLabels(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}
