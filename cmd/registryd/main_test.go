package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/internal/pgtest"
)

// Paths of the binaries TestMain builds.
var registrydBin, pbcheckBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "registryd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	registrydBin, pbcheckBin = filepath.Join(dir, "registryd"), filepath.Join(dir, "pbcheck")
	for _, b := range [][2]string{{registrydBin, "."}, {pbcheckBin, "../pbcheck"}} {
		out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b[1], err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running registryd.
type proc struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr strings.Builder
	lines  chan string
	exited chan struct{}
}

// startRegistryd starts registryd with args (after --listen 127.0.0.1:0
// --log-format json) and extra environment, waits until it listens and
// kills it at the end of the test.
func startRegistryd(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p, err := launch(env, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	if err := p.awaitListening(); err != nil {
		t.Fatal(err)
	}
	return p
}

// launch starts registryd without waiting.
func launch(env []string, args ...string) (*proc, error) {
	cmd := exec.Command(registrydBin, append([]string{"--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, lines: make(chan string, 4096), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// log returns what registryd wrote to stderr so far.
func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// await waits for a stderr line for which match returns true.
func (p *proc) await(what string, match func(string) bool) (string, error) {
	timeout := time.After(time.Minute)
	for {
		select {
		case line := <-p.lines:
			if match(line) {
				return line, nil
			}
		case <-p.exited:
			// Drain what is left.
			for {
				select {
				case line := <-p.lines:
					if match(line) {
						return line, nil
					}
				default:
					return "", fmt.Errorf("registryd exited before %s; stderr:\n%s", what, p.log())
				}
			}
		case <-timeout:
			return "", fmt.Errorf("registryd did not %s within a minute; stderr:\n%s", what, p.log())
		}
	}
}

// awaitListening waits for the "registryd listening" log line and sets url.
func (p *proc) awaitListening() error {
	line, err := p.await("listen", func(l string) bool { return strings.Contains(l, `"registryd listening"`) })
	if err != nil {
		return err
	}
	var rec struct{ URL string }
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.URL == "" {
		return fmt.Errorf("listening line %q: %v", line, err)
	}
	p.url = rec.URL
	return nil
}

// kill SIGKILLs registryd, if it runs, and reaps it.
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// client returns a RegistryService client of p with token ("" for none).
func (p *proc) client(token string) pbregistryv1connect.RegistryServiceClient {
	return pbregistryv1connect.NewRegistryServiceClient(http.DefaultClient, p.url,
		connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				if token != "" {
					req.Header().Set("Authorization", "Bearer "+token)
				}
				return next(ctx, req)
			}
		})))
}

// runPbcheck runs the pbcheck binary in dir with env and returns its exit
// code and combined output.
func runPbcheck(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(pbcheckBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// freshSchema creates a schema of its own for t (see pgtest.Schema) and
// returns the database URL with search_path set to it.
func freshSchema(t *testing.T) string {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "pbregistry_test_")
	return dsn
}

// backends returns the store flags of each backend: SQLite in a fresh
// directory, and PostgreSQL in a fresh schema when a database is given.
func backends(t *testing.T) map[string]func(t *testing.T) []string {
	return map[string]func(t *testing.T) []string{
		"sqlite":   func(t *testing.T) []string { return []string{"--data-dir", t.TempDir()} },
		"postgres": func(t *testing.T) []string { return []string{"--database-url", freshSchema(t)} },
	}
}

const moduleConfig = `version: v1
module: acme/commerce
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
  - message: acme.billing.v1.InvoicePaid
    kind: event
`

// moduleFiles returns the module with Invoice's amount of type amountType
// and extra field declarations in Invoice.
func moduleFiles(amountType, extra string) []*v1.File {
	return []*v1.File{
		{Path: "pbregistry.yaml", Content: []byte(moduleConfig)},
		{Path: "acme/billing/v1/invoice.proto", Content: []byte(fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";
message Invoice {
  string id = 1;
  %s amount = 7;
%s}
message InvoicePaid {
  string event_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
}
`, amountType, extra))},
	}
}

// fields declares string fields f_<from>…f_<to-1>, numbered 100+i.
func fields(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "  string f_%d = %d;\n", i, 100+i)
	}
	return b.String()
}

// versions returns every version number of module, oldest first.
func versions(t *testing.T, c pbregistryv1connect.RegistryServiceClient, module string) []int64 {
	t.Helper()
	var out []int64
	token := ""
	for {
		resp, err := c.ListVersions(context.Background(), connect.NewRequest(&v1.ListVersionsRequest{Module: module, PageSize: 1000, PageToken: token}))
		if err != nil {
			t.Fatalf("list versions: %v", err)
		}
		for _, v := range resp.Msg.Versions {
			out = append([]int64{v.Number}, out...)
		}
		if token = resp.Msg.NextPageToken; token == "" {
			return out
		}
	}
}

// checkContiguous fails t unless nums is 1..want.
func checkContiguous(t *testing.T, nums []int64, want int64) {
	t.Helper()
	if int64(len(nums)) != want {
		t.Fatalf("versions %v: want 1..%d", nums, want)
	}
	for i, n := range nums {
		if n != int64(i+1) {
			t.Fatalf("versions %v: want 1..%d without gaps or duplicates", nums, want)
		}
	}
}
