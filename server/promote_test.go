package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// promote calls PromoteVersion.
func promote(c interface {
	PromoteVersion(context.Context, *connect.Request[v1.PromoteVersionRequest]) (*connect.Response[v1.PromoteVersionResponse], error)
}, module string, version int64, reason string) (*v1.PromoteVersionResponse, error) {
	resp, err := c.PromoteVersion(context.Background(), connect.NewRequest(&v1.PromoteVersionRequest{Module: module, Version: version, Reason: reason}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// TestPromoteVersion: a rollback over HTTP makes a new version recording
// what it promotes, who and why; a retry makes none; a push of an older
// version's content says how to roll back; a promotion that breaks the
// latest version is rejected like a push, with a PushRejection detail.
func TestPromoteVersion(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	ctx := context.Background()
	v1Resp := mustPush(t, c, files("int64", ""))
	mustPush(t, c, files("int64", "  // in cents\n"))

	resp, err := promote(c, "acme/commerce", 1, "v2 broke the billing job")
	if err != nil {
		t.Fatal(err)
	}
	if v := resp.Version; !resp.Created || v.Number != 3 || v.PromotedFrom != 1 || v.PromoteReason != "v2 broke the billing job" ||
		v.Digest != v1Resp.Version.Digest || resp.BaselineVersion != 2 {
		t.Errorf("promotion = %v, want version 3 promoted from 1 with version 1's digest, created, against 2", resp)
	}
	again, err := promote(c, "acme/commerce", 1, "v2 broke the billing job")
	if err != nil || again.Created || again.Version.Number != 3 {
		t.Errorf("retried promotion = %v, %v; want version 3, not created", again, err)
	}
	list, err := c.ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: "acme/commerce"}))
	if err != nil || len(list.Msg.Versions) != 3 || list.Msg.Versions[0].PromotedFrom != 1 || list.Msg.Versions[1].PromotedFrom != 0 {
		t.Errorf("versions = %v, %v; want 3, the newest promoted from 1", list, err)
	}

	old := mustPush(t, c, files("int64", "  // in cents\n"))
	if old.Created || old.Version.Number != 2 ||
		old.Notice != "this content is version 2; latest stays 3: to roll back run `pbcheck registry promote acme/commerce@2`" {
		t.Errorf("push of version 2's content = %v; want version 2, not created, with a notice", old)
	}
	if latest := mustPush(t, c, files("int64", "")); latest.Created || latest.Version.Number != 3 || latest.Notice != "" {
		t.Errorf("push of the latest content = %v; want version 3, no notice", latest)
	}

	mustPush(t, c, files("int64", "  string note = 8;\n"))
	_, err = promote(c, "acme/commerce", 1, "")
	wantCode(t, "promotion deleting a field", err, connect.CodeFailedPrecondition, "rejected against version 4", "note")
	var ce *connect.Error
	errors.As(err, &ce)
	var rej *v1.PushRejection
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			rej, _ = v.(*v1.PushRejection)
		}
	}
	if rej == nil || rej.BaselineVersion != 4 || rej.Digest != v1Resp.Version.Digest || len(rej.Findings) == 0 {
		t.Errorf("PushRejection detail = %v", rej)
	}

	_, err = promote(c, "acme/commerce", 9, "")
	wantCode(t, "unknown version", err, connect.CodeNotFound, "acme/commerce@9")
	_, err = promote(c, "acme/commerce", 0, "")
	wantCode(t, "version 0", err, connect.CodeInvalidArgument, "version")
	_, err = promote(c, "acme/commerce", 1, strings.Repeat("x", 5000))
	wantCode(t, "long reason", err, connect.CodeInvalidArgument, "reason")
}

// TestPromoteVersionScopes: promoting needs the module's push scope.
func TestPromoteVersionScopes(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
		{Name: "other-ci", SHA256: auth.Hash("o"), Scopes: []auth.Scope{auth.PushScope("other/*")}},
	}}
	in := start(t, "", server.Options{Auth: auth.New(tf, auth.Options{AnonymousRead: true})})
	mustPush(t, in.client("c"), files("int64", ""))
	mustPush(t, in.client("c"), files("int64", "  // in cents\n"))
	_, err := promote(in.client(""), "acme/commerce", 1, "")
	wantCode(t, "anonymous promotion", err, connect.CodeUnauthenticated, "token")
	_, err = promote(in.client("r"), "acme/commerce", 1, "")
	wantCode(t, "promotion by a reader", err, connect.CodePermissionDenied, "needs scope push:acme/commerce")
	_, err = promote(in.client("o"), "acme/commerce", 1, "")
	wantCode(t, "promotion outside the glob", err, connect.CodePermissionDenied, "push:acme/commerce")
	resp, err := promote(in.client("c"), "acme/commerce", 1, "")
	if err != nil || !resp.Created || resp.Version.PushedBy != "ci" {
		t.Errorf("promotion by ci = %v, %v; want a new version pushed by ci", resp, err)
	}
}

// TestPromoteVersionReadOnly: a read-only server refuses promotions.
func TestPromoteVersionReadOnly(t *testing.T) {
	dir := t.TempDir()
	primary := start(t, dir, server.Options{})
	mustPush(t, primary.client(""), files("int64", ""))
	mustPush(t, primary.client(""), files("int64", "  // in cents\n"))
	replica := start(t, dir, server.Options{ReadOnly: true})
	_, err := promote(replica.client(""), "acme/commerce", 1, "")
	wantCode(t, "promotion on a read-only server", err, connect.CodeFailedPrecondition, "read-only")
}
