// Command registry benchmarks registryd with long histories: for each
// history length (10, 1,000 and 10,000 prior versions of a 200-message
// module by default) it seeds the store directly up to that many versions,
// starts the registryd binary on it, and measures through its HTTP API
// (Connect protocol, binary protobuf):
//
//   - push latency: sequential pushes of new content (each checked against
//     the latest version, compiled, and committed), p50 and p99;
//   - GetDescriptorSet throughput: concurrent clients asking for random
//     versions of the history, requests per second;
//   - registryd's memory: resident set size after the reads, and its peak.
//
// It prints one Markdown table row per history length; bench/registry.sh
// assembles them into BENCHMARKS.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/cel"
	"github.com/pbregistry/pbregistry/registry/postgres"
	"github.com/pbregistry/pbregistry/registry/protocompile"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

func main() {
	registryd := flag.String("registryd", "", "path of the registryd binary (required)")
	backend := flag.String("backend", "sqlite", "store: sqlite or postgres")
	dataDir := flag.String("data-dir", "", "SQLite data directory (sqlite; required)")
	databaseURL := flag.String("database-url", "", "PostgreSQL URL of an empty schema (postgres; required)")
	levels := flag.String("levels", "10,1000,10000", "history lengths to measure at, increasing")
	pushes := flag.Int("pushes", 100, "measured pushes per history length")
	readSeconds := flag.Float64("read-seconds", 5, "seconds of GetDescriptorSet load per history length")
	concurrency := flag.Int("concurrency", 8, "concurrent GetDescriptorSet clients")
	bigFiles := flag.Int("big-files", 0, "instead of the history levels: push latency of a module of this many files (e.g. 2000) against a latest version of the same size, next to pbcheck breaking of the same pair")
	pbcheck := flag.String("pbcheck", "", "with -big-files: the pbcheck binary to time on the same pair")
	flag.Parse()
	if *bigFiles > 0 {
		if err := runBig(*registryd, *backend, *dataDir, *databaseURL, *bigFiles, *pushes, *pbcheck); err != nil {
			fmt.Fprintln(os.Stderr, "bench/registry:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*registryd, *backend, *dataDir, *databaseURL, *levels, *pushes, *readSeconds, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "bench/registry:", err)
		os.Exit(1)
	}
}

// moduleName is the benchmarked module.
const moduleName = "acme/bench"

// result is the measurements at one history length.
type result struct {
	versions          int64
	p50, p99          time.Duration
	readsPerSec       float64 // gzip responses, as Connect clients ask by default
	readsPerSecPlain  float64 // uncompressed responses
	rssMiB, hwmMiB    float64
	descriptorSetSize int
}

func run(registryd, backend, dataDir, databaseURL, levelList string, pushes int, readSeconds float64, concurrency int) error {
	if registryd == "" {
		return fmt.Errorf("-registryd is required")
	}
	open, storeArgs, err := storeOf(backend, dataDir, databaseURL)
	if err != nil {
		return err
	}
	var levels []int64
	for _, s := range strings.Split(levelList, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("-levels: %q is not a positive number", s)
		}
		levels = append(levels, n)
	}
	mod := newModule()
	var results []result
	for _, level := range levels {
		start := time.Now()
		latest, err := seed(open, mod, level)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: seeded %d versions in %s\n", backend, latest, time.Since(start).Round(time.Millisecond))
		r, err := measure(registryd, storeArgs, mod, latest, pushes, readSeconds, concurrency)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: %d versions: push p50 %s p99 %s, GetDescriptorSet %.0f req/s, RSS %.0f MiB (peak %.0f)\n",
			backend, r.versions, r.p50, r.p99, r.readsPerSec, r.rssMiB, r.hwmMiB)
		results = append(results, r)
	}
	for _, r := range results {
		fmt.Printf("| %s | %d | %s | %s | %.0f | %.0f | %.0f | %.0f |\n", backend, r.versions, ms(r.p50), ms(r.p99), r.readsPerSec, r.readsPerSecPlain, r.rssMiB, r.hwmMiB)
	}
	first, last := results[0], results[len(results)-1]
	fmt.Printf("RATIO %s %d %d %.2f %.2f %d\n", backend, first.versions, last.versions,
		float64(last.p50)/float64(first.p50), float64(last.p99)/float64(first.p99), last.descriptorSetSize)
	return nil
}

