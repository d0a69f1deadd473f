// Command soak runs two registryd processes on one PostgreSQL database
// under load and faults for a bounded time, then checks that nothing was
// lost:
//
//   - pushers push always-compatible changes: each alternates between a
//     module of its own (every push adds a field to an event subject) and a
//     module all pushers share (every push declares messages M1…Mk for the
//     next k of a shared counter; its rules are WIRE, under which a push
//     that lands after a larger one is still compatible), so that pushes of
//     the shared module race;
//   - readers ask for modules (GetModule, with and without files), their
//     versions (ListVersions) and images (GET /modules/…/image.binpb), and
//     check every digest they see against the acknowledged pushes;
//   - a chaos loop picks one instance at random now and then and either
//     kills it (SIGKILL) and restarts it on the same port, or stops it
//     (SIGSTOP) for a while and continues it (SIGCONT).
//
// Clients send each request to a random instance and retry on the other
// one when the request fails in transport (connection refused or reset, no
// answer within -attempt-timeout) or the server answers Unavailable; every
// other answer is final. At the end every acknowledged push must exist as
// the version it was acknowledged as, with its digest; each module's
// versions must be 1…N without gaps, without duplicate digests, and hold
// only content some pusher sent; the own modules' versions must follow
// their pushers' order.
//
// It prints the results as Markdown table rows (bench/soak.sh assembles
// them into BENCHMARKS.md) and exits with 1 when anything was lost or the
// history is inconsistent. Its registryd processes die with it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry"
)

// options are the soak's settings.
type options struct {
	registryd      string
	databaseURL    string
	logDir         string
	pushers        int
	readers        int
	duration       time.Duration
	attemptTimeout time.Duration
	chaosEvery     time.Duration
	stopMax        time.Duration
	grace          time.Duration
	seed           uint64
	logLevel       string
}

func main() {
	var o options
	flag.StringVar(&o.registryd, "registryd", "", "path of the registryd binary (required)")
	flag.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL of an empty schema, shared by both instances (required)")
	flag.StringVar(&o.logDir, "log-dir", "", "directory for the instances' logs (default: a new temporary directory)")
	flag.IntVar(&o.pushers, "pushers", 4, "concurrent pushers")
	flag.IntVar(&o.readers, "readers", 4, "concurrent readers")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long pushers, readers and the chaos loop run")
	flag.DurationVar(&o.attemptTimeout, "attempt-timeout", 5*time.Second, "a request unanswered this long is retried on the other instance")
	flag.DurationVar(&o.chaosEvery, "chaos-every", 3*time.Second, "mean pause between two faults (each pause is 0.5× to 1.5× this)")
	flag.DurationVar(&o.stopMax, "stop-max", 8*time.Second, "longest SIGSTOP (each stop lasts 0.5 s to this)")
	flag.DurationVar(&o.grace, "grace", 60*time.Second, "after -duration, how long requests in flight may still retry")
	flag.Uint64Var(&o.seed, "seed", 0, "random seed (0: from the clock); printed so that a run's faults can be replayed in kind")
	flag.StringVar(&o.logLevel, "log-level", "info", "the instances' --log-level (debug also logs each push that raced another and was checked again)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/soak:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	switch {
	case o.registryd == "" || o.databaseURL == "":
		return errors.New("-registryd and -database-url are required")
	case o.pushers < 1 || o.readers < 0:
		return errors.New("-pushers must be at least 1 and -readers at least 0")
	case o.duration <= 0 || o.attemptTimeout <= 0 || o.chaosEvery <= 0 || o.stopMax < 500*time.Millisecond:
		return errors.New("-duration, -attempt-timeout and -chaos-every must be positive, -stop-max at least 0.5s")
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	if o.logDir == "" {
		dir, err := os.MkdirTemp("", "pbregistry-soak-")
		if err != nil {
			return err
		}
		o.logDir = dir
	} else if err := os.MkdirAll(o.logDir, 0o755); err != nil {
		return err
	}
	logf("seed %d, logs in %s\n", o.seed, o.logDir)

	// SIGINT and SIGTERM end the run early; the deferred close stops the
	// instances.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := start(o)
	defer s.close()
	if err != nil {
		return err
	}
	if err := s.load(ctx); err != nil {
		return err
	}
	v := s.verify(ctx)
	s.print(v)
	if v.failed() {
		return fmt.Errorf("the history is inconsistent: %d lost, %d problems (see above)", v.lost, len(v.problems))
	}
	return nil
}

// start starts the two instances of a soak. The soak must be closed, even
// when start fails.
func start(o options) (*soak, error) {
	s := &soak{o: o, rng: rand.New(rand.NewPCG(o.seed, 1)), digests: map[string]pushed{}, acked: map[string]map[int64]string{}}
	for i := range 2 {
		s.instances = append(s.instances, &instance{
			name: fmt.Sprintf("registryd-%d", i), bin: o.registryd, databaseURL: o.databaseURL, logLevel: o.logLevel,
			logPath: filepath.Join(o.logDir, fmt.Sprintf("registryd-%d.log", i)),
		})
	}
	for _, in := range s.instances {
		if err := in.start(); err != nil {
			return s, err
		}
	}
	for _, in := range s.instances {
		s.clients = append(s.clients, pbregistryv1connect.NewRegistryServiceClient(httpClient(), in.url))
		s.http = append(s.http, httpClient())
		logf("%s at %s\n", in.name, in.url)
	}
	return s, nil
}

// close stops the instances.
func (s *soak) close() {
	for _, in := range s.instances {
		in.terminate()
	}
}

// logf writes a progress line to stderr, stamped with the UTC time of day
// (the instances' logs use the same clock).
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "soak %s: "+format, append([]any{time.Now().UTC().Format("15:04:05.000")}, args...)...)
}

func httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// soak is one run.
type soak struct {
	o         options
	instances []*instance
	clients   []pbregistryv1connect.RegistryServiceClient
	http      []*http.Client

	rngMu sync.Mutex
	rng   *rand.Rand

	// end is when the load stops; final is when requests in flight give up.
	end, final time.Time

	mu sync.Mutex
	// digests maps the digest of every push sent to what it was.
	digests map[string]pushed
	// acked maps module → version → digest of every acknowledged push.
	acked map[string]map[int64]string
	// pushes are the outcomes of every push.
	pushes []pushOutcome
	// reads are the outcomes of every read.
	reads []readOutcome
	// kills and stops count the faults.
	kills, stops int
	// restarts are how long each restart took, from the kill to the
	// restarted instance listening.
	restarts []time.Duration
	// restartErrors are instances that did not come back.
	restartErrors []string
	// inconsistentReads are reads that saw a digest other than the one
	// acknowledged for that version.
	inconsistentReads []string
}

// pushed is a push as sent: its module and its place in the module's
// sequence.
type pushed struct {
	module string
	seq    int
	own    bool
}

// pushOutcome is how one push ended.
type pushOutcome struct {
	class    string // accepted, aborted, incompatible, or the code of another error
	detail   string
	latency  time.Duration
	attempts int
	created  bool
}

// readOutcome is how one read ended.
type readOutcome struct {
	kind     string
	err      string
	latency  time.Duration
	attempts int
}

