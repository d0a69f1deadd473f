package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// lifecycleTokens: a reader, a pusher and an admin.
var lifecycleTokens = &auth.TokensFile{Entries: []auth.Entry{
	{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
	{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
	{Name: "root", SHA256: auth.Hash("a"), Scopes: []auth.Scope{auth.ScopeAdmin}},
}}

// TestLifecycleScopes: only an admin token retires, deprecates, deletes or
// restores; the others are refused and change nothing; a read-only server
// refuses them all.
func TestLifecycleScopes(t *testing.T) {
	in := start(t, "", server.Options{Auth: auth.New(lifecycleTokens, auth.Options{AnonymousRead: true})})
	ctx := context.Background()
	mustPush(t, in.client("c"), files("int64", ""))
	calls := []struct {
		name string
		what string
		call func(c clientLike) error
	}{
		{"RetireSubject", "retiring subject acme.billing.v1.InvoicePaid needs", func(c clientLike) error {
			_, err := c.RetireSubject(ctx, connect.NewRequest(&v1.RetireSubjectRequest{Module: "acme/commerce", Message: "acme.billing.v1.InvoicePaid", Reason: "r"}))
			return err
		}},
		{"DeprecateModule", "deprecating module acme/commerce needs", func(c clientLike) error {
			_, err := c.DeprecateModule(ctx, connect.NewRequest(&v1.DeprecateModuleRequest{Module: "acme/commerce", Message: "m"}))
			return err
		}},
		{"DeleteVersion", "deleting version 1 of acme/commerce needs", func(c clientLike) error {
			_, err := c.DeleteVersion(ctx, connect.NewRequest(&v1.DeleteVersionRequest{Module: "acme/commerce", Version: 1, Reason: "r"}))
			return err
		}},
		{"RestoreVersion", "restoring version 1 of acme/commerce needs", func(c clientLike) error {
			_, err := c.RestoreVersion(ctx, connect.NewRequest(&v1.RestoreVersionRequest{Module: "acme/commerce", Version: 1}))
			return err
		}},
	}
	for _, call := range calls {
		for _, tc := range []struct {
			name, token string
			code        connect.Code
			want        string
		}{
			{"anonymous", "", connect.CodeUnauthenticated, call.what + " a token with scope admin"},
			{"read token", "r", connect.CodePermissionDenied, call.what + " scope admin"},
			{"push token", "c", connect.CodePermissionDenied, call.what + " scope admin"},
		} {
			wantCode(t, call.name+" by "+tc.name, call.call(in.client(tc.token)), tc.code, tc.want)
		}
	}
	events, err := in.client("r").ListLifecycleEvents(ctx, connect.NewRequest(&v1.ListLifecycleEventsRequest{Module: "acme/commerce"}))
	if err != nil || len(events.Msg.Events) != 0 {
		t.Fatalf("lifecycle events after refused calls = %v, %v", events, err)
	}
	mod, err := in.client("r").GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce"}))
	if err != nil || mod.Msg.Module.Deprecation != nil || mod.Msg.Version.Deleted != nil {
		t.Fatalf("module after refused calls = %v, %v", mod, err)
	}

	dir := t.TempDir()
	rw := start(t, dir, server.Options{})
	mustPush(t, rw.client(""), files("int64", ""))
	ro := start(t, dir, server.Options{ReadOnly: true})
	for _, call := range calls {
		wantCode(t, call.name+" on a read-only server", call.call(ro.client("")), connect.CodeFailedPrecondition, "runs read-only")
	}
}

// clientLike is the part of the generated client the lifecycle tests call.
type clientLike interface {
	RetireSubject(context.Context, *connect.Request[v1.RetireSubjectRequest]) (*connect.Response[v1.RetireSubjectResponse], error)
	DeprecateModule(context.Context, *connect.Request[v1.DeprecateModuleRequest]) (*connect.Response[v1.DeprecateModuleResponse], error)
	DeleteVersion(context.Context, *connect.Request[v1.DeleteVersionRequest]) (*connect.Response[v1.DeleteVersionResponse], error)
	RestoreVersion(context.Context, *connect.Request[v1.RestoreVersionRequest]) (*connect.Response[v1.RestoreVersionResponse], error)
}

// TestDeletedVersionNotServed: after an admin deletes the latest version,
// every read of it — RPCs, image and dbt downloads, pbtable DDL — is
// NotFound saying who deleted it, when and why; latest serves the version
// before it; listings show it as deleted; pushes are still checked against
// it. Restored, it is served again.
func TestDeletedVersionNotServed(t *testing.T) {
	in := start(t, "", server.Options{Auth: auth.New(lifecycleTokens, auth.Options{AnonymousRead: true})})
	ctx := context.Background()
	reader, admin := in.client("r"), in.client("a")
	mustPush(t, in.client("c"), files("int64", ""))
	mustPush(t, in.client("c"), files("int64", "  string note = 8;\n"))
	del, err := admin.DeleteVersion(ctx, connect.NewRequest(&v1.DeleteVersionRequest{Module: "acme/commerce", Version: 2, Reason: "built from a fork"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := del.Msg.Version.Deleted; !del.Msg.Changed || d == nil || d.DeletedBy != "root" || d.Reason != "built from a fork" || del.Msg.LatestServedVersion != 1 {
		t.Fatalf("DeleteVersion = %v", del.Msg)
	}
	again, err := admin.DeleteVersion(ctx, connect.NewRequest(&v1.DeleteVersionRequest{Module: "acme/commerce", Version: 2, Reason: "twice"}))
	if err != nil || again.Msg.Changed || again.Msg.Version.Deleted.Reason != "built from a fork" {
		t.Fatalf("DeleteVersion again = %v, %v; want no change", again, err)
	}

	wants := []string{"version 2 of acme/commerce was deleted by root at ", ": built from a fork;", "pbcheck registry restore acme/commerce@2"}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"GetDescriptorSet", func() error {
			_, err := reader.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce", Version: 2}))
			return err
		}},
		{"GetModule", func() error {
			_, err := reader.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce", Version: 2, IncludeFiles: true}))
			return err
		}},
		{"GetPbtableDDL", func() error {
			_, err := reader.GetPbtableDDL(ctx, connect.NewRequest(&v1.GetPbtableDDLRequest{Module: "acme/commerce", Version: 2, Subject: "acme.billing.v1.Invoice"}))
			return err
		}},
		{"GetDbtProject", func() error {
			_, err := reader.GetDbtProject(ctx, connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/commerce", Version: 2, Dialect: "postgres"}))
			return err
		}},
	} {
		wantCode(t, tc.name+" of the deleted version", tc.call(), connect.CodeNotFound, wants...)
	}
	for _, path := range []string{"/modules/acme/commerce/versions/2/image.binpb", "/dbt/acme/commerce/2.tar.gz?dialect=postgres"} {
		resp, body := get(t, in.url+path)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), wants[0]) || !strings.Contains(string(body), wants[1]) {
			t.Errorf("GET %s = %d %q, want 404 saying %q", path, resp.StatusCode, body, wants[0])
		}
	}

	// latest serves v1; the module's latest accepted version is still 2.
	mod, err := reader.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce"}))
	if err != nil || mod.Msg.Version.Number != 1 || mod.Msg.Module.LatestVersion != 2 {
		t.Fatalf("GetModule(latest) = %v, %v; want version 1 of a module whose latest is 2", mod, err)
	}
	resp, _ := get(t, in.url+"/modules/acme/commerce/versions/latest/image.binpb")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Pbregistry-Version") != "1" {
		t.Fatalf("GET latest image = %d, version %q; want version 1", resp.StatusCode, resp.Header.Get("X-Pbregistry-Version"))
	}
	list, err := reader.ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: "acme/commerce"}))
	if err != nil || len(list.Msg.Versions) != 2 || list.Msg.Versions[0].Deleted.GetDeletedBy() != "root" || list.Msg.Versions[1].Deleted != nil {
		t.Fatalf("ListVersions = %v, %v; want v2 listed as deleted", list, err)
	}

	// Pushes are checked against v2, whose data may exist.
	_, err = push(t, in.client("c"), files("int64", "  bool note = 8;\n"))
	wantCode(t, "push changing the deleted v2's field", err, connect.CodeFailedPrecondition, "against version 2")

	res, err := admin.RestoreVersion(ctx, connect.NewRequest(&v1.RestoreVersionRequest{Module: "acme/commerce", Version: 2}))
	if err != nil || !res.Msg.Changed || res.Msg.Version.Deleted != nil {
		t.Fatalf("RestoreVersion = %v, %v", res, err)
	}
	if ds, err := reader.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce"})); err != nil || ds.Msg.Version.Number != 2 {
		t.Fatalf("GetDescriptorSet(latest) after restoring = %v, %v; want version 2", ds, err)
	}
	events, err := reader.ListLifecycleEvents(ctx, connect.NewRequest(&v1.ListLifecycleEventsRequest{Module: "acme/commerce"}))
	if err != nil || len(events.Msg.Events) != 2 || events.Msg.Events[0].Action != "version.restored" || events.Msg.Events[1].Text != "built from a fork" {
		t.Fatalf("lifecycle events = %v, %v", events, err)
	}
}

