package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"google.golang.org/protobuf/proto"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/server"
)

// checkPushPath is CheckPush's URL path.
const checkPushPath = "/pbregistry.v1.RegistryService/CheckPush"

// checkPushBody returns a Connect-protocol CheckPush request body (binary
// proto) of the quickstart module, its proto padded with a comment to at
// least size bytes.
func checkPushBody(t *testing.T, size int) []byte {
	t.Helper()
	fs := files("int64", "")
	if pad := size - len(fs[1].Content); pad > 0 {
		fs[1].Content = append(fs[1].Content, "//"+strings.Repeat("x", pad)+"\n"...)
	}
	b, err := proto.Marshal(&v1.CheckPushRequest{Files: fs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawRequest writes the head of a Connect CheckPush with a body of
// length bytes on a new connection to in, with extra header lines.
func rawRequest(t *testing.T, in *instance, length int, extra ...string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: registry\r\nContent-Type: application/proto\r\nContent-Length: %d\r\n", checkPushPath, length)
	for _, h := range extra {
		head += h + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestSlowBodies: request bodies trickling in slower than
// http.min_body_rate are cut once http.read_timeout's grace is spent and
// their connections closed, while a body that keeps pace may take longer
// than read_timeout.
func TestSlowBodies(t *testing.T) {
	cfg := &server.Config{HTTP: server.HTTPConfig{ReadTimeout: server.Duration(300 * time.Millisecond), MinBodyRate: 4096}}
	in := start(t, "", server.Options{Config: cfg})

	// 50 connections each announce 100 kB and send a byte every 20 ms
	// (50 B/s): each must be answered and closed by the server.
	const conns = 50
	type outcome struct {
		status string
		err    error
	}
	results := make(chan outcome, conns)
	began := time.Now()
	for range conns {
		conn := rawRequest(t, in, 100_000)
		go func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for range tick.C {
				if _, err := conn.Write([]byte{'x'}); err != nil {
					return // the server closed the connection
				}
			}
		}()
		go func() {
			// A generous guard: the server closes these after 0.3 s.
			_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(conn)
			status, _ := br.ReadString('\n')
			_, err := io.Copy(io.Discard, br) // until the server closes
			results <- outcome{strings.TrimSpace(status), err}
		}()
	}
	answered := 0
	for range conns {
		o := <-results
		var ne net.Error
		if errors.As(o.err, &ne) && ne.Timeout() {
			t.Fatalf("a trickling connection was still open after 30 s (status line %q)", o.status)
		}
		// Connect answers DeadlineExceeded with 504; the server may also
		// close before the answer is read.
		if o.status != "" && !strings.HasPrefix(o.status, "HTTP/1.1 504") {
			t.Errorf("a trickling request was answered %q, want 504 (deadline_exceeded)", o.status)
		}
		if o.status != "" {
			answered++
		}
	}
	t.Logf("%d of %d trickling connections answered 504 before being closed, all closed (%s)", answered, conns, time.Since(began))

	// A 16 kB body at 10 kB/s takes longer than read_timeout (0.3 s) but
	// keeps above min_body_rate (4 kB/s): it is served.
	body := checkPushBody(t, 16_000)
	conn := rawRequest(t, in, len(body))
	for chunk := range slicesChunk(body, 1000) {
		if _, err := conn.Write(chunk); err != nil {
			t.Fatalf("a request keeping pace was cut: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // the pace of a slow client, not synchronisation
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if msg, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Errorf("a body at 10 kB/s for 1.6 s: %s %s, want 200", resp.Status, msg)
	}
}

// slicesChunk yields b in chunks of n bytes.
func slicesChunk(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			c := b[:min(n, len(b))]
			b = b[len(c):]
			if !yield(c) {
				return
			}
		}
	}
}

// TestConcurrencyCap: past http.max_concurrent_requests, requests get 503
// with Retry-After (a Connect client sees unavailable) and health checks
// still answer; once requests finish, requests are served again.
func TestConcurrencyCap(t *testing.T) {
	const limit = 4
	in := start(t, "", server.Options{Config: &server.Config{HTTP: server.HTTPConfig{MaxConcurrentRequests: limit}}})
	body := checkPushBody(t, 0)

	// Hold limit requests inside the server: each asks 100-continue, which
	// the server sends once the handler reads the body, after admission.
	var held []net.Conn
	for range limit {
		conn := rawRequest(t, in, len(body), "Expect: 100-continue")
		br := bufio.NewReader(conn)
		if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
			t.Fatalf("held request: %q, %v", line, err)
		}
		if _, err := br.ReadString('\n'); err != nil { // the blank line
			t.Fatal(err)
		}
		held = append(held, conn)
	}

	resp, err := http.Post(in.url+checkPushPath, "application/proto", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(msg), `"code":"unavailable"`) {
		t.Errorf("request past the cap: %s Retry-After %q %s, want 503, Retry-After 1, code unavailable", resp.Status, resp.Header.Get("Retry-After"), msg)
	}
	_, err = in.client("").ListModules(context.Background(), connect.NewRequest(&v1.ListModulesRequest{}))
	wantCode(t, "Connect client past the cap", err, connect.CodeUnavailable, "http.max_concurrent_requests")

	// Health checks are not counted.
	if resp, err := http.Get(in.url + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz at the cap: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	hc := grpchealth.NewClient(h2c, in.url)
	if r, err := hc.Check(context.Background(), &grpchealth.CheckRequest{}); err != nil || r.Status != grpchealth.StatusServing {
		t.Errorf("gRPC health at the cap: %v, %v", r, err)
	}

	// Finish the held requests: their answers are written after the
	// handler returns, so once read, their slots are free.
	for _, conn := range held {
		if _, err := conn.Write(body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("held request: %s", resp.Status)
		}
	}
	if _, err := in.client("").CheckPush(context.Background(), connect.NewRequest(&v1.CheckPushRequest{Files: files("int64", "")})); err != nil {
		t.Errorf("CheckPush after the held requests finished: %v", err)
	}
}

// heapPeak samples the heap in use until stop is closed and returns its
// peak, in bytes.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestInflightBytes: 32 requests of 6 MiB at once against
// http.max_inflight_bytes of 16 MiB: those past the cap get 503 with
// Retry-After, and the heap of this process (client and server) stays
// under 160 MiB above where it started (measured: about 38 MiB); without
// the cap, all 32 are read and decoded at once and the heap grows by about
// 400 MiB.
func TestInflightBytes(t *testing.T) {
	const (
		requests = 32
		size     = 6 << 20
		inflight = 16 << 20
		bound    = 160 << 20
	)
	cfg := &server.Config{
		HTTP: server.HTTPConfig{MaxInflightBytes: inflight},
		// Requests of 8 MiB, pushes of at most 1 MiB: each request is
		// read and decoded whole, then refused at once.
		Limits: server.LimitsConfig{MaxRequestBytes: 8 << 20, Limits: registry.Limits{MaxTotalBytes: 1 << 20}},
	}
	in := start(t, "", server.Options{Config: cfg})
	body := checkPushBody(t, size)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: requests, MaxIdleConnsPerHost: requests}}

	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	stop := make(chan struct{})
	peak := heapPeak(stop)

	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	retryAfter := true
	for range requests {
		wg.Go(func() {
			resp, err := client.Post(in.url+checkPushPath, "application/proto", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				retryAfter = false
			}
		})
	}
	wg.Wait()
	close(stop)
	grew := int64(<-peak) - int64(base)
	t.Logf("statuses %v; heap peak %.1f MiB above the start (bound %d MiB)", statuses, float64(grew)/(1<<20), bound>>20)
	if statuses[http.StatusServiceUnavailable] == 0 || !retryAfter {
		t.Errorf("statuses %v: want some 503 with Retry-After past max_inflight_bytes", statuses)
	}
	// The others were read and refused by the push limit (400,
	// invalid_argument).
	if statuses[http.StatusServiceUnavailable]+statuses[http.StatusBadRequest] != requests {
		t.Errorf("statuses %v: want only 503 and 400", statuses)
	}
	if grew > bound {
		t.Errorf("heap grew %d MiB, over the bound of %d MiB", grew>>20, bound>>20)
	}
}

// TestSlowBodyHTTP2: over h2c, as gRPC clients speak, a body trickling
// slower than http.min_body_rate is cut too: the stream fails with
// deadline_exceeded and the connection stays usable.
func TestSlowBodyHTTP2(t *testing.T) {
	cfg := &server.Config{HTTP: server.HTTPConfig{ReadTimeout: server.Duration(300 * time.Millisecond), MinBodyRate: 4096}}
	in := start(t, "", server.Options{Config: cfg})
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			if _, err := pw.Write([]byte{'x'}); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a generous guard
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url+checkPushPath, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/proto")
	resp, err := h2c.Do(req)
	if err != nil {
		t.Fatalf("a trickling h2c request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "request body too slow") {
		t.Errorf("a trickling h2c request: HTTP/%d %s %s, want HTTP/2 504 saying the body is too slow", resp.ProtoMajor, resp.Status, body)
	}
	if _, err := in.client("").ListModules(context.Background(), connect.NewRequest(&v1.ListModulesRequest{})); err != nil {
		t.Errorf("h2c request after the cut stream: %v", err)
	}
}

// TestInflightBytesChunked: a body without Content-Length counts against
// http.max_inflight_bytes as it is read; past the cap the request fails
// with 503, Retry-After and code unavailable.
func TestInflightBytesChunked(t *testing.T) {
	cfg := &server.Config{
		HTTP:   server.HTTPConfig{MaxInflightBytes: 8 << 20},
		Limits: server.LimitsConfig{MaxRequestBytes: 8 << 20},
	}
	in := start(t, "", server.Options{Config: cfg})
	// Hold 6 MiB: a request announcing them waits inside the server.
	held := rawRequest(t, in, 6<<20, "Expect: 100-continue")
	if line, err := bufio.NewReader(held).ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("held request: %q, %v", line, err)
	}
	// 3 MiB more, chunked: cut once past 8 MiB.
	req, err := http.NewRequest(http.MethodPost, in.url+checkPushPath, bytes.NewReader(checkPushBody(t, 3<<20)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/proto")
	req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), "http.max_inflight_bytes") {
		t.Errorf("chunked body past the cap (length %d): %s Retry-After %q %s, want 503, Retry-After 1, naming http.max_inflight_bytes", req.ContentLength, resp.Status, resp.Header.Get("Retry-After"), body)
	}
	// Once the held request is answered (its answer is written after its
	// handler returns), a chunked body is served.
	if _, err := held.Write(make([]byte, 6<<20)); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(held), nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	req, err = http.NewRequest(http.MethodPost, in.url+checkPushPath, bytes.NewReader(checkPushBody(t, 3<<20)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/proto")
	req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("chunked body alone: %s %s, want 200", resp.Status, body)
	}
}

// TestSlowReader: a client reading a response slower than
// http.min_body_rate after http.write_timeout's grace has it cut and its
// connection closed, so that it cannot hold a request slot and the
// response's memory; it reads only part of the response.
func TestSlowReader(t *testing.T) {
	cfg := &server.Config{HTTP: server.HTTPConfig{WriteTimeout: server.Duration(300 * time.Millisecond), MinBodyRate: 64 << 20}}
	in := start(t, "", server.Options{Config: cfg})
	// A version of about 7.8 MiB: GetModule with its files answers
	// about 10.4 MiB of JSON.
	fs := files("int64", "")
	pad := "//" + strings.Repeat("p", 3_900_000) + "\n"
	fs[1].Content = append(fs[1].Content, pad...)
	fs = append(fs, &v1.File{Path: "acme/billing/v1/pad.proto", Content: []byte("syntax = \"proto3\";\npackage acme.billing.v1;\n" + pad)})
	mustPush(t, in.client(""), fs)

	conn, err := net.Dial("tcp", strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := `{"module":"acme/commerce","includeFiles":true}`
	fmt.Fprintf(conn, "POST /pbregistry.v1.RegistryService/GetModule HTTP/1.1\r\nHost: registry\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(req), req)
	// Read 64 kB every 64 ms (1 MB/s, under min_body_rate), within a
	// generous guard; without the cut the whole response arrives and the
	// connection stays open until the guard.
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	buf := make([]byte, 64<<10)
	var got int
	tick := time.NewTicker(64 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		n, err := io.ReadFull(conn, buf)
		got += n
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("a slow reader was not cut within 60 s (read %d bytes)", got)
			}
			break // cut: EOF or reset
		}
	}
	t.Logf("the slow reader got %d bytes before the server cut it", got)
	if got >= 10<<20 {
		t.Errorf("the slow reader got the whole response (%d bytes)", got)
	}
	if n := metricValue(t, in, `pbregistry_http_rejected_requests_total{reason="slow_reader"}`); n != 1 {
		t.Errorf("slow readers counted: %v, want 1", n)
	}
}
