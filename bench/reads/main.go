// Command reads benchmarks registryd's read path against the ceiling of
// the machine: for descriptor sets of about 1 KB, 200 KB and 5 MB (one
// module each, seeded straight into a SQLite store), it starts the
// registryd binary with a read cache of -cache-bytes and, as a separate
// process, a bare Go net/http handler writing the same bytes (this
// binary with -serve-bare), then drives both from one load generator — N
// keep-alive connections over loopback, each sending GET
// /modules/{m}/versions/1/image.binpb back to back for a fixed time —
// alternating between the two (and registryd's Connect GetDescriptorSet,
// binary protobuf, with -connect), identity and gzip (the bare handler sends
// the same gzip bytes registryd precompressed). It reports requests/s,
// p50 and p99 latency of each and their ratios, and registryd's resident
// memory (sampled under the load, and its peak) against the cache bound.
//
// It prints Markdown rows for bench/reads.sh.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

func main() {
	registryd := flag.String("registryd", "", "path of the registryd binary (required)")
	dataDir := flag.String("data-dir", "", "SQLite data directory to seed (required; emptied)")
	sizes := flag.String("sizes", "1000,200000,5000000", "approximate descriptor set sizes in bytes")
	conns := flag.Int("connections", 64, "concurrent keep-alive connections")
	seconds := flag.Float64("seconds", 5, "seconds of load per measurement")
	rounds := flag.Int("rounds", 2, "alternations of bare and registryd per size and encoding")
	cacheBytes := flag.Int64("cache-bytes", 64<<20, "registryd's cache.max_bytes")
	withConnect := flag.Bool("connect", true, "also load registryd's Connect GetDescriptorSet (binary protobuf)")
	bare := flag.String("serve-bare", "", "internal: serve the files of this directory as a bare handler")
	flag.Parse()
	if *bare != "" {
		serveBare(*bare)
		return
	}
	if err := run(*registryd, *dataDir, *sizes, *conns, *seconds, *rounds, *cacheBytes, *withConnect); err != nil {
		fmt.Fprintln(os.Stderr, "bench/reads:", err)
		os.Exit(1)
	}
}

// serveBare serves dir's files: GET /{name} writes the file's bytes, and
// /{name}.gz's with Content-Encoding: gzip when the client accepts gzip —
// the least a Go server can do per request. It prints its URL.
func serveBare(dir string) {
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		files["/"+e.Name()] = data
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if z, ok := files[r.URL.Path+".gz"]; ok && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			data = z
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}))
}

// descriptorSet returns a serialized FileDescriptorSet of about size
// bytes: files of messages with a dozen fields each.
func descriptorSet(size int) []byte {
	fds := &descriptorpb.FileDescriptorSet{}
	var f *descriptorpb.FileDescriptorProto
	for m := 0; ; m++ {
		if m%50 == 0 {
			f = &descriptorpb.FileDescriptorProto{
				Name:    proto.String(fmt.Sprintf("acme/reads/v1/file%04d.proto", m/50)),
				Package: proto.String("acme.reads.v1"),
				Syntax:  proto.String("proto3"),
			}
			fds.File = append(fds.File, f)
		}
		msg := &descriptorpb.DescriptorProto{Name: proto.String(fmt.Sprintf("Message%05d", m))}
		for i := range 12 {
			msg.Field = append(msg.Field, &descriptorpb.FieldDescriptorProto{
				Name:     proto.String(fmt.Sprintf("field_%d_of_message_%d", i, m)),
				JsonName: proto.String(fmt.Sprintf("field%dOfMessage%d", i, m)),
				Number:   proto.Int32(int32(i + 1)),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			})
		}
		f.MessageType = append(f.MessageType, msg)
		if m%4 == 0 || size > 100_000 {
			if n := proto.Size(fds); n >= size {
				data, _ := proto.Marshal(fds)
				return data
			}
		}
		if size <= 2000 && len(msg.Field) > 0 {
			// Small sets: trim to one field per message to land near size.
			msg.Field = msg.Field[:1]
			if proto.Size(fds) >= size {
				data, _ := proto.Marshal(fds)
				return data
			}
		}
	}
}

// target is one server under load: GET base, or, with body set, a
// Connect unary POST of body to base.
type target struct {
	name, base string
	body       []byte
}

// wantLen returns the body length to expect: n, or any for Connect.
func (t target) wantLen(n int) int {
	if t.body != nil {
		return 0
	}
	return n
}

// stats are one measurement.
type stats struct {
	reqs     int64
	secs     float64
	cpu      float64 // the server's CPU seconds
	p50, p99 time.Duration
	bytes    int64
	errors   int64
}

func (s stats) rps() float64 { return float64(s.reqs) / s.secs }

