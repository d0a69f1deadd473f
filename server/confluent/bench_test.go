package confluent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkProducerStart measures the calls a producer makes when it
// starts — GET /schemas/ids/{id}, and registering a schema that exists —
// against registryd over SQLite, and a bare net/http handler answering the
// same bytes on another port in the same run, each with 8 concurrent
// keep-alive clients sending b.N requests. It reports each side's
// requests per second and p99 latency, and their ratios:
//
//	go test -run '^$' -bench ProducerStart -benchtime 20000x ./server/confluent
func BenchmarkProducerStart(b *testing.B) {
	d := serve(b, nil, nil)
	d.register(b, "money", moneyV1)
	id := d.register(b, "orders-value", orderV1, moneyRef)
	registerBody, _ := json.Marshal(schemaBody(orderV1, moneyRef))
	for _, tc := range []struct {
		name, method, path string
		body               []byte
	}{
		{"GetSchemaByID", "GET", fmt.Sprintf("/schemas/ids/%d", id), nil},
		{"RegisterExisting", "POST", "/subjects/orders-value/versions", registerBody},
	} {
		b.Run(tc.name, func(b *testing.B) {
			answer := send(b, tc.method, d.url+tc.path, tc.body)
			bare := bareServer(b, answer)
			const workers = 8
			b.ResetTimer()
			rps, p99 := load(b, workers, b.N, tc.method, d.url+tc.path, tc.body)
			bareRPS, bareP99 := load(b, workers, b.N, tc.method, bare+tc.path, tc.body)
			b.StopTimer()
			b.ReportMetric(rps, "req/s")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(bareRPS, "bare-req/s")
			b.ReportMetric(float64(bareP99.Microseconds()), "bare-p99-µs")
			b.ReportMetric(rps/bareRPS, "req/s-ratio")
			b.ReportMetric(float64(p99)/float64(max(bareP99, time.Microsecond)), "p99-ratio")
		})
	}
}

// send sends one request and returns the answer's body, failing b unless
// it is a 200.
func send(b *testing.B, method, url string, body []byte) []byte {
	b.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d %s %v", method, url, resp.StatusCode, data, err)
	}
	return data
}

// bareServer serves answer to every request, reading the body first, as
// the peer registryd is measured against.
func bareServer(b *testing.B, answer []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		_, _ = w.Write(answer)
	})}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// load sends n requests from workers goroutines and returns the requests
// per second and the 99th percentile latency.
func load(b *testing.B, workers, n int, method, url string, body []byte) (float64, time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest(method, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Store(fmt.Sprintf("%s %s: %d", method, url, resp.StatusCode))
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return 0, 0
	}
	return float64(len(all)) / elapsed.Seconds(), all[min(len(all)-1, len(all)*99/100)]
}
