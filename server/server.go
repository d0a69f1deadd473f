package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/protocompile"
	"github.com/pbregistry/pbregistry/server/blobcache"
	"github.com/pbregistry/pbregistry/server/confluent"
	"github.com/pbregistry/pbregistry/server/ui"
)

// Options configure a Server.
type Options struct {
	// Store is what the server reads and writes.
	Store registry.Store
	// Auth authenticates requests; nil means auth.Open(): everyone is
	// the anonymous admin.
	Auth *auth.Authenticator
	// Config holds limits; nil means the defaults.
	Config *Config
	// ReadOnly refuses writes (Push, SetSubjectConfig, ApproveException)
	// with FailedPrecondition naming the primary; every read and
	// CheckPush are served.
	ReadOnly bool
	// Logger logs requests and pushes; nil means slog.Default(). The
	// server logs through BoundedLogger(Logger).
	Logger *slog.Logger
	// PushContext, when set, decorates the context of every Push before
	// the push runs; crash tests use it to pause a push inside its
	// transaction (registry.WithCommitHook).
	PushContext func(context.Context) context.Context
	// Git, when set, serves the stacks' git repositories under /git/
	// (submodule.Handler, which authenticates reads itself).
	Git http.Handler
}

// Server is registryd: the RegistryService handler over a registry.Service
// and its Store, with health, reflection, metrics and downloads. Build one
// with New and serve Handler (see Serve).
type Server struct {
	store       registry.Store
	service     *registry.Service
	auth        *auth.Authenticator
	cfg         Config
	readOnly    bool
	logger      *slog.Logger
	metrics     *Metrics
	rejected    *Counter
	observer    *observer
	pushContext func(context.Context) context.Context
	git         http.Handler
	// cache holds immutable version bytes (Config.Cache).
	cache *blobcache.Cache
}

var _ pbregistryv1connect.RegistryServiceHandler = (*Server)(nil)

