package submodule

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/pbregistry/pbregistry/auth"
)

// Defaults of HandlerOptions.
const (
	DefaultMaxRequestBytes = 8 << 20
	DefaultRequestTimeout  = 10 * time.Minute
)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Dir holds the stacks' repositories (Config.Dir).
	Dir string
	// Stacks are the stacks served; other names are 404.
	Stacks []string
	// Auth authenticates reads; nil means auth.Open().
	Auth *auth.Authenticator
	// Git is the git binary; "" means "git" on PATH.
	Git string
	// MaxRequestBytes bounds an upload-pack request body (the client's
	// wants and haves), after gzip decoding; 0 means 8 MiB.
	MaxRequestBytes int64
	// RequestTimeout bounds one request, pack sending included; 0 means
	// 10 minutes.
	RequestTimeout time.Duration
	// Logger logs failures; nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the stacks' repositories read-only over git's smart HTTP
// protocol (v0, v1 and v2), at /git/<stack>.git/info/refs and
// /git/<stack>.git/git-upload-pack. Pushing (git-receive-pack) and the dumb
// protocol are refused.
type Handler struct {
	opts   HandlerOptions
	stacks map[string]bool
}

// NewHandler returns a Handler, or an error if git is not installed.
func NewHandler(opts HandlerOptions) (*Handler, error) {
	if opts.Git == "" {
		opts.Git = "git"
	}
	git, err := exec.LookPath(opts.Git)
	if err != nil {
		return nil, fmt.Errorf("serving the stacks' repositories needs git (git upload-pack): %w: install git, e.g. apt-get install git", err)
	}
	opts.Git = git
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Auth == nil {
		opts.Auth = auth.Open()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Handler{opts: opts, stacks: map[string]bool{}}
	for _, s := range opts.Stacks {
		h.stacks[s] = true
	}
	return h, nil
}

// gitPath matches the smart-HTTP paths served.
var gitPath = regexp.MustCompile(`^/git/([a-z][a-z0-9_-]{0,63})\.git/(info/refs|git-upload-pack|git-receive-pack)$`)

// ServeHTTP serves one smart-HTTP request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := gitPath.FindStringSubmatch(r.URL.Path)
	if m == nil || !h.stacks[m[1]] {
		http.Error(w, "no such repository: the stacks' repositories are at /git/<stack>.git", http.StatusNotFound)
		return
	}
	p, err := h.opts.Auth.Authenticate(authorization(r.Header.Get("Authorization")))
	if err == nil {
		err = p.CanRead()
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="pbregistry", charset="UTF-8"`)
		http.Error(w, err.Error()+" (git: give the token as the password, any user name)", http.StatusUnauthorized)
		return
	}
	stack, op := m[1], m[2]
	repo := RepoPath(h.opts.Dir, stack)
	if _, err := os.Stat(repo); err != nil {
		http.Error(w, fmt.Sprintf("stack %s has no publication yet: push a module it holds", stack), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.RequestTimeout)
	defer cancel()
	switch {
	case op == "git-receive-pack" || r.URL.Query().Get("service") == "git-receive-pack":
		http.Error(w, "the stacks' repositories are read-only: the registry publishes them on every accepted push (pbcheck push)", http.StatusForbidden)
	case op == "info/refs" && r.Method == http.MethodGet:
		if r.URL.Query().Get("service") != "git-upload-pack" {
			http.Error(w, "only git's smart HTTP protocol is served: use git 1.6.6 or later", http.StatusForbidden)
			return
		}
		h.advertise(ctx, w, r, repo)
	case op == "git-upload-pack" && r.Method == http.MethodPost:
		h.uploadPack(ctx, w, r, repo)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// authorization turns HTTP Basic credentials, whose password is a
// registry token, into a Bearer header; other headers pass unchanged.
func authorization(h string) string {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return h
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "Basic (undecodable)"
	}
	_, password, _ := strings.Cut(string(raw), ":")
	if password == "" {
		return ""
	}
	return "Bearer " + password
}

// protocolHeader matches the Git-Protocol values passed to upload-pack.
var protocolHeader = regexp.MustCompile(`^[a-z0-9=:.-]{1,64}$`)

// command returns upload-pack over repo, with the repository-reading
// settings pinned to git's safe defaults and no system or global
// configuration.
func (h *Handler) command(ctx context.Context, r *http.Request, repo string, advertise bool) *exec.Cmd {
	args := []string{
		"-c", "uploadpack.allowAnySHA1InWant=false",
		"-c", "uploadpack.allowReachableSHA1InWant=false",
		"-c", "uploadpack.allowTipSHA1InWant=false",
		"-c", "uploadpack.allowFilter=false",
		"-c", "core.hooksPath=/dev/null",
		"upload-pack", "--strict", "--stateless-rpc",
	}
	if advertise {
		args = append(args, "--advertise-refs")
	}
	cmd := exec.CommandContext(ctx, h.opts.Git, append(args, repo)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent"}
	if v := r.Header.Get("Git-Protocol"); protocolHeader.MatchString(v) {
		cmd.Env = append(cmd.Env, "GIT_PROTOCOL="+v)
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// advertise answers GET info/refs?service=git-upload-pack.
func (h *Handler) advertise(ctx context.Context, w http.ResponseWriter, r *http.Request, repo string) {
	cmd := h.command(ctx, r, repo, true)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	out, err := cmd.Output()
	if err != nil {
		h.opts.Logger.Error("git upload-pack --advertise-refs failed", "repo", repo, "error", err, "stderr", stderr.String())
		http.Error(w, "git upload-pack failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
	w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	if !strings.Contains(r.Header.Get("Git-Protocol"), "version=2") {
		// Protocol v0/v1 over HTTP starts with the service line.
		io.WriteString(w, pktLine("# service=git-upload-pack\n")+"0000")
	}
	w.Write(out)
}

// uploadPack answers POST git-upload-pack: the client's request in, the
// negotiation and pack out.
func (h *Handler) uploadPack(ctx context.Context, w http.ResponseWriter, r *http.Request, repo string) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-git-upload-pack-request" {
		http.Error(w, fmt.Sprintf("Content-Type %q: want application/x-git-upload-pack-request", ct), http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, h.opts.MaxRequestBytes)
	if enc := r.Header.Get("Content-Encoding"); enc == "gzip" || enc == "x-gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, "bad gzip body: "+err.Error(), http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	// Read the request whole, bounded, so that a client stuck
	// mid-request holds no git process.
	req, err := io.ReadAll(io.LimitReader(body, h.opts.MaxRequestBytes+1))
	if err != nil || int64(len(req)) > h.opts.MaxRequestBytes {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || int64(len(req)) > h.opts.MaxRequestBytes {
			http.Error(w, fmt.Sprintf("the request is larger than %d bytes", h.opts.MaxRequestBytes), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	bad, err := unreachableWant(repo, req)
	if err != nil {
		h.opts.Logger.Error("read the stack repository", "repo", repo, "error", err)
		http.Error(w, "cannot read the repository", http.StatusInternalServerError)
		return
	}
	if bad != "" {
		// As upload-pack refuses a commit it does not advertise.
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		io.WriteString(w, pktLine("ERR upload-pack: not our ref "+bad+"\n"))
		return
	}
	cmd := h.command(ctx, r, repo, false)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		http.Error(w, "git upload-pack failed", http.StatusInternalServerError)
		return
	}
	if err := cmd.Start(); err != nil {
		h.opts.Logger.Error("git upload-pack failed to start", "error", err)
		http.Error(w, "git upload-pack failed", http.StatusInternalServerError)
		return
	}
	// Hold the headers back until upload-pack says something, so that a
	// request it refuses at once gets an error status.
	first := make([]byte, 32<<10)
	n, rerr := io.ReadAtLeast(stdout, first, 1)
	if n == 0 {
		werr := cmd.Wait()
		h.opts.Logger.Warn("git upload-pack refused a request", "repo", repo, "error", errors.Join(rerr, werr), "stderr", stderr.String())
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "git upload-pack refused the request"
		}
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
	w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	w.Write(first[:n])
	// A client that goes away cancels ctx, which kills upload-pack.
	io.Copy(w, stdout)
	if err := cmd.Wait(); err != nil {
		h.opts.Logger.Warn("git upload-pack ended with an error", "repo", repo, "error", err, "stderr", stderr.String())
	}
}

// pktLine frames s as a git pkt-line.
func pktLine(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
