package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// testSecret is a Standard Webhooks secret (32 bytes).
const testSecret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="

// verify is an independent Standard Webhooks verifier, written from the
// specification: the key is the base64 after "whsec_"; the signed
// content is id "." timestamp "." body; webhook-signature holds
// space-separated "v1,<base64 HMAC-SHA256>" entries, one of which must
// match; the timestamp must be within 5 minutes of now.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing webhook headers: id %q, timestamp %q, signature %q", id, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not Unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp %s is %s from now", ts, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := m.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature of %q matches", sigs)
}

// behaviour is how the receiver answers one request.
type behaviour int

const (
	// answerOK processes the event (once per webhook-id) and answers 200.
	answerOK behaviour = iota
	// fail500 answers 500 without processing.
	fail500
	// processThenHang processes the event, then answers nothing until
	// the sender gives up: the sender sees a timeout although the
	// receiver has the event.
	processThenHang
	// processThen500 processes the event, then answers 500: the sender
	// retries an event the receiver has.
	processThen500
)

// received is one request the receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server on loopback that records every request,
// verifies its signature with both verifiers, answers per a script and
// then 200, and processes each webhook-id at most once.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	script []behaviour
	always behaviour
	// firstTime answers the first request of each webhook-id.
	firstTime *behaviour
	got       []received
	// processed counts the processings of each webhook-id.
	processed map[string]int
	order     []string
	badSig    []error
}

func newReceiver(t *testing.T, script ...behaviour) *receiver {
	r := &receiver{t: t, script: script, processed: map[string]int{}}
	lib, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		if err := verify(testSecret, req.Header, body, time.Now()); err != nil {
			r.badSig = append(r.badSig, err)
		}
		if err := lib.Verify(body, req.Header); err != nil {
			r.badSig = append(r.badSig, fmt.Errorf("standard-webhooks library: %w", err))
		}
		b := r.always
		if len(r.script) > 0 {
			b, r.script = r.script[0], r.script[1:]
		}
		id := req.Header.Get("webhook-id")
		if r.firstTime != nil && r.seen(id) == 1 {
			b = *r.firstTime
		}
		if b != fail500 && r.processed[id] == 0 {
			r.processed[id]++
			r.order = append(r.order, id)
		}
		r.mu.Unlock()
		switch b {
		case fail500:
			http.Error(w, "receiver is down", http.StatusInternalServerError)
		case processThen500:
			http.Error(w, "processed, then crashed", http.StatusInternalServerError)
		case processThenHang:
			<-req.Context().Done()
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// seen returns how many requests of webhook-id id the receiver got
// (r.mu held).
func (r *receiver) seen(id string) int {
	n := 0
	for _, q := range r.got {
		if q.header.Get("webhook-id") == id {
			n++
		}
	}
	return n
}

// set makes the receiver answer b from now on.
func (r *receiver) set(b behaviour) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script, r.always = nil, b
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// checkSignatures fails the test if a request's signature did not
// verify.
func (r *receiver) checkSignatures() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.badSig {
		r.t.Errorf("signature: %v", err)
	}
	if len(r.got) == 0 {
		r.t.Error("the receiver got no request")
	}
}