func (s *soak) intn(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

func (s *soak) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// The modules: one per pusher and one shared by all.
const sharedModule = "acme/soak/shared"

func ownModule(p int) string { return fmt.Sprintf("acme/soak/own%d", p) }

// ownFiles is push seq of pusher p's module: an event whose fields f1…fseq
// grow by one per push.
func ownFiles(p, seq int) (string, []registry.File, []byte) {
	module := ownModule(p)
	pkg := fmt.Sprintf("acme.soak.own%d.v1", p)
	cfg := fmt.Sprintf("version: v1\nmodule: %s\nsubjects:\n  - message: %s.Record\n    kind: event\n", module, pkg)
	var b strings.Builder
	fmt.Fprintf(&b, "syntax = \"proto3\";\n\npackage %s;\n\nimport \"google/protobuf/timestamp.proto\";\n\n", pkg)
	b.WriteString("// Record is what pusher " + strconv.Itoa(p) + " records.\nmessage Record {\n  string event_id = 1;\n  google.protobuf.Timestamp occurred_at = 2;\n")
	for i := 1; i <= seq; i++ {
		fmt.Fprintf(&b, "  string f%d = %d;\n", i, 10+i)
	}
	b.WriteString("}\n")
	return module, []registry.File{{Path: fmt.Sprintf("acme/soak/own%d/v1/record.proto", p), Content: []byte(b.String())}}, []byte(cfg)
}

// sharedFiles is push seq of the shared module: messages M1…Mseq. Its
// rules are WIRE, under which deleting a whole message is compatible, so
// that a push which lands after a larger one is accepted: every push of
// it is compatible with every version.
func sharedFiles(seq int) (string, []registry.File, []byte) {
	cfg := "version: v1\nmodule: " + sharedModule + "\nbreaking:\n  use: [WIRE]\n"
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\n\npackage acme.soak.shared.v1;\n\n")
	for i := 1; i <= seq; i++ {
		fmt.Fprintf(&b, "// M%d is the shared module's message %d.\nmessage M%d {\n  string id = 1;\n  int64 n = 2;\n}\n\n", i, i, i)
	}
	return sharedModule, []registry.File{{Path: "acme/soak/shared/v1/shared.proto", Content: []byte(b.String())}}, []byte(cfg)
}

// load runs the pushers, the readers and the chaos loop until -duration
// has passed, and waits for requests in flight.
func (s *soak) load(ctx context.Context) error {
	start := time.Now()
	s.end = start.Add(s.o.duration)
	s.final = s.end.Add(s.o.grace)
	ctx, cancel := context.WithDeadline(ctx, s.final)
	defer cancel()

	// Version 1 of every module first, so that readers have something to
	// read from the start.
	for p := range s.o.pushers {
		module, files, cfg := ownFiles(p, 1)
		if o := s.push(ctx, module, files, cfg, pushed{module: module, seq: 1, own: true}); o.class != "accepted" {
			return fmt.Errorf("first push of %s: %s %s", module, o.class, o.detail)
		}
	}
	var sharedSeq atomic.Int64
	sharedSeq.Store(1)
	module, files, cfg := sharedFiles(1)
	if o := s.push(ctx, module, files, cfg, pushed{module: module, seq: 1}); o.class != "accepted" {
		return fmt.Errorf("first push of %s: %s %s", module, o.class, o.detail)
	}

	var wg sync.WaitGroup
	for p := range s.o.pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := 1
			for i := 0; time.Now().Before(s.end) && ctx.Err() == nil; i++ {
				if i%2 == 0 {
					own++
					module, files, cfg := ownFiles(p, own)
					s.push(ctx, module, files, cfg, pushed{module: module, seq: own, own: true})
				} else {
					seq := int(sharedSeq.Add(1))
					module, files, cfg := sharedFiles(seq)
					s.push(ctx, module, files, cfg, pushed{module: module, seq: seq})
				}
			}
		}()
	}
	modules := []string{sharedModule}
	for p := range s.o.pushers {
		modules = append(modules, ownModule(p))
	}
	for range s.o.readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(s.end) && ctx.Err() == nil {
				s.read(ctx, modules[s.intn(len(modules))])
			}
		}()
	}
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		s.chaos(ctx)
	}()
	wg.Wait()
	<-chaosDone
	logf("load done after %s\n", time.Since(start).Round(time.Millisecond))
	return ctx.Err()
}

