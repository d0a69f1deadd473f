package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/retry"
)

// Environment variables of the registry client flags.
const (
	envRegistryURL = "PBREGISTRY_URL"
	envToken       = "PBREGISTRY_TOKEN"
)

// clientFlags are the flags of commands that talk to a registry.
type clientFlags struct {
	registry string
	token    string
	timeout  time.Duration
}

// register adds --registry, --token and --timeout to fs, defaulting from
// PBREGISTRY_URL and PBREGISTRY_TOKEN.
func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.registry, "registry", os.Getenv(envRegistryURL), "registry URL, e.g. http://localhost:8080 (env "+envRegistryURL+")")
	fs.StringVar(&c.token, "token", os.Getenv(envToken), "bearer token (env "+envToken+")")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "give up on the registry after this long")
}

// client returns a RegistryService client for the flags.
func (c *clientFlags) client() (pbregistryv1connect.RegistryServiceClient, error) {
	if c.registry == "" {
		return nil, usagef("no registry: pass --registry URL or set %s (e.g. http://localhost:8080)", envRegistryURL)
	}
	url := strings.TrimRight(c.registry, "/")
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		url = "http://" + url
	}
	c.registry = url
	token := c.token
	auth := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			req.Header().Set("User-Agent", "pbcheck/"+version())
			return next(ctx, req)
		}
	})
	return pbregistryv1connect.NewRegistryServiceClient(&http.Client{Timeout: c.timeout}, url,
		connect.WithInterceptors(auth), connect.WithSendGzip()), nil
}

// rpcError explains a failed call to the registry at url, with what to do.
func rpcError(url, what string, err error) error {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", what, err)
	}
	hint := ""
	switch ce.Code() {
	case connect.CodeUnavailable:
		hint = fmt.Sprintf(" (is registryd running at %s? check --registry or %s)", url, envRegistryURL)
	case connect.CodeUnauthenticated:
		if !strings.Contains(ce.Message(), "--token") {
			hint = fmt.Sprintf(" (pass a token with --token or %s)", envToken)
		}
	case connect.CodeResourceExhausted:
		hint = " (the request is larger than the registry accepts: split the module, or raise limits.max_request_bytes in registryd's --config)"
	case connect.CodeUnimplemented, connect.CodeUnknown:
		if strings.Contains(ce.Message(), "404") || strings.Contains(ce.Message(), "HTML") {
			hint = fmt.Sprintf(" (is %s a registryd?)", url)
		}
	}
	return fmt.Errorf("%s: %s: %s%s", what, ce.Code(), ce.Message(), hint)
}

// readModule reads the files of the module directory dir that a push
// carries: its configuration files (pbregistry.yaml, buf.yaml,
// buf.work.yaml) and every .proto file under its module roots, by path
// relative to dir.
func readModule(dir string) ([]*v1.File, *config.Config, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("module %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("module %s is not a directory: give the directory holding pbregistry.yaml", dir)
	}
	fsys := os.DirFS(dir)
	cfg, err := config.Load(fsys, ".", filepath.ToSlash(dir))
	if err != nil {
		return nil, nil, err
	}
	var files []*v1.File
	for _, name := range []string{registry.ConfigFileName, config.BufYAML, config.BufWorkYAML} {
		if data, err := fs.ReadFile(fsys, name); err == nil {
			files = append(files, &v1.File{Path: name, Content: data})
		}
	}
	if cfg == nil {
		cfg = config.Default()
	}
	seen := map[string]bool{}
	for i := range cfg.Modules {
		m := &cfg.Modules[i]
		err := fs.WalkDir(fsys, m.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != m.Dir && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".proto") || seen[p] {
				return nil
			}
			rel := p
			if m.Dir != "." {
				rel = strings.TrimPrefix(p, m.Dir+"/")
			}
			if !m.Contains(rel) {
				return nil
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			seen[p] = true
			files = append(files, &v1.File{Path: path.Clean(p), Content: data})
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("module %s: read %s: %w", dir, m.Dir, err)
		}
	}
	if len(seen) == 0 {
		return nil, nil, fmt.Errorf("module %s: no .proto files under its roots", dir)
	}
	if files, err = withFixtures(files, dir); err != nil {
		return nil, nil, err
	}
	return files, cfg, nil
}

