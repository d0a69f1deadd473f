package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// metricValue returns the value of the series (name and label set exactly
// as exposed, e.g. `x_total{module="a"}`) in the server's /metrics, 0 when
// the series is absent.
func metricValue(t *testing.T, in *instance, series string) float64 {
	t.Helper()
	resp, err := http.Get(in.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		v, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		return f
	}
	return 0
}

// TestPushMetrics: pbregistry_check_findings_total counts the findings of
// every checked push (Push and CheckPush) by rule and whether they block;
// pbregistry_push_rejections_total counts refused Pushes, not CheckPushes,
// by module.
func TestPushMetrics(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	ctx := context.Background()
	const (
		blocking    = `pbregistry_check_findings_total{rule="FIELD_WIRE_JSON_COMPATIBLE_TYPE",blocking="true"}`
		nonBlocking = `pbregistry_check_findings_total{rule="FIELD_WIRE_JSON_COMPATIBLE_TYPE",blocking="false"}`
		rejections  = `pbregistry_push_rejections_total{module="acme/commerce"}`
		otherModule = `pbregistry_push_rejections_total{module="acme/other"}`
	)
	type want struct{ blocking, nonBlocking, rejections float64 }
	check := func(step string, w want) {
		t.Helper()
		for _, s := range []struct {
			series string
			want   float64
		}{
			{blocking, w.blocking},
			{nonBlocking, w.nonBlocking},
			{rejections, w.rejections},
			{otherModule, 0},
		} {
			if got := metricValue(t, in, s.series); got != s.want {
				t.Errorf("after %s: %s = %v, want %v", step, s.series, got, s.want)
			}
		}
	}

	mustPush(t, c, files("int64", ""))
	check("an accepted first push", want{})

	var digest string
	for i := 1; i <= 2; i++ {
		_, err := push(t, c, files("string", ""))
		wantCode(t, "incompatible push", err, connect.CodeFailedPrecondition)
		var ce *connect.Error
		if !errors.As(err, &ce) || len(ce.Details()) == 0 {
			t.Fatalf("rejection without details: %v", err)
		}
		v, err := ce.Details()[0].Value()
		if err != nil {
			t.Fatal(err)
		}
		digest = v.(*v1.PushRejection).Digest
	}
	check("two rejected pushes", want{blocking: 2, rejections: 2})

	// CheckPush counts its findings but is no rejection.
	resp, err := c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Files: files("string", "")}))
	if err != nil || resp.Msg.Accepted {
		t.Fatalf("CheckPush = %v, %v", resp, err)
	}
	check("a refused CheckPush", want{blocking: 3, rejections: 2})

	// With an exception the finding no longer blocks, and the push is
	// accepted.
	if _, err := c.ApproveException(ctx, connect.NewRequest(&v1.ApproveExceptionRequest{Module: "acme/commerce", Digest: digest,
		Rule: "FIELD_WIRE_JSON_COMPATIBLE_TYPE", Element: "acme.billing.v1.Invoice.amount", Reason: "test"})); err != nil {
		t.Fatal(err)
	}
	if r := mustPush(t, c, files("string", "")); !r.Created || len(r.Findings) != 1 {
		t.Fatalf("push with an exception = %v", r)
	}
	check("a push accepted by an exception", want{blocking: 3, nonBlocking: 1, rejections: 2})
}