// cpuPerReq returns the server's CPU microseconds per request.
func (s stats) cpuPerReq() float64 { return s.cpu / float64(max(s.reqs, 1)) * 1e6 }

// load runs conns connections sending GET url back to back for d, each
// reading the whole body, and returns the counts and latencies.
func load(url string, body []byte, gz bool, conns int, d time.Duration, wantLen int) stats {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var errs, total atomic.Int64
	lats := make([][]time.Duration, conns)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if body != nil {
					req, _ = http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/proto")
				}
				if gz {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				n, err := io.CopyBuffer(io.Discard, resp.Body, buf)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || (wantLen > 0 && int(n) != wantLen) {
					errs.Add(1)
					continue
				}
				lats[c] = append(lats[c], time.Since(t0))
				total.Add(n)
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	all := slices.Concat(lats...)
	slices.Sort(all)
	s := stats{reqs: int64(len(all)), secs: secs, bytes: total.Load(), errors: errs.Load()}
	if len(all) > 0 {
		s.p50 = all[len(all)/2]
		s.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return s
}

// memory returns a process's resident set and its peak, in MiB.
func memory(pid int) (rss, hwm float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// cpuSeconds returns a process's user and system CPU time so far.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with ')': state is
	// field 3, utime 14, stime 15.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100 // USER_HZ
}

// startProcess starts cmd and returns the URL it announces: on stdout
// (the bare handler) or in registryd's JSON log on stderr.
func startProcess(cmd *exec.Cmd, fromLog bool) (string, error) {
	var r io.ReadCloser
	var err error
	if fromLog {
		r, err = cmd.StderrPipe()
	} else {
		r, err = cmd.StdoutPipe()
	}
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(r)
	url := ""
	for sc.Scan() {
		if !fromLog {
			url = strings.TrimSpace(sc.Text())
			break
		}
		var rec struct{ Msg, URL string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "registryd listening" {
			url = rec.URL
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if url == "" {
		return "", fmt.Errorf("%s did not start", cmd.Path)
	}
	return url, nil
}

func run(registryd, dataDir, sizeList string, conns int, seconds float64, rounds int, cacheBytes int64, withConnect bool) error {
	if registryd == "" || dataDir == "" {
		return fmt.Errorf("-registryd and -data-dir are required")
	}
	if err := os.RemoveAll(dataDir); err != nil {
		return err
	}
	bareDir := filepath.Join(dataDir, "bare")
	if err := os.MkdirAll(bareDir, 0o755); err != nil {
		return err
	}
	ctx := context.Background()
	store, err := sqlite.Dir(ctx, filepath.Join(dataDir, "store"), sqlite.Options{})
	if err != nil {
		return err
	}
	type set struct {
		module string
		data   []byte
		gzLen  int
	}
	var sets []set
	for _, s := range strings.Split(sizeList, ",") {
		size, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || size < 100 {
			return fmt.Errorf("-sizes: %q is not a size in bytes", s)
		}
		module := fmt.Sprintf("acme/reads%d", size)
		ds := descriptorSet(size)
		files := []registry.File{{Path: "acme/reads/v1/reads.proto", Content: []byte("syntax = \"proto3\";\npackage acme.reads.v1;\n")}}
		config := []byte("version: v1\nmodule: " + module + "\n")
		digest, err := registry.Digest(files, config)
		if err != nil {
			return err
		}
		if _, _, err := store.CommitPush(ctx, registry.PushCommit{Module: module, Digest: digest, Files: files, DescriptorSet: ds, Config: config, Principal: "bench"}); err != nil {
			return fmt.Errorf("seed %s: %w", module, err)
		}
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(ds)
		_ = zw.Close()
		name := strings.ReplaceAll(module, "/", "_")
		if err := os.WriteFile(filepath.Join(bareDir, name), ds, 0o644); err != nil {
			return err
		}
		gzLen := 0
		if len(ds) >= 1024 && zb.Len() < len(ds) {
			gzLen = zb.Len()
			if err := os.WriteFile(filepath.Join(bareDir, name+".gz"), zb.Bytes(), 0o644); err != nil {
				return err
			}
		}
		sets = append(sets, set{module: module, data: ds, gzLen: gzLen})
	}
	store.Close()

	cfgPath := filepath.Join(dataDir, "registryd.yaml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, "cache:\n  max_bytes: %d\nhttp:\n  max_concurrent_requests: %d\n", cacheBytes, 4*conns), 0o644); err != nil {
		return err
	}
	reg := exec.Command(registryd, "--listen", "127.0.0.1:0", "--log-format", "json", "--data-dir", filepath.Join(dataDir, "store"), "--config", cfgPath)
	regURL, err := startProcess(reg, true)
	if err != nil {
		return err
	}
	defer func() { _ = reg.Process.Signal(syscall.SIGTERM); _ = reg.Wait() }()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bareCmd := exec.Command(self, "-serve-bare", bareDir)
	bareURL, err := startProcess(bareCmd, false)
	if err != nil {
		return err
	}
	defer func() { _ = bareCmd.Process.Kill(); _ = bareCmd.Wait() }()

	d := time.Duration(seconds * float64(time.Second))
	var peakUnderLoad float64
	for _, s := range sets {
		name := strings.ReplaceAll(s.module, "/", "_")
		for _, gz := range []bool{false, true} {
			if gz && s.gzLen == 0 {
				continue
			}
			wantLen := len(s.data)
			if gz {
				wantLen = s.gzLen
			}
			targets := []target{
				{"bare", bareURL + "/" + name, nil},
				{"registryd", regURL + "/modules/" + s.module + "/versions/1/image.binpb", nil},
			}
			pids := []int{bareCmd.Process.Pid, reg.Process.Pid, reg.Process.Pid}
			if withConnect {
				req, _ := proto.Marshal(&v1.GetDescriptorSetRequest{Module: s.module, Version: 1})
				targets = append(targets, target{"connect", regURL + "/pbregistry.v1.RegistryService/GetDescriptorSet", req})
			}
			// Warm up: registryd loads the cache, both fill connections.
			for _, t := range targets {
				load(t.base, t.body, gz, conns, d/5, t.wantLen(wantLen))
			}
			var sum [3]stats
			var p50s, p99s [3][]time.Duration
			for range rounds {
				for i, t := range targets {
					done := make(chan struct{})
					if t.name != "bare" {
						go func() {
							tick := time.NewTicker(100 * time.Millisecond)
							defer tick.Stop()
							for {
								select {
								case <-done:
									return
								case <-tick.C:
									rss, _ := memory(reg.Process.Pid)
									peakUnderLoad = max(peakUnderLoad, rss)
								}
							}
						}()
					}
					cpu0 := cpuSeconds(pids[i])
					st := load(t.base, t.body, gz, conns, d, t.wantLen(wantLen))
					st.cpu = cpuSeconds(pids[i]) - cpu0
					close(done)
					if st.errors > 0 {
						fmt.Fprintf(os.Stderr, "%s %s: %d failed requests\n", t.name, s.module, st.errors)
					}
					sum[i].reqs += st.reqs
					sum[i].secs += st.secs
					sum[i].errors += st.errors
					sum[i].cpu += st.cpu
					p50s[i] = append(p50s[i], st.p50)
					p99s[i] = append(p99s[i], st.p99)
				}
			}
			for i := range targets {
				// Percentiles: the median round's.
				slices.Sort(p50s[i])
				slices.Sort(p99s[i])
				sum[i].p50, sum[i].p99 = p50s[i][len(p50s[i])/2], p99s[i][len(p99s[i])/2]
			}
			enc := "identity"
			if gz {
				enc = "gzip"
			}
			b, r := sum[0], sum[1]
			fmt.Fprintf(os.Stderr, "%s %s (%d B): bare %.0f req/s p50 %s p99 %s, %.0f µs CPU/req; registryd %.0f req/s p50 %s p99 %s, %.0f µs CPU/req\n",
				s.module, enc, wantLen, b.rps(), b.p50, b.p99, b.cpuPerReq(), r.rps(), r.p50, r.p99, r.cpuPerReq())
			fmt.Printf("| %s | %s | %s | %.0f | %.0f | **%.2f** | %s / %s | %s / %s | **%.2f** | %.0f / %.0f |\n",
				humanBytes(len(s.data)), enc, humanBytes(wantLen), b.rps(), r.rps(), r.rps()/b.rps(),
				ms(b.p50), ms(b.p99), ms(r.p50), ms(r.p99), float64(r.p99)/float64(b.p99), b.cpuPerReq(), r.cpuPerReq())
			if withConnect {
				c := sum[2]
				fmt.Fprintf(os.Stderr, "%s %s Connect GetDescriptorSet: %.0f req/s p50 %s p99 %s, %.0f µs CPU/req\n", s.module, enc, c.rps(), c.p50, c.p99, c.cpuPerReq())
				fmt.Printf("CONNECT | %s | %s | %.0f | **%.2f** | %s / %s | **%.2f** | %.0f |\n", humanBytes(len(s.data)), enc, c.rps(), c.rps()/b.rps(),
					ms(c.p50), ms(c.p99), float64(c.p99)/float64(b.p99), c.cpuPerReq())
			}
		}
	}
	rss, hwm := memory(reg.Process.Pid)
	total := 0
	for _, s := range sets {
		total += len(s.data) + s.gzLen
	}
	fmt.Printf("MEMORY %.0f %.0f %.0f %d %d\n", peakUnderLoad, rss, hwm, cacheBytes, total)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
