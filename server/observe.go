package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/registry"
)

// latencyBuckets are the histogram bounds of request and push latencies,
// in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// observer records pushes and RPCs in metrics and logs. It implements
// registry.Observer.
//
// Every label value comes from a bounded set, so that no client can grow
// /metrics: rules are those of compat's catalog, the registry's own and
// the built-in and server-wide policies (a module's own policies count as
// "other"); modules are those that exist (a version was created, or the
// store has the module); procedures are the API's. Anything else is
// counted under OtherLabel.
type observer struct {
	logger       *slog.Logger
	labels       *labelSets
	pushSeconds  *Histogram
	findings     *Counter
	rejections   *Counter
	rpcs         *Counter
	rpcSeconds   *Histogram
	pushVersions *Counter
}

// newObserver registers registryd's metrics in m; labels bounds their
// label values.
func newObserver(m *Metrics, logger *slog.Logger, labels *labelSets) *observer {
	return &observer{
		logger: logger,
		labels: labels,
		pushSeconds: m.NewHistogram("pbregistry_push_duration_seconds",
			"Time to check (and, unless dry_run, store) a push, by outcome: accepted, existing or rejected.", latencyBuckets, "dry_run", "outcome"),
		findings: m.NewCounter("pbregistry_check_findings_total",
			"Findings of checked pushes, by rule and whether they block.", "rule", "blocking"),
		rejections: m.NewCounter("pbregistry_push_rejections_total",
			"Pushes refused as incompatible (Push only, not CheckPush), by module.", "module"),
		pushVersions: m.NewCounter("pbregistry_push_versions_created_total",
			"Versions created by pushes.", "module"),
		rpcs: m.NewCounter("pbregistry_rpc_requests_total",
			"RPCs handled, by procedure and Connect code.", "procedure", "code"),
		rpcSeconds: m.NewHistogram("pbregistry_rpc_duration_seconds",
			"RPC latency, by procedure.", latencyBuckets, "procedure"),
	}
}

// ObservePush implements registry.Observer.
func (o *observer) ObservePush(p registry.PushOutcome) {
	outcome := "rejected"
	switch {
	case p.Accepted && !p.Created && !p.DryRun && len(p.Findings) == 0:
		outcome = "existing"
	case p.Accepted:
		outcome = "accepted"
	}
	dry := "false"
	if p.DryRun {
		dry = "true"
	}
	o.pushSeconds.Observe(p.Elapsed.Seconds(), dry, outcome)
	for _, f := range p.Findings {
		blocking := "false"
		if f.Blocking() {
			blocking = "true"
		}
		o.findings.Inc(o.labels.rule(f.Rule), blocking)
	}
	if p.Created {
		o.labels.addModule(p.Module)
		o.pushVersions.Inc(o.labels.module(p.Module))
	}
	if !p.DryRun && !p.Accepted {
		o.rejections.Inc(o.labels.module(p.Module))
	}
}

// interceptor counts, times and logs every RPC.
func (o *observer) interceptor() connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			start := time.Now()
			resp, err := next(ctx, req)
			elapsed := time.Since(start)
			code := "ok"
			if err != nil {
				code = connect.CodeOf(err).String()
			}
			proc := o.labels.procedure(req.Spec().Procedure)
			o.rpcs.Inc(proc, code)
			o.rpcSeconds.Observe(elapsed.Seconds(), proc)
			level := slog.LevelDebug
			var ce *connect.Error
			if err != nil && (!errors.As(err, &ce) || ce.Code() == connect.CodeInternal || ce.Code() == connect.CodeUnknown) {
				level = slog.LevelError
			}
			o.logger.Log(ctx, level, "rpc", "procedure", proc, "code", code, "principal", auth.FromContext(ctx).Name,
				"protocol", req.Peer().Protocol, "peer", req.Peer().Addr, "user_agent", req.Header().Get("User-Agent"),
				"duration", elapsed, "error", errString(err))
			return resp, err
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