// chaos disrupts one instance at a time until the end: SIGKILL and a
// restart on the same port, or SIGSTOP and, a while later, SIGCONT.
func (s *soak) chaos(ctx context.Context) {
	for {
		pause := s.between(s.o.chaosEvery/2, s.o.chaosEvery*3/2)
		if time.Now().Add(pause).After(s.end) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		in := s.instances[s.intn(len(s.instances))]
		if s.intn(2) == 0 {
			logf("%s kill -9\n", in.name)
			killed := time.Now()
			in.kill()
			s.mu.Lock()
			s.kills++
			s.mu.Unlock()
			// A restart fails when the port is not free yet; try again.
			var err error
			for range 20 {
				if err = in.start(); err == nil {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			s.mu.Lock()
			if err != nil {
				s.restartErrors = append(s.restartErrors, err.Error())
				logf("%s did not restart: %v\n", in.name, err)
			} else {
				s.restarts = append(s.restarts, time.Since(killed))
			}
			s.mu.Unlock()
		} else {
			d := s.between(500*time.Millisecond, s.o.stopMax)
			logf("%s SIGSTOP for %s\n", in.name, d.Round(time.Millisecond))
			in.signal(syscall.SIGSTOP)
			s.mu.Lock()
			s.stops++
			s.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
			in.signal(syscall.SIGCONT)
		}
	}
}

// retryable reports whether a request that failed with err may be sent to
// the other instance: it failed in transport (the server never answered:
// refused, reset, or no answer in time) or the server said Unavailable.
func retryable(err error) bool {
	var ce *connect.Error
	if errors.As(err, &ce) && connect.IsWireError(ce) {
		return ce.Code() == connect.CodeUnavailable
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.code == http.StatusServiceUnavailable || se.code == http.StatusBadGateway
	}
	return true
}

// statusError is a plain HTTP request answered with an unexpected status.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

// try runs op on a random instance, and on the other one after each
// retryable failure, with a growing pause, until it succeeds, fails for
// good, or ctx ends. It returns the number of attempts.
func (s *soak) try(ctx context.Context, op func(ctx context.Context, i int) error) (int, error) {
	i := s.intn(len(s.instances))
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.o.attemptTimeout)
		err := op(actx, i)
		cancel()
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return attempt, err
		}
		i = (i + 1) % len(s.instances)
		pause := min(25*time.Millisecond<<min(attempt, 6), time.Second)
		select {
		case <-ctx.Done():
			return attempt, err
		case <-time.After(s.between(pause/2, pause)):
		}
	}
}

// push sends one push, with retries, and records its outcome.
func (s *soak) push(ctx context.Context, module string, files []registry.File, cfg []byte, what pushed) pushOutcome {
	digest, err := registry.Digest(files, cfg)
	if err != nil {
		panic(err) // the soak's own content is valid
	}
	s.mu.Lock()
	s.digests[digest] = what
	s.mu.Unlock()
	req := &v1.PushRequest{Files: []*v1.File{{Path: registry.ConfigFileName, Content: cfg}}, Build: &v1.BuildInfo{GitCommit: digest[len(digest)-40:]}}
	for _, f := range files {
		req.Files = append(req.Files, &v1.File{Path: f.Path, Content: f.Content})
	}
	start := time.Now()
	var resp *connect.Response[v1.PushResponse]
	attempts, err := s.try(ctx, func(ctx context.Context, i int) error {
		var err error
		resp, err = s.clients[i].Push(ctx, connect.NewRequest(req))
		return err
	})
	o := pushOutcome{latency: time.Since(start), attempts: attempts}
	switch code := connect.CodeOf(err); {
	case err == nil:
		o.class, o.created = "accepted", resp.Msg.Created
		v := resp.Msg.Version
		s.mu.Lock()
		if s.acked[module] == nil {
			s.acked[module] = map[int64]string{}
		}
		if prev, ok := s.acked[module][v.Number]; ok && prev != v.Digest {
			s.inconsistentReads = append(s.inconsistentReads, fmt.Sprintf("push: %s version %d acknowledged with digest %s, earlier with %s", module, v.Number, v.Digest, prev))
		}
		s.acked[module][v.Number] = v.Digest
		if v.Digest != digest {
			s.inconsistentReads = append(s.inconsistentReads, fmt.Sprintf("push: %s version %d acknowledged with digest %s, sent %s", module, v.Number, v.Digest, digest))
		}
		s.mu.Unlock()
	case ctx.Err() != nil:
		o.class, o.detail = "unfinished", err.Error()
	case code == connect.CodeAborted:
		o.class, o.detail = "aborted", err.Error()
	case code == connect.CodeFailedPrecondition:
		o.class, o.detail = "incompatible", err.Error()
	default:
		o.class, o.detail = code.String(), err.Error()
	}
	if o.class != "accepted" {
		logf("push %d of %s: %s after %d attempts in %s: %s\n", what.seq, module, o.class, o.attempts, o.latency.Round(time.Millisecond), oneLine(o.detail))
	}
	s.mu.Lock()
	s.pushes = append(s.pushes, o)
	s.mu.Unlock()
	return o
}

