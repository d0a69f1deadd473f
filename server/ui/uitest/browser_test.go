package uitest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/registry/sqlite"
	"github.com/pbregistry/pbregistry/server"
)

const moduleConfig = `version: v1
module: acme/billing
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
    compatibility: NONE
  - message: acme.billing.v1.InvoicePaid
    kind: event
`

func invoiceProto(extra string) string {
	return fmt.Sprintf(`syntax = "proto3";
package acme.billing.v1;
import "google/protobuf/timestamp.proto";
// Invoice is billed. <script>alert(1)</script>
message Invoice {
  string id = 1;
  string amount_text = 7;
%s}
message InvoicePaid {
  string event_id = 1;
  string paid_by_customer_ref = 2;
  google.protobuf.Timestamp occurred_at = 3;
}
`, extra)
}

// chromium returns the browser's path, skipping the test without one
// (failing it under CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: install Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH: apt-get install -y chromium to run the browser tests")
	return ""
}

// seed serves registryd (tokens required, no anonymous reads) with two
// versions of acme/billing, the second deleting Invoice.note; it returns
// the URL and a read token.
func seed(t *testing.T) (string, string) {
	t.Helper()
	store, err := sqlite.Dir(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reader, re, err := auth.CreateToken("reader", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	pusher, pe, err := auth.CreateToken("ci", []string{"push:acme/*"})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(&auth.TokensFile{Entries: []auth.Entry{re, pe}}, auth.Options{})
	ts := httptest.NewServer(server.New(server.Options{Store: store, Auth: a}).Handler())
	t.Cleanup(ts.Close)
	c := pbregistryv1connect.NewRegistryServiceClient(http.DefaultClient, ts.URL)
	for i, extra := range []string{"  string note = 3;\n", ""} {
		req := connect.NewRequest(&v1.PushRequest{
			Files: []*v1.File{
				{Path: "pbregistry.yaml", Content: []byte(moduleConfig)},
				{Path: "acme/billing/v1/invoice.proto", Content: []byte(invoiceProto(extra))},
			},
			Build: &v1.BuildInfo{GitCommit: fmt.Sprintf("c0ffee%d", i), GitBranch: "main", CiUrl: "javascript:alert(3)"},
		})
		req.Header().Set("Authorization", "Bearer "+pusher)
		if _, err := c.Push(context.Background(), req); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
	}
	return ts.URL, reader
}

func TestBrowser(t *testing.T) {
	path := chromium(t)
	base, token := seed(t)
	shots := os.Getenv("PBREGISTRY_UI_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 800))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// Every request the pages make must go to registryd. Listen starts
	// the browser.
	var mu sync.Mutex
	var foreign []string
	err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasPrefix(e.Request.URL, base+"/") && !strings.HasPrefix(e.Request.URL, "data:") && e.Request.URL != "about:blank" {
			mu.Lock()
			foreign = append(foreign, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A bound for the whole test, not a timed assertion: a hung browser
	// fails the test instead of hanging it.
	ctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelTimeout()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	text := func(what, sel string, wants ...string) {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", what, got, w)
			}
		}
	}

	// Not signed in: the module page sends the browser to sign in; a
	// wrong token is refused.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/ui/module?m=acme/billing"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "wrong-token"),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)),
		chromedp.WaitVisible(chromedp.CSS(`#refused`)),
		shot("signin-refused"),
	); err != nil {
		t.Fatalf("wrong token: %v", err)
	}
	text("wrong token", "#refused", "not accepted")

	// The right token signs in and lands on the module page.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), token),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)),
		chromedp.WaitVisible(chromedp.CSS(`h2`)),
		shot("module"),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	text("module page", "main", "acme/billing", "acme.billing.v1.Invoice", "pbtable")
	text("header", "header", "signed in as reader")

	pages := []struct {
		name  string
		path  string
		sel   string
		wants []string
	}{
		{"search", "/ui/?q=paid_by", "main", []string{"acme/billing", "acme.billing.v1.InvoicePaid.paid_by_customer_ref"}},
		{"diff", "/ui/diff?m=acme/billing&from=1&to=2", "main table", []string{"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "acme.billing.v1.Invoice.note"}},
		{"subject", "/ui/subject?m=acme/billing&s=acme.billing.v1.Invoice", "table.ledger", []string{"note", "gone", "note string"}},
		{"file", "/ui/file?m=acme/billing&v=1&path=acme%2Fbilling%2Fv1%2Finvoice.proto#L4", "#L4", []string{"<script>alert(1)</script>"}},
		{"modules", "/ui/", "main", []string{"acme/billing"}},
	}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.sel)), shot(p.name)); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		text(p.name, p.sel, p.wants...)
	}

	// The hostile comment is text, not a script: the page has no script
	// element.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/ui/file?m=acme/billing&v=1&path=acme%2Fbilling%2Fv1%2Finvoice.proto"),
		chromedp.WaitVisible(chromedp.CSS("#L1"))); err != nil {
		t.Fatal(err)
	}
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementsByTagName("script").length`))
	if err != nil {
		t.Fatal(err)
	}
	if scripts != 0 {
		t.Errorf("the file page has %d script elements", scripts)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Errorf("pages requested outside registryd: %v", foreign)
	}
	t.Logf("screenshots in %s", shots)
}