// storeOf returns how to open the store directly and registryd's flags
// for it.
func storeOf(backend, dataDir, databaseURL string) (func(context.Context) (registry.Store, error), []string, error) {
	open := func(ctx context.Context) (registry.Store, error) {
		if backend == "postgres" {
			return postgres.Open(ctx, databaseURL, postgres.Options{})
		}
		return sqlite.Dir(ctx, dataDir, sqlite.Options{})
	}
	switch {
	case backend == "sqlite" && dataDir != "":
		return open, []string{"--data-dir", dataDir}, nil
	case backend == "postgres" && databaseURL != "":
		return open, []string{"--database-url", databaseURL}, nil
	}
	return nil, nil, fmt.Errorf("-backend sqlite needs -data-dir, -backend postgres needs -database-url")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// module is the benchmarked module: pbregistry.yaml and ten files of 20
// messages each, with three subjects (a pbtable, an event, a log) whose
// scopes hold three messages and an enum.
type module struct {
	config []byte
	files  []registry.File
}

func newModule() *module {
	m := &module{config: []byte(`version: v1
module: ` + moduleName + `
subjects:
  - message: acme.bench.v1.File00M20
    kind: pbtable
    primary_key: [id]
  - message: acme.bench.v1.File01M20
    kind: event
  - message: acme.bench.v1.File02M20
    kind: log
`)}
	for f := range 10 {
		// 10 files of 20 messages: File<f>M01…File<f>M20, each Mi
		// holding M(i-1) unless i%3 == 0 (nesting stays within the
		// pbtable policy's depth).
		var b strings.Builder
		fmt.Fprintf(&b, "syntax = \"proto3\";\n\npackage acme.bench.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n\n")
		fmt.Fprintf(&b, "enum File%02dStatus {\n  FILE%02d_STATUS_UNSPECIFIED = 0;\n  FILE%02d_STATUS_OPEN = 1;\n  FILE%02d_STATUS_CLOSED = 2;\n}\n\n", f, f, f, f)
		for i := 1; i <= 20; i++ {
			fmt.Fprintf(&b, "// File%02dM%02d is message %d of file %d.\nmessage File%02dM%02d {\n", f, i, i, f, f, i)
			fmt.Fprintf(&b, "  string id = 1;\n  int64 amount = 2;\n  File%02dStatus status = 3;\n  repeated string tags = 4;\n  map<string, string> labels = 5;\n", f)
			if i%3 != 0 && i > 1 {
				fmt.Fprintf(&b, "  File%02dM%02d previous = 6;\n", f, i-1)
			}
			fmt.Fprintf(&b, "  optional double ratio = 7;\n  bytes payload = 8;\n  string event_id = 9;\n  google.protobuf.Timestamp occurred_at = 10;\n}\n\n")
		}
		m.files = append(m.files, registry.File{Path: fmt.Sprintf("acme/bench/v1/file%02d.proto", f), Content: []byte(b.String())})
	}
	return m
}

// variant returns the module's files with a trailing comment naming tag
// in the last file: new content, the same schema.
func (m *module) variant(tag string) []registry.File {
	files := slices.Clone(m.files)
	last := &files[len(files)-1]
	last.Content = append(slices.Clone(last.Content), []byte("// "+tag+"\n")...)
	return files
}

// seed brings the module to at least n versions: version 1 through the
// push service (so that subjects and the ledger are real), the others
// straight through Store.CommitPush with version 1's descriptor set.
func seed(open func(context.Context) (registry.Store, error), m *module, n int64) (int64, error) {
	ctx := context.Background()
	store, err := open(ctx)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	latest := int64(0)
	if mod, err := store.GetModule(ctx, moduleName); err == nil {
		latest = mod.LatestVersion
	}
	if latest == 0 {
		svc := registry.NewService(store, registry.ServiceOptions{Compiler: protocompile.Compiler{}, Policies: cel.NewEngine(nil, policies.Limits{})})
		files := append(m.variant("seed 1"), registry.File{Path: registry.ConfigFileName, Content: m.config})
		if _, _, _, err := svc.Push(ctx, registry.PushRequest{Files: files, Principal: "bench"}); err != nil {
			return 0, fmt.Errorf("seed version 1: %w", err)
		}
		latest = 1
	}
	ds, err := store.GetDescriptorSet(ctx, moduleName, 1)
	if err != nil {
		return 0, err
	}
	var specs []registry.SubjectSpec
	subs, err := store.ListSubjects(ctx, moduleName)
	if err != nil {
		return 0, err
	}
	for _, s := range subs {
		specs = append(specs, registry.SubjectSpec{Name: s.Name, Kind: s.Kind, PrimaryKey: s.PrimaryKey, Compatibility: s.Pushed})
	}
	for latest < n {
		files := m.variant(fmt.Sprintf("seed %d", latest+1))
		c := registry.PushCommit{
			Module: moduleName, BaseVersion: latest, Files: files, DescriptorSet: ds, Config: m.config,
			Principal: "bench", Subjects: specs, Build: registry.BuildInfo{Commit: fmt.Sprintf("%040d", latest+1)},
		}
		if c.Digest, err = registry.Digest(files, m.config); err != nil {
			return 0, err
		}
		v, _, err := store.CommitPush(ctx, c)
		if err != nil {
			return 0, fmt.Errorf("seed version %d: %w", latest+1, err)
		}
		latest = v.Number
	}
	return latest, nil
}

// measure starts registryd on the store and measures it.
func measure(bin string, storeArgs []string, m *module, versions int64, pushes int, readSeconds float64, concurrency int) (result, error) {
	r := result{versions: versions}
	cmd, url, err := startRegistryd(bin, storeArgs)
	if err != nil {
		return r, err
	}
	defer stopRegistryd(cmd)
	client := pbregistryv1connect.NewRegistryServiceClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, url)
	ctx := context.Background()
	push := func(tag string) (time.Duration, error) { return pushVariant(ctx, client, m, tag) }
	for i := range 5 {
		if _, err := push(fmt.Sprintf("warm-up %d at %d", i, versions)); err != nil {
			return r, err
		}
	}
	var lat []time.Duration
	for i := range pushes {
		d, err := push(fmt.Sprintf("push %d at %d", i, versions))
		if err != nil {
			return r, err
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	r.p50 = lat[len(lat)/2]
	r.p99 = lat[min(len(lat)-1, len(lat)*99/100)]

	plain := pbregistryv1connect.NewRegistryServiceClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, url,
		connect.WithAcceptCompression("gzip", nil, nil))
	if r.readsPerSec, err = readLoad(ctx, client, versions, readSeconds, concurrency, &r.descriptorSetSize); err != nil {
		return r, err
	}
	if r.readsPerSecPlain, err = readLoad(ctx, plain, versions, readSeconds, concurrency, &r.descriptorSetSize); err != nil {
		return r, err
	}
	r.rssMiB, r.hwmMiB, err = memory(cmd.Process.Pid)
	return r, err
}

// startRegistryd starts the registryd binary on the store and returns it
// with its URL once it listens.
func startRegistryd(bin string, storeArgs []string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0", "--log-format", "json"}, storeArgs...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	url := ""
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var rec struct{ Msg, URL string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "registryd listening" {
			url = rec.URL
			break
		}
	}
	if url == "" {
		stopRegistryd(cmd)
		return nil, "", fmt.Errorf("registryd did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return cmd, url, nil
}

// stopRegistryd stops registryd and waits for it.
func stopRegistryd(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

// pushVariant pushes m.variant(tag) with the module's configuration and
// returns the request's latency; the push must create a version.
func pushVariant(ctx context.Context, client pbregistryv1connect.RegistryServiceClient, m *module, tag string) (time.Duration, error) {
	files := []*v1.File{{Path: registry.ConfigFileName, Content: m.config}}
	for _, f := range m.variant(tag) {
		files = append(files, &v1.File{Path: f.Path, Content: f.Content})
	}
	start := time.Now()
	resp, err := client.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files}))
	if err != nil {
		return 0, err
	}
	if !resp.Msg.Created {
		return 0, fmt.Errorf("push %s was not new", tag)
	}
	return time.Since(start), nil
}

// readLoad runs concurrency clients asking for random versions' descriptor
// sets for seconds, and returns the requests per second.
func readLoad(ctx context.Context, client pbregistryv1connect.RegistryServiceClient, versions int64, seconds float64, concurrency int, size *int) (float64, error) {
	var count atomic.Int64
	var failed atomic.Value
	var sizeOnce sync.Once
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n := 1 + rand.Int64N(versions)
				resp, err := client.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: moduleName, Version: n}))
				if err != nil {
					failed.Store(err)
					return
				}
				sizeOnce.Do(func() { *size = len(resp.Msg.FileDescriptorSet) })
				count.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, fmt.Errorf("GetDescriptorSet: %w", err)
	}
	return float64(count.Load()) / time.Since(start).Seconds(), nil
}

// memory returns the resident set size of process pid and its peak, in
// MiB, from /proc.
func memory(pid int) (rss, hwm float64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}