// knownVersion returns a random version of module acknowledged so far and
// its digest, or 0.
func (s *soak) knownVersion(module string) (int64, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.acked[module]
	if len(vs) == 0 {
		return 0, ""
	}
	var top int64
	for n := range vs {
		top = max(top, n)
	}
	n := 1 + int64(s.intn(int(top)))
	return n, vs[n]
}

// checkDigest records an inconsistent read when version n of module was
// acknowledged with another digest than got.
func (s *soak) checkDigest(what, module string, n int64, got string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if want, ok := s.acked[module][n]; ok && want != got {
		s.inconsistentReads = append(s.inconsistentReads, fmt.Sprintf("%s: %s version %d has digest %s, acknowledged as %s", what, module, n, got, want))
	}
}

// read sends one read of module, chosen at random, and records it.
func (s *soak) read(ctx context.Context, module string) {
	kinds := []string{"GetModule", "GetModule+files", "ListVersions", "image"}
	kind := kinds[s.intn(len(kinds))]
	start := time.Now()
	var attempts int
	var err error
	switch kind {
	case "GetModule", "GetModule+files":
		var resp *connect.Response[v1.GetModuleResponse]
		attempts, err = s.try(ctx, func(ctx context.Context, i int) error {
			var err error
			resp, err = s.clients[i].GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: module, IncludeFiles: kind == "GetModule+files"}))
			return err
		})
		if err == nil {
			v := resp.Msg.Version
			s.checkDigest(kind, module, v.Number, v.Digest)
			if kind == "GetModule+files" {
				var files []registry.File
				var cfg []byte
				for _, f := range resp.Msg.Files {
					if f.Path == registry.ConfigFileName {
						cfg = f.Content
					} else {
						files = append(files, registry.File{Path: f.Path, Content: f.Content})
					}
				}
				if d, derr := registry.Digest(files, cfg); derr != nil || d != v.Digest {
					s.mu.Lock()
					s.inconsistentReads = append(s.inconsistentReads, fmt.Sprintf("GetModule: %s version %d: the files' digest is %s, the version's %s (%v)", module, v.Number, d, v.Digest, derr))
					s.mu.Unlock()
				}
			}
		}
	case "ListVersions":
		var resp *connect.Response[v1.ListVersionsResponse]
		attempts, err = s.try(ctx, func(ctx context.Context, i int) error {
			var err error
			resp, err = s.clients[i].ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: module, PageSize: 50}))
			return err
		})
		if err == nil {
			for _, v := range resp.Msg.Versions {
				s.checkDigest(kind, module, v.Number, v.Digest)
			}
		}
	case "image":
		n, _ := s.knownVersion(module)
		if n == 0 {
			return
		}
		var got string
		attempts, err = s.try(ctx, func(ctx context.Context, i int) error {
			var err error
			got, err = s.image(ctx, i, module, n)
			return err
		})
		if err == nil {
			s.checkDigest(kind, module, n, got)
		}
	}
	o := readOutcome{kind: kind, latency: time.Since(start), attempts: attempts}
	if err != nil {
		if ctx.Err() != nil {
			return // the run is over
		}
		o.err = err.Error()
	}
	s.mu.Lock()
	s.reads = append(s.reads, o)
	s.mu.Unlock()
}

