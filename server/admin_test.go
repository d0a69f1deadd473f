package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// TestApproveExceptionScopes: only an admin token approves exceptions;
// a token without admin scope is PermissionDenied, the anonymous caller
// is Unauthenticated, and neither leaves an exception behind.
func TestApproveExceptionScopes(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
		{Name: "root", SHA256: auth.Hash("a"), Scopes: []auth.Scope{auth.ScopeAdmin}},
	}}
	for _, anonRead := range []bool{true, false} {
		t.Run(fmt.Sprintf("anonymous read %v", anonRead), func(t *testing.T) {
			in := start(t, "", server.Options{Auth: auth.New(tf, auth.Options{AnonymousRead: anonRead})})
			ctx := context.Background()
			mustPush(t, in.client("c"), files("int64", ""))
			_, err := push(t, in.client("c"), files("string", ""))
			var ce *connect.Error
			if !errors.As(err, &ce) || len(ce.Details()) == 0 {
				t.Fatalf("incompatible push: %v", err)
			}
			v, err := ce.Details()[0].Value()
			if err != nil {
				t.Fatal(err)
			}
			rej := v.(*v1.PushRejection)
			req := &v1.ApproveExceptionRequest{Module: "acme/commerce", Digest: rej.Digest,
				Rule: rej.Findings[0].Rule, Element: rej.Findings[0].Element, Reason: "never written in production"}

			anonWant := "approving an exception needs a token with scope admin"
			if !anonRead {
				anonWant = "this registry needs a token"
			}
			for _, tc := range []struct {
				name, token string
				code        connect.Code
				want        []string
			}{
				{"anonymous", "", connect.CodeUnauthenticated, []string{anonWant}},
				{"unknown token", "wrong", connect.CodeUnauthenticated, []string{"not in this registry's tokens file"}},
				{"read token", "r", connect.CodePermissionDenied, []string{"approving an exception needs scope admin", `"reader" has scopes read`}},
				{"push token", "c", connect.CodePermissionDenied, []string{"approving an exception needs scope admin", `"ci" has scopes push:acme/*`}},
			} {
				_, err := in.client(tc.token).ApproveException(ctx, connect.NewRequest(req))
				wantCode(t, tc.name, err, tc.code, tc.want...)
			}
			list, err := in.client("a").ListExceptions(ctx, connect.NewRequest(&v1.ListExceptionsRequest{Module: "acme/commerce"}))
			if err != nil || len(list.Msg.Exceptions) != 0 {
				t.Fatalf("exceptions after the denied approvals = %v, %v", list, err)
			}

			// The admin's approval is recorded with the admin's name and
			// lets the push through.
			exc, err := in.client("a").ApproveException(ctx, connect.NewRequest(req))
			if err != nil || exc.Msg.Exception.ApprovedBy != "root" || exc.Msg.Exception.Id == 0 {
				t.Fatalf("approval by admin = %v, %v", exc, err)
			}
			_, err = in.client("a").ApproveException(ctx, connect.NewRequest(req))
			wantCode(t, "the same approval again", err, connect.CodeAlreadyExists)
			// The store checks the request's shape, not that a push with
			// that digest had that finding: an admin may approve ahead.
			bogus := &v1.ApproveExceptionRequest{Module: "acme/commerce", Digest: "sha256:" + fmt.Sprintf("%064x", 1),
				Rule: "NO_SUCH_RULE", Element: "acme.nothing", Reason: "ahead of the push"}
			if _, err := in.client("a").ApproveException(ctx, connect.NewRequest(bogus)); err != nil {
				t.Errorf("approval of a finding no push had: %v", err)
			}
			bogus.Digest = "sha256:nothex"
			_, err = in.client("a").ApproveException(ctx, connect.NewRequest(bogus))
			wantCode(t, "approval with a malformed digest", err, connect.CodeInvalidArgument, "64 lowercase hex digits")

			resp := mustPush(t, in.client("c"), files("string", ""))
			if resp.Version.Number != 2 || len(resp.Findings) != 1 || resp.Findings[0].ExceptionId != exc.Msg.Exception.Id {
				t.Errorf("push with the admin's exception = %v", resp)
			}
		})
	}
}