// findingsFromProto converts the registry's findings for the report
// package; the message carries the subject and level.
func findingsFromProto(fs []*v1.Finding) []compat.Finding {
	out := make([]compat.Finding, len(fs))
	for i, f := range fs {
		msg := f.GetMessage()
		switch {
		case f.GetSubject() != "":
			msg += fmt.Sprintf(" [subject %s, %s]", f.GetSubject(), f.GetLevel())
		case f.GetLevel() != "":
			msg += fmt.Sprintf(" [%s]", f.GetLevel())
		}
		if f.GetExceptionId() != 0 {
			msg += fmt.Sprintf(" [let through by exception %d]", f.GetExceptionId())
		}
		sev := compat.SeverityError
		if f.GetSeverity() == v1.Severity_SEVERITY_WARNING || f.GetExceptionId() != 0 {
			sev = compat.SeverityWarning
		}
		out[i] = compat.Finding{
			Rule:    f.GetRule(),
			Message: msg,
			Location: compat.Location{
				Path: f.GetPath(), StartLine: int(f.GetStartLine()), StartColumn: int(f.GetStartColumn()),
				EndLine: int(f.GetEndLine()), EndColumn: int(f.GetEndColumn()),
			},
			Severity: sev,
			Element:  f.GetElement(),
		}
	}
	return out
}

// pushRejection returns the PushRejection detail of err, if any.
func pushRejection(err error) (*v1.PushRejection, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeFailedPrecondition {
		return nil, false
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if r, ok := v.(*v1.PushRejection); derr == nil && ok {
			return r, true
		}
	}
	return nil, false
}

// Retries of calls that may succeed when made again: the registry aborted
// the call (another push to the module landed first and the registry's own
// retries ran out), was unavailable, or shed load and said when to come
// back (resource_exhausted with Retry-After). A push is safe to repeat: the
// registry answers a push of content it holds with the version holding it.
var (
	// maxRetries bounds the retries of one call.
	maxRetries = 5
	// retryBase is the first backoff; each retry doubles it, up to
	// retryMax, with full jitter.
	retryBase = 500 * time.Millisecond
	retryMax  = 10 * time.Second
	// maxRetryAfter bounds how long a Retry-After may make pbcheck wait.
	maxRetryAfter = 60 * time.Second
)

// retryable returns how long to wait before calling again after err, and
// whether to call again at all; attempt counts the retries made so far.
func retryable(err error, attempt int) (time.Duration, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) || attempt >= maxRetries {
		return 0, false
	}
	secs, perr := strconv.Atoi(strings.TrimSpace(ce.Meta().Get("Retry-After")))
	retryAfter := perr == nil && secs >= 0
	switch ce.Code() {
	case connect.CodeAborted, connect.CodeUnavailable:
	case connect.CodeResourceExhausted:
		if !retryAfter {
			return 0, false // too large a request: retrying does not help
		}
	default:
		return 0, false
	}
	if retryAfter {
		return min(time.Duration(secs)*time.Second, maxRetryAfter) + retry.Jitter(retryBase), true
	}
	return retry.Backoff(attempt, retryBase, retryMax), true
}

// withRetries calls call until it succeeds, fails in a way retrying does
// not mend, or maxRetries retries are spent, backing off between calls and
// noting each retry on stderr; what names the call in the notes.
func withRetries[T any](ctx context.Context, stderr io.Writer, what string, call func(context.Context) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		resp, err := call(ctx)
		if err == nil {
			return resp, nil
		}
		wait, ok := retryable(err, attempt)
		if !ok {
			return resp, err
		}
		var ce *connect.Error
		errors.As(err, &ce) // retryable only retries Connect errors
		fmt.Fprintf(stderr, "pbcheck: %s: %s: %s; retrying in %s (retry %d of %d)\n",
			what, ce.Code(), ce.Message(), wait.Round(time.Millisecond), attempt+1, maxRetries)
		if retry.Sleep(ctx, wait) != nil {
			return resp, err
		}
	}
}