// image downloads version n of module from instance i and returns the
// digest it was served with.
func (s *soak) image(ctx context.Context, i int, module string, n int64) (string, error) {
	url := fmt.Sprintf("%s/modules/%s/versions/%d/image.binpb", s.instances[i].url, module, n)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := s.http[i].Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(body))}
	}
	if len(body) == 0 {
		return "", fmt.Errorf("GET %s: empty image", url)
	}
	return resp.Header.Get("X-Pbregistry-Digest"), nil
}

// verdict is what verify found.
type verdict struct {
	modules, versions int
	lost              int
	unacknowledged    int // versions stored whose push got no acknowledgement
	problems          []string
}

func (v *verdict) failed() bool { return v.lost > 0 || len(v.problems) > 0 }

// verify lists every module's versions and checks them against the
// acknowledged pushes.
func (s *soak) verify(ctx context.Context) *verdict {
	v := &verdict{}
	for _, in := range s.instances {
		if err := in.ensureRunning(); err != nil {
			v.problems = append(v.problems, fmt.Sprintf("after the run: %v", err))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v.problems = append(v.problems, s.inconsistentReads...)
	v.problems = append(v.problems, s.restartErrors...)
	modules := []string{sharedModule}
	for p := range s.o.pushers {
		modules = append(modules, ownModule(p))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, module := range modules {
		v.modules++
		var all []*v1.Version
		token := ""
		for {
			var resp *connect.Response[v1.ListVersionsResponse]
			_, err := s.try(ctx, func(ctx context.Context, i int) error {
				var err error
				resp, err = s.clients[i].ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: module, PageSize: 1000, PageToken: token}))
				return err
			})
			if err != nil {
				v.problems = append(v.problems, fmt.Sprintf("%s: list versions: %v", module, err))
				break
			}
			all = append(all, resp.Msg.Versions...)
			if token = resp.Msg.NextPageToken; token == "" {
				break
			}
		}
		v.versions += len(all)
		slices.SortFunc(all, func(a, b *v1.Version) int { return int(a.Number - b.Number) })
		byNumber := map[int64]string{}
		seen := map[string]int64{}
		lastSeq := 0
		for i, ver := range all {
			if ver.Number != int64(i+1) {
				v.problems = append(v.problems, fmt.Sprintf("%s: version %d at position %d: the versions are not 1…%d without gaps", module, ver.Number, i+1, len(all)))
				break
			}
			byNumber[ver.Number] = ver.Digest
			if prev, dup := seen[ver.Digest]; dup {
				v.problems = append(v.problems, fmt.Sprintf("%s: versions %d and %d have the same digest %s", module, prev, ver.Number, ver.Digest))
			}
			seen[ver.Digest] = ver.Number
			what, ok := s.digests[ver.Digest]
			switch {
			case !ok || what.module != module:
				v.problems = append(v.problems, fmt.Sprintf("%s: version %d has digest %s, which no pusher sent to this module", module, ver.Number, ver.Digest))
			case what.own && what.seq <= lastSeq:
				v.problems = append(v.problems, fmt.Sprintf("%s: version %d is push %d of its pusher, after push %d: a push landed on a baseline newer than it was checked against", module, ver.Number, what.seq, lastSeq))
			case what.own:
				lastSeq = what.seq
			}
			if _, ok := s.acked[module][ver.Number]; !ok {
				v.unacknowledged++
			}
		}
		for n, digest := range s.acked[module] {
			if byNumber[n] != digest {
				v.lost++
				v.problems = append(v.problems, fmt.Sprintf("%s: version %d was acknowledged with digest %s, the registry has %q", module, n, digest, byNumber[n]))
			}
		}
	}
	return v
}

