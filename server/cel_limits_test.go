package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// anonymousReads is registryd with a tokens file and anonymous reads on,
// its default: a caller without a token may CheckPush.
func anonymousReads() *auth.Authenticator {
	tf := &auth.TokensFile{Entries: []auth.Entry{{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}}}}
	return auth.New(tf, auth.Options{AnonymousRead: true})
}

// policyModule returns the quickstart module with policies appended to its
// pbregistry.yaml (their first line is line 10) and extra .proto content.
func policyModule(policies, extraProto string) []*v1.File {
	fs := files("int64", "")
	fs[0].Content = []byte(quickConfig + "policies:\n" + policies)
	if extraProto != "" {
		fs = append(fs, &v1.File{Path: "acme/billing/v1/wide.proto", Content: []byte(extraProto)})
	}
	return fs
}

// wideMessage declares acme.billing.v1.Wide with n string fields.
func wideMessage(n int) string {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Wide {\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  string f%d = %d;\n", i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

// heapBound is what one of these CheckPush calls may allocate in the test
// process, server and client together. The probes took registryd from
// 84 MB to 6 GB.
const heapBound = 256 << 20

// TestCELProbes: an anonymous CheckPush carrying the policies of issue 8's
// probe — one that took registryd from 84 MB to 6 GB, one that kept a CPU
// busy for hours — gets a clear error at once, and allocates little; so
// does a policy whose estimate fits but that exceeds the per-evaluation
// limit on a message larger than the estimate's bounds.
func TestCELProbes(t *testing.T) {
	in := start(t, "", server.Options{Auth: anonymousReads()})
	c := in.client("")
	tests := []struct {
		name     string
		policies string
		proto    string
		want     []string
	}{
		{
			name:     "memory probe",
			policies: "  - {name: PROBE_MEMORY, target: file, expr: 'lists.range(1000000).map(a, lists.range(1000000)).size() > 0'}\n",
			want: []string{"pbregistry.yaml:10:46: policy PROBE_MEMORY: expr: its estimated cost on the largest realistic element, 1000024000024, " +
				"exceeds the limit of 1000000 per evaluation (max_eval_cost): make it cheaper"},
		},
		{
			name:     "CPU probe",
			policies: "  - {name: PROBE_CPU, target: message, expr: 'lists.range(1000000).all(a, lists.range(1000000).all(b, true))'}\n",
			want:     []string{"pbregistry.yaml:10:", "policy PROBE_CPU: expr: its estimated cost", "exceeds the limit of 1000000 per evaluation (max_eval_cost)"},
		},
		{
			name:     "beyond max_eval_cost while evaluated",
			policies: "  - {name: UNIQUE_NAMES, target: message, expr: 'message.fields.all(a, message.fields.all(b, a.number == b.number || a.name != b.name))'}\n",
			proto:    wideMessage(1000),
			want: []string{"invalid policies: pbregistry.yaml:10:5: policy UNIQUE_NAMES: expr on acme.billing.v1.Wide: " +
				"evaluation exceeded the cost limit of 1000000 per evaluation (max_eval_cost): make the expression cheaper"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := connect.NewRequest(&v1.CheckPushRequest{Files: policyModule(tt.policies, tt.proto)})
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := c.CheckPush(context.Background(), req)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			wantCode(t, tt.name, err, connect.CodeInvalidArgument, tt.want...)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: refused in %v, %.1f MiB allocated, heap in use %.1f → %.1f MiB",
				tt.name, elapsed.Round(time.Millisecond), float64(allocated)/(1<<20), float64(before.HeapInuse)/(1<<20), float64(after.HeapInuse)/(1<<20))
			if allocated > heapBound {
				t.Errorf("the call allocated %d MiB, more than the bound of %d MiB", allocated>>20, heapBound>>20)
			}
			// A generous guard, not a performance claim: the probe ran for
			// hours.
			if elapsed > 30*time.Second {
				t.Errorf("refused after %v", elapsed)
			}
		})
	}
}

// rpcLog is a slog.Handler that sends each "rpc" record's procedure and
// code to records.
type rpcLog struct {
	records chan [2]string
}

func (h rpcLog) Enabled(context.Context, slog.Level) bool { return true }

func (h rpcLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "rpc" {
		return nil
	}
	var rec [2]string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "procedure":
			rec[0] = a.Value.String()
		case "code":
			rec[1] = a.Value.String()
		}
		return true
	})
	h.records <- rec
	return nil
}

func (h rpcLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h rpcLog) WithGroup(string) slog.Handler      { return h }

// evaluating reports whether some goroutine of the process is evaluating
// policies.
func evaluating() bool {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Contains(string(buf), "policies.(*evaluation).evalExpr")
}

// TestCELCancelReleasesCPU: when the client of a CheckPush goes away while
// its policies are being evaluated, the evaluation stops and the handler
// returns Canceled: the CPU is released. The push's policies would run
// until they spend max_check_cost — 17 s of CPU, over a minute on a loaded
// 2-core machine — and then fail with InvalidArgument: a server that ignored
// the cancel would log that code, or trip the guard first.
func TestCELCancelReleasesCPU(t *testing.T) {
	records := make(chan [2]string, 16)
	in := start(t, "", server.Options{Auth: anonymousReads(), Logger: slog.New(rpcLog{records: records})})
	// Each evaluation visits every field: within max_eval_cost, but 5,000
	// fields × 5,000 evaluations exceed max_check_cost.
	policy := "  - {name: NO_SHADOW, target: field, expr: '!message.fields.exists(b, b.number > field.number && b.name == field.name + \"_x\")'}\n"
	req := connect.NewRequest(&v1.CheckPushRequest{Files: policyModule(policy, wideMessage(5000))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := in.client("").CheckPush(ctx, req)
		done <- err
	}()
	// Wait until the server is evaluating the policies: poll the goroutine
	// stacks (the call ends long before, with an error, if it never gets
	// there).
	for !evaluating() {
		select {
		case err := <-done:
			t.Fatalf("CheckPush returned before evaluating policies: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancelled := time.Now()
	cancel()
	if err := <-done; connect.CodeOf(err) != connect.CodeCanceled {
		t.Fatalf("client: %v, want Canceled", err)
	}
	for {
		select {
		case rec := <-records:
			if !strings.HasSuffix(rec[0], "/CheckPush") {
				continue
			}
			t.Logf("the server's CheckPush returned %s %v after the client cancelled", rec[1], time.Since(cancelled).Round(time.Millisecond))
			if rec[1] != connect.CodeCanceled.String() {
				t.Fatalf("the server's CheckPush ended with %s, want canceled: it did not stop evaluating when the client left", rec[1])
			}
			if evaluating() {
				t.Error("a goroutine is still evaluating policies after the handler returned")
			}
			return
		case <-time.After(60 * time.Second): // a guard: the policies alone run for many seconds
			t.Fatal("the server's CheckPush did not return after the client cancelled")
		}
	}
}