// New returns a Server.
func New(opts Options) *Server {
	s := &Server{store: opts.Store, auth: opts.Auth, readOnly: opts.ReadOnly, logger: opts.Logger, pushContext: opts.PushContext, git: opts.Git}
	if s.auth == nil {
		s.auth = auth.Open()
	}
	if opts.Config != nil {
		s.cfg = *opts.Config
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.logger = BoundedLogger(s.logger)
	s.cache = blobcache.New(s.cfg.Cache.Bound())
	s.metrics = &Metrics{}
	s.rejected = s.metrics.NewCounter("pbregistry_http_rejected_requests_total",
		"Requests refused before their handler ran, or whose body was cut, by reason: rate_limit_ip, rate_limit_token, max_concurrent_requests, max_inflight_bytes, slow_body, slow_reader.", "reason")
	s.observer = newObserver(s.metrics, s.logger, newLabelSets(s.store, s.cfg.Policies))
	s.service = registry.NewService(s.store, registry.ServiceOptions{
		Limits:   s.cfg.Limits.PushLimits(),
		Observer: s.observer,
		Logger:   s.logger,
		Compiler: protocompile.Compiler{},
		Policies: cel.NewEngine(s.cfg.Policies, s.cfg.Limits.Policies),
	})
	return s
}

// Metrics returns the server's metrics registry, to add metrics to.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handler returns the HTTP handler serving everything on one port:
//
//	/pbregistry.v1.RegistryService/*   Connect, gRPC and gRPC-Web
//	/grpc.health.v1.Health/Check       gRPC health (grpchealth)
//	/grpc.reflection.*                 gRPC reflection, for grpcurl and buf curl
//	GET /healthz                       200 "ok" when the store answers
//	GET /metrics                       Prometheus text exposition, for readers (or scope metrics)
//	GET /modules/{module}/versions/{n|latest}/image.binpb   a version's FileDescriptorSet
//	GET /dbt/{module}/{n|latest}.tar.gz?dialect=…          a version's dbt project (gzip'd tar)
//	/git/{stack}.git/*                 the stacks' repositories, read-only smart HTTP (Options.Git)
//	/ui/                               the web UI (package ui); GET / redirects there
//	/subjects, /schemas/, /config, /mode, /compatibility/   Confluent's Schema Registry API (Config.Confluent)
//
// Every request but the health checks is first rate limited (429 +
// Retry-After; Connect: resource_exhausted), then counted against the
// caps of concurrent requests and in-flight request bytes (503 +
// Retry-After; Connect: unavailable), its body must arrive at
// Config.HTTP.MinBodyRate after Config.HTTP.ReadTimeout's grace, and its
// response be read at that rate after Config.HTTP.WriteTimeout's.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	path, h := pbregistryv1connect.NewRegistryServiceHandler(s,
		connect.WithInterceptors(auth.Interceptor(s.auth), s.observer.interceptor()),
		connect.WithReadMaxBytes(s.cfg.Limits.RequestLimit()),
		connect.WithCompressMinBytes(1024),
	)
	mux.Handle(path, h)
	checker := grpchealth.NewStaticChecker(pbregistryv1connect.RegistryServiceName)
	mux.Handle(grpchealth.NewHandler(checker))
	reflector := grpcreflect.NewStaticReflector(pbregistryv1connect.RegistryServiceName, grpchealth.HealthV1ServiceName)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", auth.Middleware(s.auth, http.HandlerFunc(s.serveMetrics)))
	mux.Handle("GET /modules/", auth.Middleware(s.auth, http.HandlerFunc(s.downloadImage)))
	mux.Handle("GET /dbt/", auth.Middleware(s.auth, http.HandlerFunc(s.downloadDbt)))
	if s.git != nil {
		mux.Handle("/git/", s.git)
	}
	s.mountConfluent(mux)
	mux.Handle(ui.Prefix, ui.New(ui.Options{Service: s.service, Auth: s.auth, Logger: s.logger,
		Image: http.HandlerFunc(s.downloadImage), Dbt: http.HandlerFunc(s.downloadDbt)}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ui.Prefix, http.StatusFound)
	})
	return s.admission(mux)
}

// admission wraps h in the server's rate limits, caps and body pace.
func (s *Server) admission(h http.Handler) http.Handler {
	cfg := s.cfg.HTTP.withDefaults()
	trusted, err := cfg.trustedProxies()
	if err != nil {
		// ParseConfig refuses these; a Config built in Go may not.
		s.logger.Error("ignoring http.trusted_proxies", "error", err)
		trusted = nil
	}
	return &admission{
		cfg:      cfg,
		next:     h,
		limiter:  newRateLimiter(s.auth, s.cfg.RateLimits, trusted),
		maxBody:  int64(s.cfg.Limits.RequestLimit()),
		errors:   connect.NewErrorWriter(),
		logger:   s.logger,
		rejected: s.rejected,
	}
}

// Serve serves the server's Handler on ln with Config.HTTP's timeouts
// until ctx is done, as the package's Serve does.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return ServeHTTP(ctx, ln, s.Handler(), s.cfg.HTTP)
}

// mountConfluent serves Confluent's Schema Registry API on mux under
// Config.Confluent.Prefix, unless it is disabled; a store that keeps no
// schema ids leaves it out, with a warning.
func (s *Server) mountConfluent(mux *http.ServeMux) {
	if !s.cfg.Confluent.IsEnabled() {
		return
	}
	var locked []string
	for _, p := range s.cfg.Policies {
		locked = append(locked, p.Name)
	}
	h, err := confluent.New(confluent.Options{Service: s.service, Auth: s.auth, Config: s.cfg.Confluent, ReadOnly: s.readOnly, Logger: s.logger, LockedPolicies: locked})
	if err != nil {
		s.logger.Warn("not serving the Confluent Schema Registry API", "error", err)
		return
	}
	for _, p := range h.Patterns() {
		mux.Handle(p, h)
	}
}