// print writes the results as Markdown table rows (measure | value) and
// the details of errors as list items, for bench/soak.sh.
func (s *soak) print(v *verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	classes := map[string]int{}
	details := map[string]string{}
	var lat []time.Duration
	created, retried, slow, maxAttempts := 0, 0, 0, 0
	for _, o := range s.pushes {
		classes[o.class]++
		if o.class == "accepted" {
			lat = append(lat, o.latency)
			if o.created {
				created++
			}
		} else if details[o.class] == "" {
			details[o.class] = o.detail
		}
		if o.attempts > 1 {
			retried++
		}
		if o.latency > 2*s.o.attemptTimeout {
			slow++
		}
		maxAttempts = max(maxAttempts, o.attempts)
	}
	var readLat []time.Duration
	readErrs := map[string]int{}
	readErrDetail := map[string]string{}
	readRetried := 0
	for _, r := range s.reads {
		if r.err != "" {
			readErrs[r.kind]++
			if readErrDetail[r.kind] == "" {
				readErrDetail[r.kind] = r.err
			}
			continue
		}
		readLat = append(readLat, r.latency)
		if r.attempts > 1 {
			readRetried++
		}
	}
	other := 0
	var otherNames []string
	for c, n := range classes {
		switch c {
		case "accepted", "aborted", "incompatible":
		default:
			other += n
			otherNames = append(otherNames, fmt.Sprintf("%s %d", c, n))
		}
	}
	sort.Strings(otherNames)
	readErrCount := 0
	for _, n := range readErrs {
		readErrCount += n
	}
	row := func(k, format string, args ...any) { fmt.Printf("| %s | %s |\n", k, fmt.Sprintf(format, args...)) }
	row("pushers / readers / duration", "%d / %d / %s", s.o.pushers, s.o.readers, s.o.duration)
	row("fault pacing", "one fault every %s–%s; SIGSTOP lasts 0.5 s–%s; a request unanswered in %s is retried on the other instance",
		s.o.chaosEvery/2, s.o.chaosEvery*3/2, s.o.stopMax, s.o.attemptTimeout)
	row("faults: kill -9 + restart / SIGSTOP + SIGCONT", "%d / %d", s.kills, s.stops)
	row("restart, kill to listening: p50 / max", "%s / %s", ms(quantile(s.restarts, 0.5)), ms(quantile(s.restarts, 1)))
	row("pushes attempted", "%d", len(s.pushes))
	row("accepted", "%d (%d new versions; %d needed a retry on the other instance)", classes["accepted"], created, retried)
	row("**rejected as aborted** (goal 0)", "**%d** (%.1f %%)", classes["aborted"], pct(classes["aborted"], len(s.pushes)))
	row("rejected as incompatible (expected 0)", "%d", classes["incompatible"])
	row("other errors", "%d%s", other, parenthesised(strings.Join(otherNames, ", ")))
	row("push latency p50 / p99 / max (accepted, retries included)", "%s / %s / %s", ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99)), ms(quantile(lat, 1)))
	row("pushes slower than twice the attempt timeout (the undisturbed instance was slow too)", "%d (most attempts for one push: %d)", slow, maxAttempts)
	row("reads", "%d ok (%d needed a retry), %d failed", len(readLat), readRetried, readErrCount)
	row("read latency p50 / p99 / max", "%s / %s / %s", ms(quantile(readLat, 0.5)), ms(quantile(readLat, 0.99)), ms(quantile(readLat, 1)))
	row("versions stored", "%d in %d modules (%d whose push was never acknowledged)", v.versions, v.modules, v.unacknowledged)
	row("**lost**", "**%d**", v.lost)
	row("history problems (gaps, duplicates, stale baselines, inconsistent reads)", "%d", len(v.problems))
	if n := classes["aborted"]; n > 0 {
		what := fmt.Sprintf("%d always-compatible pushes", n)
		if n == 1 {
			what = "1 always-compatible push"
		}
		fmt.Printf("- **Aborted is not 0**: %s failed because other pushes kept landing between its check and its commit, more often than the server checks a push again; the goal is 0 (issue 8).\n", what)
	}
	for _, c := range slices.Sorted(maps.Keys(details)) {
		fmt.Printf("- first `%s` push: %s\n", c, oneLine(details[c]))
	}
	for _, k := range slices.Sorted(maps.Keys(readErrDetail)) {
		fmt.Printf("- first failed `%s` read (%d failed): %s\n", k, readErrs[k], oneLine(readErrDetail[k]))
	}
	for i, p := range v.problems {
		if i == 20 {
			fmt.Printf("- … and %d more problems\n", len(v.problems)-20)
			break
		}
		fmt.Printf("- problem: %s\n", oneLine(p))
	}
	fmt.Printf("SEED %d\n", s.o.seed)
}

