package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// getMetrics GETs /metrics with token (none when "") and returns the
// status and body.
func getMetrics(t *testing.T, in *instance, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, in.url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestMetricsAuth: /metrics is a read like any other: without
// anonymous_read it needs a token with a reading scope or scope metrics,
// which reads nothing else.
func TestMetricsAuth(t *testing.T) {
	tf := &auth.TokensFile{Entries: []auth.Entry{
		{Name: "reader", SHA256: auth.Hash("r"), Scopes: []auth.Scope{auth.ScopeRead}},
		{Name: "ci", SHA256: auth.Hash("c"), Scopes: []auth.Scope{auth.PushScope("acme/*")}},
		{Name: "prometheus", SHA256: auth.Hash("m"), Scopes: []auth.Scope{auth.ScopeMetrics}},
	}}
	for _, anon := range []bool{false, true} {
		in := start(t, "", server.Options{Auth: auth.New(tf, auth.Options{AnonymousRead: anon})})
		for _, tc := range []struct {
			token  string
			status int
			want   string
		}{
			{"", map[bool]int{false: http.StatusUnauthorized, true: http.StatusOK}[anon], map[bool]string{false: "needs a token", true: "pbregistry_rpc_requests_total"}[anon]},
			{"wrong", http.StatusUnauthorized, "not in this registry's tokens file"},
			{"r", http.StatusOK, "# TYPE pbregistry_rpc_requests_total counter"},
			{"c", http.StatusOK, "# TYPE pbregistry_rpc_requests_total counter"},
			{"m", http.StatusOK, "# TYPE pbregistry_rpc_requests_total counter"},
		} {
			if status, body := getMetrics(t, in, tc.token); status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("anonymous_read %v, token %q: GET /metrics = %d %.200s, want %d saying %q", anon, tc.token, status, body, tc.status, tc.want)
			}
		}
		// Scope metrics reads nothing but /metrics.
		_, err := in.client("m").ListModules(context.Background(), connect.NewRequest(&v1.ListModulesRequest{}))
		wantCode(t, "ListModules with scope metrics", err, connect.CodePermissionDenied)
	}
	if _, err := auth.ParseScope("metrics"); err != nil {
		t.Errorf("ParseScope(metrics): %v", err)
	}
}

// policyName returns a random policy name of n bytes.
func policyName(r *rand.Rand, n int) string {
	b := []byte("P_")
	for len(b) < n {
		b = append(b, byte('A'+r.IntN(26)))
	}
	return string(b)
}

// labelValue matches one label of an exposed series.
var labelValue = regexp.MustCompile(`([a-z_]+)="((?:[^"\\]|\\.)*)"`)

// TestMetricsBounded is probe 4 of issue 8: 100 CheckPush requests, each
// with 50 warning policies of random names in its pbregistry.yaml (the
// probe's 2 KB names are refused now, by max_policy_name_length, so the
// names are as long as that limit allows: 5,000 distinct rule values, five
// times the series cap),
// and pushes refused for modules that do not exist, leave /metrics under
// 24 KiB (it was 31 MB): policy names outside the catalog, the built-in
// and the server's policies count as rule "other", modules that do not
// exist as module "other".
func TestMetricsBounded(t *testing.T) {
	const (
		requests   = 100
		perRequest = 50
		nameBytes  = 64
		bound      = 24 << 10
	)
	cfg, err := server.ParseConfig("registryd.yaml", []byte(`policies:
  - name: SERVER_WARNING
    target: file
    severity: warning
    expr: "false"
`))
	if err != nil {
		t.Fatal(err)
	}
	in := start(t, "", server.Options{Config: cfg})
	c := in.client("")
	ctx := context.Background()
	mustPush(t, c, files("int64", ""))

	// The module's own policies, with random names.
	withPolicies := func(r *rand.Rand, module, severity string, n int) []*v1.File {
		fs := files("int64", "")
		var y strings.Builder
		y.WriteString(strings.Replace(quickConfig, "acme/commerce", module, 1) + "policies:\n")
		for range n {
			fmt.Fprintf(&y, "  - name: %s\n    target: file\n    severity: %s\n    expr: \"false\"\n", policyName(r, nameBytes), severity)
		}
		fs[0].Content = []byte(y.String())
		return fs
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := range 4 {
		r := rand.New(rand.NewPCG(uint64(w), 1))
		wg.Go(func() {
			for range work {
				resp, err := c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Files: withPolicies(r, "acme/commerce", "warning", perRequest)}))
				if err != nil {
					t.Error(err)
					continue
				}
				if !resp.Msg.Accepted || len(resp.Msg.Findings) != perRequest+1 {
					t.Errorf("CheckPush with %d warning policies: accepted %v, %d findings, want accepted with %d", perRequest, resp.Msg.Accepted, len(resp.Msg.Findings), perRequest+1)
				}
			}
		})
	}
	for i := range requests {
		work <- i
	}
	close(work)
	wg.Wait()

	// Refused pushes: to a module that exists, and to 20 that do not
	// (an error policy of their own refuses them).
	_, err = push(t, c, files("string", ""))
	wantCode(t, "incompatible push", err, connect.CodeFailedPrecondition)
	r := rand.New(rand.NewPCG(99, 1))
	for i := range 20 {
		_, err := push(t, c, withPolicies(r, fmt.Sprintf("acme/m%d%s", i, strings.Repeat("x", 100)), "error", 1))
		wantCode(t, "push refused by its own policy", err, connect.CodeFailedPrecondition)
	}

	_, body := getMetrics(t, in, "")
	t.Logf("/metrics: %d bytes after %d CheckPush requests with %d policies of %d-byte names (bound %d)", len(body), requests, perRequest, nameBytes, bound)
	if len(body) > bound {
		t.Errorf("/metrics is %d bytes, over the bound of %d", len(body), bound)
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, m := range labelValue.FindAllStringSubmatch(line, -1) {
			if len(m[2]) > 64 {
				t.Errorf("label %s has a value of %d bytes: %.100s…", m[1], len(m[2]), m[2])
			}
			if m[1] == "module" && m[2] != "acme/commerce" && m[2] != server.OtherLabel {
				t.Errorf("label module=%q: not a module that exists", m[2])
			}
		}
	}
	for series, want := range map[string]float64{
		`pbregistry_check_findings_total{rule="other",blocking="false"}`:          requests * perRequest,
		`pbregistry_check_findings_total{rule="SERVER_WARNING",blocking="false"}`: requests + 22, // and the first push, the incompatible one, the 20 refused
		`pbregistry_push_rejections_total{module="acme/commerce"}`:                1,
		`pbregistry_push_rejections_total{module="other"}`:                        20,
		`pbregistry_check_findings_total{rule="other",blocking="true"}`:           20,
	} {
		if got := metricValue(t, in, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}
