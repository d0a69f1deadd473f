package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

// instance is a server listening on a real port.
type instance struct {
	url string
}

// start serves a server over a fresh SQLite store in dir (a new temporary
// directory when ""), on 127.0.0.1, until the test ends.
func start(t *testing.T, dir string, opts server.Options) *instance {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if opts.Store == nil {
		store, err := sqlite.Dir(context.Background(), dir, sqlite.Options{ReadOnly: opts.ReadOnly})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		opts.Store = store
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(opts).Handler()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &instance{url: "http://" + ln.Addr().String()}
}

// h2c is an HTTP client speaking unencrypted HTTP/2, as gRPC clients do.
var h2c = func() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p, TLSClientConfig: &tls.Config{}}}
}()

// client returns a RegistryService client with token (none when "").
func (in *instance) client(token string, opts ...connect.ClientOption) pbregistryv1connect.RegistryServiceClient {
	opts = append(opts, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	})))
	return pbregistryv1connect.NewRegistryServiceClient(h2c, in.url, opts...)
}

const quickConfig = `version: v1
module: acme/commerce
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
  - message: acme.billing.v1.InvoicePaid
    kind: event
`

// files returns the quickstart module with Invoice's amount of type
// amountType and extra fields for Invoice.
func files(amountType, extra string) []*v1.File {
	proto := fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";
message Invoice {
  string id = 1;
  %s amount = 7;
%s}
message InvoicePaid {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
}
`, amountType, extra)
	return []*v1.File{
		{Path: "pbregistry.yaml", Content: []byte(quickConfig)},
		{Path: "acme/billing/v1/invoice.proto", Content: []byte(proto)},
	}
}

func push(t *testing.T, c pbregistryv1connect.RegistryServiceClient, fs []*v1.File) (*v1.PushResponse, error) {
	t.Helper()
	resp, err := c.Push(context.Background(), connect.NewRequest(&v1.PushRequest{Files: fs, Build: &v1.BuildInfo{GitCommit: "abc"}}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func mustPush(t *testing.T, c pbregistryv1connect.RegistryServiceClient, fs []*v1.File) *v1.PushResponse {
	t.Helper()
	resp, err := push(t, c, fs)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return resp
}

// wantCode fails t unless err is a Connect error with code whose message
// contains each of wants.
func wantCode(t *testing.T, what string, err error, code connect.Code, wants ...string) {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Fatalf("%s: err = %v (code %v), want code %v", what, err, connect.CodeOf(err), code)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not say %q", what, err, w)
		}
	}
}

// TestRejection: an incompatible push is FailedPrecondition, with the
// message a person acts on and a PushRejection detail, over each protocol.
func TestRejection(t *testing.T) {
	in := start(t, "", server.Options{})
	protocols := []struct {
		name string
		opts []connect.ClientOption
	}{
		{"connect", nil},
		{"grpc", []connect.ClientOption{connect.WithGRPC()}},
		{"grpc-web", []connect.ClientOption{connect.WithGRPCWeb()}},
		{"connect-json", []connect.ClientOption{connect.WithProtoJSON()}},
	}
	mustPush(t, in.client(""), files("int64", ""))
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			_, err := push(t, in.client("", p.opts...), files("string", ""))
			wantCode(t, "incompatible push", err, connect.CodeFailedPrecondition,
				`push to acme/commerce rejected against version 1: 1 incompatible change`,
				`acme/billing/v1/invoice.proto:6:3: Field 7 "amount" on message "Invoice" changed type from int64 to string; readers at v1 cannot read what this version writes, and this version cannot read what v1 wrote (FIELD_WIRE_JSON_COMPATIBLE_TYPE, FULL_TRANSITIVE)`)
			var ce *connect.Error
			errors.As(err, &ce)
			var rej *v1.PushRejection
			for _, d := range ce.Details() {
				if v, err := d.Value(); err == nil {
					rej, _ = v.(*v1.PushRejection)
				}
			}
			if rej == nil || rej.Module != "acme/commerce" || rej.BaselineVersion != 1 || !strings.HasPrefix(rej.Digest, "sha256:") || len(rej.Findings) != 1 {
				t.Fatalf("PushRejection detail = %v", rej)
			}
			f := rej.Findings[0]
			if f.Rule != "FIELD_WIRE_JSON_COMPATIBLE_TYPE" || f.Subject != "acme.billing.v1.Invoice" || f.Level != "FULL_TRANSITIVE" ||
				f.Direction != v1.Direction_DIRECTION_FULL || f.Severity != v1.Severity_SEVERITY_ERROR || f.StartLine != 6 || f.Element != "acme.billing.v1.Invoice.amount" {
				t.Errorf("finding = %v", f)
			}
		})
	}
	// CheckPush gives the same verdict without an error.
	resp, err := in.client("").CheckPush(context.Background(), connect.NewRequest(&v1.CheckPushRequest{Files: files("string", "")}))
	if err != nil || resp.Msg.Accepted || resp.Msg.BaselineVersion != 1 || len(resp.Msg.Findings) != 1 {
		t.Fatalf("CheckPush = %v, %v", resp, err)
	}
	m, err := in.client("").GetModule(context.Background(), connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce"}))
	if err != nil || m.Msg.Module.LatestVersion != 1 {
		t.Errorf("after the rejections the latest version is %v, %v", m, err)
	}
}

// TestIdempotentPush: the same content twice is the same version.
func TestIdempotentPush(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	first := mustPush(t, c, files("int64", ""))
	again := mustPush(t, c, files("int64", ""))
	if !first.Created || again.Created || again.Version.Number != 1 || again.Version.Digest != first.Version.Digest {
		t.Fatalf("first %v, again %v", first, again)
	}
	next := mustPush(t, c, files("int64", "  string note = 8;\n"))
	if !next.Created || next.Version.Number != 2 || next.Version.PushedBy != auth.Anonymous || next.Version.Build.GitCommit != "abc" {
		t.Errorf("compatible push = %v", next)
	}
	check, err := c.CheckPush(context.Background(), connect.NewRequest(&v1.CheckPushRequest{Files: files("int64", "")}))
	if err != nil || check.Msg.ExistingVersion != 1 || !check.Msg.Accepted {
		t.Errorf("CheckPush of version 1's content = %v, %v", check, err)
	}
}

// TestLimits: each input limit refuses the push with InvalidArgument and
// says which limit; the request size limit with ResourceExhausted.
func TestLimits(t *testing.T) {
	cfg := &server.Config{Limits: server.LimitsConfig{MaxRequestBytes: 8000, Limits: registry.Limits{MaxFiles: 3, MaxFileBytes: 2000, MaxTotalBytes: 3000, MaxPathBytes: 60}}}
	in := start(t, "", server.Options{Config: cfg})
	c := in.client("")
	big := func(n int) []byte { return []byte("syntax = \"proto3\";\n" + strings.Repeat("// padding\n", n/11)) }
	base := files("int64", "")
	tests := []struct {
		name  string
		files []*v1.File
		code  connect.Code
		want  string
	}{
		{"too many files", append(base, &v1.File{Path: "a.proto", Content: big(10)}, &v1.File{Path: "b.proto", Content: big(10)}), connect.CodeInvalidArgument, "the push has 4 files, more than the limit of 3"},
		{"file too big", append(base, &v1.File{Path: "a.proto", Content: big(2500)}), connect.CodeInvalidArgument, "file a.proto is 2"},
		{"total too big", append(base, &v1.File{Path: "a.proto", Content: big(1900)}, &v1.File{Path: "b.proto", Content: big(1900)})[1:], connect.CodeInvalidArgument, "exceed 3000 bytes in total"},
		{"path too long", append(base, &v1.File{Path: strings.Repeat("a", 70) + ".proto", Content: big(10)}), connect.CodeInvalidArgument, "more than the limit of 60"},
		{"dot-dot", append(base, &v1.File{Path: "../etc/x.proto", Content: big(10)}), connect.CodeInvalidArgument, "not clean"},
		{"absolute", append(base, &v1.File{Path: "/etc/x.proto", Content: big(10)}), connect.CodeInvalidArgument, "is absolute"},
		{"not UTF-8", nil, connect.CodeInvalidArgument, "invalid UTF-8"},
		{"not a schema file", append(base, &v1.File{Path: "run.sh", Content: big(10)}), connect.CodeInvalidArgument, "neither a .proto file"},
		{"no files", nil, connect.CodeInvalidArgument, "the push has no files"},
		{"request too big", append(base, &v1.File{Path: "a.proto", Content: make([]byte, 9000)}), connect.CodeResourceExhausted, "larger than configured max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Connect JSON for the non-UTF-8 path: protobuf refuses to
			// encode invalid UTF-8 strings, so send it as raw bytes.
			_, err := push(t, c, tt.files)
			if tt.name == "not UTF-8" {
				err = pushRawNonUTF8(t, in.url)
			}
			wantCode(t, tt.name, err, tt.code, tt.want)
		})
	}
}

// pushRawNonUTF8 pushes, over the Connect protocol with a hand-encoded
// protobuf body, a file whose path is not UTF-8, which the Go protobuf
// encoder refuses to produce.
func pushRawNonUTF8(t *testing.T, url string) error {
	t.Helper()
	path := []byte("a\xff.proto")
	content := []byte("x")
	file := append([]byte{0x0a, byte(len(path))}, path...)
	file = append(file, 0x12, byte(len(content)))
	file = append(file, content...)
	body := append([]byte{0x12, byte(len(file))}, file...)
	req, _ := http.NewRequest("POST", url+pbregistryv1connect.RegistryServicePushProcedure, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/proto")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		return nil
	}
	code := connect.CodeInvalidArgument
	if resp.StatusCode != 400 {
		code = connect.CodeInternal
	}
	return connect.NewError(code, errors.New(string(msg)))
}

// TestTokenScopes: read, push:<glob> and admin tokens, anonymous reads on
// and off; the pusher is recorded.
func TestTokenScopes(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
		{Name: "other-ci", SHA256: auth.Hash("o"), Scopes: []auth.Scope{auth.PushScope("other/*")}},
		{Name: "root", SHA256: auth.Hash("a"), Scopes: []auth.Scope{auth.ScopeAdmin}},
	}}
	for _, anonRead := range []bool{true, false} {
		t.Run(fmt.Sprintf("anonymous read %v", anonRead), func(t *testing.T) {
			in := start(t, "", server.Options{Auth: auth.New(tf, auth.Options{AnonymousRead: anonRead})})
			ctx := context.Background()
			_, err := push(t, in.client(""), files("int64", ""))
			wantCode(t, "anonymous push", err, connect.CodeUnauthenticated, "token")
			_, err = push(t, in.client("r"), files("int64", ""))
			wantCode(t, "reader push", err, connect.CodePermissionDenied, "needs scope push:acme/commerce", `"reader" has scopes read`)
			_, err = push(t, in.client("o"), files("int64", ""))
			wantCode(t, "push outside the glob", err, connect.CodePermissionDenied, "push:acme/commerce")
			_, err = push(t, in.client("wrong"), files("int64", ""))
			wantCode(t, "unknown token", err, connect.CodeUnauthenticated, "not in this registry's tokens file")
			resp := mustPush(t, in.client("c"), files("int64", ""))
			if resp.Version.PushedBy != "ci" {
				t.Errorf("pushed by %q, want ci", resp.Version.PushedBy)
			}
			_, err = in.client("").ListModules(ctx, connect.NewRequest(&v1.ListModulesRequest{}))
			if anonRead && err != nil {
				t.Errorf("anonymous read: %v", err)
			} else if !anonRead {
				wantCode(t, "anonymous read", err, connect.CodeUnauthenticated, "needs a token")
			}
			for _, tok := range []string{"r", "c", "a"} {
				if _, err := in.client(tok).ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: "acme/commerce"})); err != nil {
					t.Errorf("read with %s: %v", tok, err)
				}
			}
			setReq := &v1.SetSubjectConfigRequest{Module: "acme/commerce", Message: "acme.billing.v1.Invoice",
				Compatibility: &v1.Compatibility{Level: v1.CompatibilityLevel_COMPATIBILITY_LEVEL_FULL}}
			_, err = in.client("c").SetSubjectConfig(ctx, connect.NewRequest(setReq))
			wantCode(t, "override by a pusher", err, connect.CodePermissionDenied, "needs scope admin")
			sub, err := in.client("a").SetSubjectConfig(ctx, connect.NewRequest(setReq))
			if err != nil || sub.Msg.Subject.OverrideBy != "root" || sub.Msg.Subject.Compatibility.Level != v1.CompatibilityLevel_COMPATIBILITY_LEVEL_FULL {
				t.Errorf("override by admin = %v, %v", sub, err)
			}
			// Download needs read too.
			req, _ := http.NewRequest("GET", in.url+"/modules/acme/commerce/versions/1/image.binpb", nil)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if want := map[bool]int{true: 200, false: 401}[anonRead]; r.StatusCode != want {
				t.Errorf("anonymous download: status %d, want %d", r.StatusCode, want)
			}
		})
	}
}

// TestExceptionFlow: a rejected push, an admin's exception for its digest,
// then the same push accepted.
func TestExceptionFlow(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	ctx := context.Background()
	mustPush(t, c, files("int64", ""))
	_, err := push(t, c, files("string", ""))
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatal(err)
	}
	v, _ := ce.Details()[0].Value()
	rej := v.(*v1.PushRejection)
	_, err = c.ApproveException(ctx, connect.NewRequest(&v1.ApproveExceptionRequest{Module: "acme/commerce", Digest: rej.Digest,
		Rule: rej.Findings[0].Rule, Element: rej.Findings[0].Element}))
	wantCode(t, "exception without reason", err, connect.CodeInvalidArgument, "no reason")
	exc, err := c.ApproveException(ctx, connect.NewRequest(&v1.ApproveExceptionRequest{Module: "acme/commerce", Digest: rej.Digest,
		Rule: rej.Findings[0].Rule, Element: rej.Findings[0].Element, Reason: "never written in production"}))
	if err != nil {
		t.Fatal(err)
	}
	resp := mustPush(t, c, files("string", ""))
	if resp.Version.Number != 2 || len(resp.Findings) != 1 || resp.Findings[0].ExceptionId != exc.Msg.Exception.Id {
		t.Errorf("push with an exception = %v", resp)
	}
	list, err := c.ListExceptions(ctx, connect.NewRequest(&v1.ListExceptionsRequest{Module: "acme/commerce"}))
	if err != nil || len(list.Msg.Exceptions) != 1 || list.Msg.Exceptions[0].UsedByVersion != 2 {
		t.Errorf("exceptions = %v, %v", list, err)
	}
}

// TestReads: every read RPC, not-found and invalid requests, downloads,
// /healthz, /metrics, gRPC health.
func TestReads(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	ctx := context.Background()
	mustPush(t, c, files("int64", ""))
	mustPush(t, c, files("int64", "  string note = 8;\n"))

	mod, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce", Version: 1, IncludeFiles: true}))
	if err != nil || mod.Msg.Version.Number != 1 || mod.Msg.Module.LatestVersion != 2 || len(mod.Msg.Files) != 2 {
		t.Errorf("GetModule = %v, %v", mod, err)
	}
	vers, err := c.ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: "acme/commerce", PageSize: 1}))
	if err != nil || len(vers.Msg.Versions) != 1 || vers.Msg.Versions[0].Number != 2 || vers.Msg.NextPageToken == "" {
		t.Errorf("ListVersions = %v, %v", vers, err)
	}
	subs, err := c.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: "acme/commerce"}))
	if err != nil || len(subs.Msg.Subjects) != 2 || subs.Msg.Subjects[0].Kind != v1.SubjectKind_SUBJECT_KIND_PBTABLE ||
		subs.Msg.Subjects[0].Compatibility.Level != v1.CompatibilityLevel_COMPATIBILITY_LEVEL_FULL_TRANSITIVE {
		t.Errorf("ListSubjects = %v, %v", subs, err)
	}
	sub, err := c.GetSubject(ctx, connect.NewRequest(&v1.GetSubjectRequest{Module: "acme/commerce", Message: "acme.billing.v1.InvoicePaid"}))
	if err != nil || sub.Msg.Subject.Compatibility.Use[0] != "WIRE" {
		t.Errorf("GetSubject = %v, %v", sub, err)
	}
	ds, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce"}))
	if err != nil || ds.Msg.Version.Number != 2 || len(ds.Msg.FileDescriptorSet) == 0 {
		t.Errorf("GetDescriptorSet = %v, %v", ds, err)
	}
	diff, err := c.Diff(ctx, connect.NewRequest(&v1.DiffRequest{Module: "acme/commerce", From: 1}))
	if err != nil || len(diff.Msg.Changes) != 1 || diff.Msg.Changes[0].Kind != "added" || len(diff.Msg.Findings) != 0 {
		t.Errorf("Diff = %v, %v", diff, err)
	}
	back, err := c.Diff(ctx, connect.NewRequest(&v1.DiffRequest{Module: "acme/commerce", From: 2, To: 1}))
	if err != nil || len(back.Msg.Findings) == 0 || back.Msg.Changes[0].Kind != "removed" {
		t.Errorf("Diff back = %v, %v", back, err)
	}

	_, err = c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/nothing"}))
	wantCode(t, "missing module", err, connect.CodeNotFound, "acme/nothing")
	_, err = c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce", Version: 9}))
	wantCode(t, "missing version", err, connect.CodeNotFound)
	_, err = c.ListModules(ctx, connect.NewRequest(&v1.ListModulesRequest{PageToken: "garbage!"}))
	wantCode(t, "bad page token", err, connect.CodeInvalidArgument, "page token")
	_, err = c.Diff(ctx, connect.NewRequest(&v1.DiffRequest{Module: "acme/commerce"}))
	wantCode(t, "diff from 0", err, connect.CodeInvalidArgument, "name the older version")

	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/healthz", 200, "ok (read-write)"},
		{"/metrics", 200, `pbregistry_push_duration_seconds_count{dry_run="false",outcome="accepted"} 2`},
		{"/metrics", 200, `pbregistry_rpc_requests_total{procedure="/pbregistry.v1.RegistryService/GetModule",code="not_found"} 1`},
		{"/modules/acme/commerce/versions/latest/image.binpb", 200, ""},
		{"/modules/acme/commerce/versions/7/image.binpb", 404, "not found"},
		{"/modules/acme/commerce/versions/x/image.binpb", 400, "not a version number"},
		{"/modules/acme/commerce/image.binpb", 404, "download images at"},
	} {
		resp, err := http.Get(in.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d %.300q, want %d containing %q", tc.path, resp.StatusCode, body, tc.code, tc.want)
		}
		if tc.code == 200 && strings.HasSuffix(tc.path, ".binpb") && string(body) != string(ds.Msg.FileDescriptorSet) {
			t.Errorf("GET %s is not the descriptor set", tc.path)
		}
	}
	health, err := grpchealth.NewClient(h2c, in.url, connect.WithGRPC()).Check(ctx, &grpchealth.CheckRequest{Service: pbregistryv1connect.RegistryServiceName})
	if err != nil || health.Status != grpchealth.StatusServing {
		t.Errorf("gRPC health = %v, %v", health, err)
	}
}

// TestReadOnly: a read-only server over the same data serves reads and
// CheckPush, and refuses writes naming the primary.
func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	primary := start(t, dir, server.Options{})
	mustPush(t, primary.client(""), files("int64", ""))
	replica := start(t, dir, server.Options{ReadOnly: true})
	c := replica.client("")
	ctx := context.Background()
	_, err := push(t, c, files("int64", "  string note = 8;\n"))
	wantCode(t, "push to a read-only server", err, connect.CodeFailedPrecondition, "read-only", "push to the primary")
	_, err = c.SetSubjectConfig(ctx, connect.NewRequest(&v1.SetSubjectConfigRequest{Module: "acme/commerce", Message: "acme.billing.v1.Invoice"}))
	wantCode(t, "override on a read-only server", err, connect.CodeFailedPrecondition, "read-only")
	_, err = c.ApproveException(ctx, connect.NewRequest(&v1.ApproveExceptionRequest{Module: "acme/commerce"}))
	wantCode(t, "exception on a read-only server", err, connect.CodeFailedPrecondition, "read-only")
	check, err := c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Files: files("string", "")}))
	if err != nil || check.Msg.Accepted {
		t.Errorf("CheckPush on a read-only server = %v, %v", check, err)
	}
	// A push the primary accepts shows on the replica at once.
	mustPush(t, primary.client(""), files("int64", "  string note = 8;\n"))
	mod, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce"}))
	if err != nil || mod.Msg.Module.LatestVersion != 2 {
		t.Errorf("replica's GetModule = %v, %v", mod, err)
	}
	resp, err := http.Get(replica.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "read-only") {
		t.Errorf("replica /healthz = %q", body)
	}
}

// TestGracefulShutdown: Serve returns once its context is done.
func TestGracefulShutdown(t *testing.T) {
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, server.New(server.Options{Store: store}).Handler()) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
}

func TestParseConfig(t *testing.T) {
	c, err := server.ParseConfig("registryd.yaml", []byte("anonymous_read: false\nlimits:\n  max_files: 10\n"))
	if err != nil || c.AnonymousRead == nil || *c.AnonymousRead || c.Limits.PushLimits().MaxFiles != 10 || c.Limits.PushLimits().MaxFileBytes == 0 {
		t.Fatalf("ParseConfig = %+v, %v", c, err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"anonymous_reads: true\n", "line 1: field anonymous_reads not found"},
		{"limits:\n  max_files: -1\n", "limits.max_files is -1"},
		{"limits: [\n", "registryd.yaml"},
	} {
		if _, err := server.ParseConfig("registryd.yaml", []byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseConfig(%q) = %v, want an error saying %q", bad.yaml, err, bad.want)
		}
	}
}

// TestServerPolicies: registryd's policies: apply to every push, over the
// API, with the policy violation as a structured finding.
func TestServerPolicies(t *testing.T) {
	cfg, err := server.ParseConfig("registryd.yaml", []byte(`policies:
  - name: NO_FLOATS
    target: field
    expr: field.type != "float"
    message: amounts are never floats
`))
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, "", server.Options{Config: cfg}).client("")
	mustPush(t, c, files("int64", ""))
	_, err = push(t, c, files("int64", "  float rate = 8;\n"))
	wantCode(t, "push with a float", err, connect.CodeFailedPrecondition,
		"acme/billing/v1/invoice.proto:7:3: amounts are never floats. (NO_FLOATS, policy)")

	if _, err := server.ParseConfig("registryd.yaml", []byte("policies:\n  - name: BAD\n    target: field\n    expr: fild.type != 1\n")); err == nil ||
		!strings.Contains(err.Error(), "registryd.yaml:4:11: policy BAD: expr: CEL error") {
		t.Errorf("ParseConfig with a CEL error: %v", err)
	}
}