func parenthesised(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// oneLine shortens an error message to one line of at most 300 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[int(float64(len(d)-1)*q)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// instance is one registryd process, restarted on the same address.
type instance struct {
	name, bin, databaseURL, logPath, logLevel string

	mu      sync.Mutex
	url     string // set by the first start; later starts listen on its port
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
}

// start starts the process and waits until it listens.
func (in *instance) start() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	listen := "127.0.0.1:0"
	if in.url != "" {
		listen = strings.TrimPrefix(in.url, "http://")
	}
	logFile, err := os.OpenFile(in.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(in.bin, "--listen", listen, "--log-format", "json", "--log-level", in.logLevel, "--database-url", in.databaseURL)
	// The instance dies with the soak, even when the soak is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return err
	}
	cmd.Stdout = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", in.name, err)
	}
	listening := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		sent := false
		for sc.Scan() {
			_, _ = logFile.Write(append(sc.Bytes(), '\n'))
			var rec struct{ Msg, URL string }
			if !sent && json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "registryd listening" {
				listening <- rec.URL
				sent = true
			}
		}
		_, _ = io.Copy(logFile, stderr)
		close(listening)
	}()
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case url, ok := <-listening:
		if !ok {
			<-exited
			return fmt.Errorf("%s exited before listening (%s); see %s", in.name, cmd.ProcessState, in.logPath)
		}
		in.url, in.cmd, in.exited, in.stopped = url, cmd, exited, false
		return nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%s did not listen within 60 s; see %s", in.name, in.logPath)
	}
}

// kill sends SIGKILL and waits for the process to exit.
func (in *instance) kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.exited
	in.cmd = nil
}

// signal sends SIGSTOP or SIGCONT.
func (in *instance) signal(sig syscall.Signal) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(sig)
	in.stopped = sig == syscall.SIGSTOP
}

// ensureRunning continues a stopped instance and restarts one that is
// not running.
func (in *instance) ensureRunning() error {
	in.mu.Lock()
	if in.cmd != nil && in.stopped {
		_ = in.cmd.Process.Signal(syscall.SIGCONT)
		in.stopped = false
	}
	running := in.cmd != nil
	if running {
		select {
		case <-in.exited:
			running = false
			in.cmd = nil
		default:
		}
	}
	in.mu.Unlock()
	if running {
		return nil
	}
	return in.start()
}

// terminate stops the process for good: SIGCONT, SIGTERM, and SIGKILL
// when it has not exited after 10 s.
func (in *instance) terminate() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGCONT)
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(10 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.exited
	}
	in.cmd = nil
}