// TestRetireAndDeprecate: a retired subject is listed as retired and a
// push without its message passes; a deprecated module is shown by reads
// and by the push's response, until undone.
func TestRetireAndDeprecate(t *testing.T) {
	in := start(t, "", server.Options{Auth: auth.New(lifecycleTokens, auth.Options{AnonymousRead: true})})
	ctx := context.Background()
	reader, admin := in.client("r"), in.client("a")
	mustPush(t, in.client("c"), files("int64", ""))

	withoutPaid := []*v1.File{
		{Path: "pbregistry.yaml", Content: []byte(strings.SplitN(quickConfig, "  - message: acme.billing.v1.InvoicePaid", 2)[0])},
		{Path: "acme/billing/v1/invoice.proto", Content: []byte("syntax = \"proto3\";\npackage acme.billing.v1;\nimport \"google/protobuf/timestamp.proto\";\nmessage Invoice {\n  string id = 1;\n  int64 amount = 7;\n  google.protobuf.Timestamp at = 9;\n}\n")},
	}
	_, err := push(t, in.client("c"), withoutPaid)
	wantCode(t, "push without the subject's message", err, connect.CodeFailedPrecondition,
		"SUBJECT_NO_DELETE", "pbcheck registry subject retire acme/commerce acme.billing.v1.InvoicePaid --reason")

	ret, err := admin.RetireSubject(ctx, connect.NewRequest(&v1.RetireSubjectRequest{Module: "acme/commerce", Message: "acme.billing.v1.InvoicePaid", Reason: "events moved to acme/payments"}))
	if r := ret.Msg.GetSubject().GetRetired(); err != nil || !ret.Msg.Changed || r.GetRetiredBy() != "root" || r.GetVersion() != 1 || r.GetReason() != "events moved to acme/payments" {
		t.Fatalf("RetireSubject = %v, %v", ret, err)
	}
	subs, err := reader.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: "acme/commerce"}))
	if err != nil || len(subs.Msg.Subjects) != 2 || subs.Msg.Subjects[1].Retired == nil || subs.Msg.Subjects[0].Retired != nil {
		t.Fatalf("ListSubjects = %v, %v; want InvoicePaid retired", subs, err)
	}
	if v := mustPush(t, in.client("c"), withoutPaid); v.Version.Number != 2 {
		t.Fatalf("push without the retired subject's message = %v", v)
	}

	dep, err := admin.DeprecateModule(ctx, connect.NewRequest(&v1.DeprecateModuleRequest{Module: "acme/commerce", Message: "use acme/shop"}))
	if err != nil || !dep.Msg.Changed || dep.Msg.Module.Deprecation.GetMessage() != "use acme/shop" || dep.Msg.Module.Deprecation.GetDeprecatedBy() != "root" {
		t.Fatalf("DeprecateModule = %v, %v", dep, err)
	}
	mods, err := reader.ListModules(ctx, connect.NewRequest(&v1.ListModulesRequest{}))
	if err != nil || len(mods.Msg.Modules) != 1 || mods.Msg.Modules[0].Deprecation.GetMessage() != "use acme/shop" {
		t.Fatalf("ListModules = %v, %v", mods, err)
	}
	withNote := []*v1.File{withoutPaid[0], {Path: withoutPaid[1].Path, Content: []byte(strings.Replace(string(withoutPaid[1].Content), "at = 9;", "at = 9;\n  string note = 10;", 1))}}
	pushed := mustPush(t, in.client("c"), withNote)
	if pushed.Module.GetDeprecation().GetMessage() != "use acme/shop" {
		t.Fatalf("push to the deprecated module: module %v, want its deprecation", pushed.Module)
	}
	_, err = admin.DeprecateModule(ctx, connect.NewRequest(&v1.DeprecateModuleRequest{Module: "acme/commerce", Message: "x", Undo: true}))
	wantCode(t, "undo with a message", err, connect.CodeInvalidArgument, "takes no message")
	undo, err := admin.DeprecateModule(ctx, connect.NewRequest(&v1.DeprecateModuleRequest{Module: "acme/commerce", Undo: true}))
	if err != nil || !undo.Msg.Changed || undo.Msg.Module.Deprecation != nil {
		t.Fatalf("undo = %v, %v", undo, err)
	}
	_, err = admin.DeprecateModule(ctx, connect.NewRequest(&v1.DeprecateModuleRequest{Module: "acme/commerce", Message: strings.Repeat("x", 5000)}))
	wantCode(t, "a deprecation message past the limit", err, connect.CodeInvalidArgument, "max_reason_bytes")
	_, err = admin.RetireSubject(ctx, connect.NewRequest(&v1.RetireSubjectRequest{Module: "acme/commerce", Message: "acme.billing.v1.Invoice", Reason: "a\x00b"}))
	wantCode(t, "a reason with a NUL", err, connect.CodeInvalidArgument, "control character")
	for _, tc := range []struct {
		name string
		req  *v1.ListLifecycleEventsRequest
		want string
	}{
		{"page size past the limit", &v1.ListLifecycleEventsRequest{Module: "acme/commerce", PageSize: 5000}, "page size 5000 is not between 0 and 1000"},
		{"corrupt page token", &v1.ListLifecycleEventsRequest{Module: "acme/commerce", PageToken: "%%%"}, "page token"},
		{"another list's page token", &v1.ListLifecycleEventsRequest{Module: "acme/commerce", PageToken: "bW9kdWxlczphY21l"}, "belongs to another list"},
	} {
		_, err := reader.ListLifecycleEvents(ctx, connect.NewRequest(tc.req))
		wantCode(t, tc.name, err, connect.CodeInvalidArgument, tc.want)
	}
}
