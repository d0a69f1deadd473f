package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry"
)

// runBig measures item 5 of the performance work: the latency of pushing a
// module of nfiles files with three subjects against a latest version of
// the same size (version 1, pushed through the service when seeding), p50
// and p99 over pushes, registryd's peak memory, and, next to it, the
// median of 3 runs of `pbcheck breaking current --against previous` on
// the same pair written to disk (each side with the module's
// pbregistry.yaml, so pbcheck checks the subjects as a push does). It
// prints one line:
//
//	BIGPUSH backend files p50_ms p99_ms registryd_peak_MiB pbcheck_median_ms pbcheck_peak_MiB
func runBig(registryd, backend, dataDir, databaseURL string, nfiles, pushes int, pbcheck string) error {
	if registryd == "" {
		return fmt.Errorf("-registryd is required")
	}
	open, storeArgs, err := storeOf(backend, dataDir, databaseURL)
	if err != nil {
		return err
	}
	m := newBigModule(nfiles)
	start := time.Now()
	if _, err := seed(open, m, 1); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: pushed version 1 of %d files in %s\n", backend, nfiles, time.Since(start).Round(time.Millisecond))
	cmd, url, err := startRegistryd(registryd, storeArgs)
	if err != nil {
		return err
	}
	defer stopRegistryd(cmd)
	client := pbregistryv1connect.NewRegistryServiceClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}, url)
	ctx := context.Background()
	if _, err := pushVariant(ctx, client, m, "warm-up"); err != nil {
		return fmt.Errorf("warm-up push: %w", err)
	}
	var lat []time.Duration
	for i := range pushes {
		d, err := pushVariant(ctx, client, m, fmt.Sprintf("push %d", i))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: push %d/%d of %d files: %s\n", backend, i+1, pushes, nfiles, d.Round(time.Millisecond))
		lat = append(lat, d)
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	_, hwm, err := memory(cmd.Process.Pid)
	if err != nil {
		return err
	}
	pbMedian, pbPeak := 0.0, 0.0
	if pbcheck != "" {
		if pbMedian, pbPeak, err = timePbcheck(pbcheck, m); err != nil {
			return err
		}
	}
	fmt.Printf("BIGPUSH %s %d %.0f %.0f %.0f %.0f %.0f\n", backend, nfiles,
		float64(p50)/float64(time.Millisecond), float64(p99)/float64(time.Millisecond), hwm, pbMedian, pbPeak)
	return nil
}

// timePbcheck writes the pair the pushes check — version 1 as previous,
// a push's content as current — and returns the median wall time in ms
// of 3 runs of pbcheck breaking on it and the largest peak RSS in MiB.
func timePbcheck(bin string, m *module) (float64, float64, error) {
	dir, err := os.MkdirTemp("", "bench-bigpush-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	for side, tag := range map[string]string{"previous": "seed 1", "current": "push 0"} {
		files := append(m.variant(tag), registry.File{Path: registry.ConfigFileName, Content: m.config})
		for _, f := range files {
			p := filepath.Join(dir, side, f.Path)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return 0, 0, err
			}
			if err := os.WriteFile(p, f.Content, 0o644); err != nil {
				return 0, 0, err
			}
		}
	}
	var times []float64
	peak := 0.0
	for i := range 3 {
		cmd := exec.Command(bin, "breaking", "current", "--against", "previous")
		cmd.Dir = dir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, 0, fmt.Errorf("pbcheck breaking run %d: %w\n%s", i+1, err, out)
		}
		times = append(times, float64(time.Since(start))/float64(time.Millisecond))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, float64(ru.Maxrss)/1024)
		}
	}
	slices.Sort(times)
	return times[1], peak, nil
}

// newBigModule returns a module of n files in 20 packages: each file
// declares an enum and 5 messages (each holding the previous one unless
// its number is a multiple of 3) and imports up to two earlier files of
// its package, whose first message it uses; the first three files' last
// messages are the subjects (a pbtable, an event, a log).
func newBigModule(n int) *module {
	const perFile = 5
	name := func(f, i int) string { return fmt.Sprintf("F%04dM%d", f, i) }
	pkgOf := func(f int) int { return f % 20 }
	path := func(f int) string { return fmt.Sprintf("acme/big/p%02d/v1/file%04d.proto", pkgOf(f), f) }
	m := &module{config: []byte(fmt.Sprintf(`version: v1
module: %s
subjects:
  - message: acme.big.p00.v1.%s
    kind: pbtable
    primary_key: [id]
  - message: acme.big.p01.v1.%s
    kind: event
  - message: acme.big.p02.v1.%s
    kind: log
`, moduleName, name(0, perFile), name(1, perFile), name(2, perFile)))}
	for f := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "syntax = \"proto3\";\n\npackage acme.big.p%02d.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n", pkgOf(f))
		var deps []int
		for _, d := range []int{f - 20, f - 40} { // earlier files of the same package
			if d >= 0 {
				deps = append(deps, d)
				fmt.Fprintf(&b, "import %q;\n", path(d))
			}
		}
		fmt.Fprintf(&b, "\n// F%04dStatus is the status of file %d's records.\nenum F%04dStatus {\n  F%04d_STATUS_UNSPECIFIED = 0;\n  F%04d_STATUS_OPEN = 1;\n  F%04d_STATUS_CLOSED = 2;\n}\n\n", f, f, f, f, f, f)
		for i := 1; i <= perFile; i++ {
			fmt.Fprintf(&b, "// %s is message %d of file %d.\nmessage %s {\n", name(f, i), i, f, name(f, i))
			fmt.Fprintf(&b, "  string id = 1;\n  int64 amount = 2;\n  F%04dStatus status = 3;\n  repeated string tags = 4;\n  map<string, string> labels = 5;\n", f)
			if i%3 != 0 && i > 1 {
				fmt.Fprintf(&b, "  %s previous = 6;\n", name(f, i-1))
			}
			fmt.Fprintf(&b, "  optional double ratio = 7;\n  bytes payload = 8;\n  string event_id = 9;\n  google.protobuf.Timestamp occurred_at = 10;\n")
			if i == 1 {
				for j, d := range deps {
					fmt.Fprintf(&b, "  %s ref_%d = %d;\n", name(d, 1), j, 11+j)
				}
			}
			b.WriteString("}\n\n")
		}
		m.files = append(m.files, registry.File{Path: path(f), Content: []byte(b.String())})
	}
	return m
}
