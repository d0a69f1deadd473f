package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// csrCall sends a request to a Confluent API and returns the status and
// the body.
func csrCall(t *testing.T, method, u string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// mustCall is csrCall that fails t unless the status is 200.
func mustCall(t *testing.T, method, u string, body any) []byte {
	t.Helper()
	status, data := csrCall(t, method, u, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, u, status, data)
	}
	return data
}

// sourceVersion is a version to register in a source registry.
type sourceVersion struct {
	subject string
	id      int64
	version int64
	schema  string
	refs    []csrReference
}

const (
	moneyV1  = "syntax = \"proto3\";\npackage acme.common.v1;\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n"
	moneyV2  = "syntax = \"proto3\";\npackage acme.common.v1;\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n  int32 nanos = 3;\n}\n"
	orderV1  = "syntax = \"proto3\";\npackage acme.orders.v1;\nimport \"acme/common/v1/money.proto\";\nmessage Order {\n  string id = 1;\n  acme.common.v1.Money total = 2;\n}\n"
	orderV2  = "syntax = \"proto3\";\npackage acme.orders.v1;\nimport \"acme/common/v1/money.proto\";\nmessage Order {\n  string id = 1;\n  acme.common.v1.Money total = 2;\n  string customer_id = 3;\n}\n"
	refundV1 = "syntax = \"proto3\";\npackage acme.refunds.v1;\nimport \"acme/orders/v1/order.proto\";\nmessage Refund {\n  acme.orders.v1.Order order = 1;\n}\n"
	otherV1  = "syntax = \"proto3\";\npackage acme.other.v1;\nmessage Other {\n  string id = 1;\n}\n"
)

// sourceVersions are subjects referencing each other across subjects,
// with ids that are neither sequential nor in registration order, and one
// content under two subjects (one id).
var sourceVersions = []sourceVersion{
	{"money", 101, 1, moneyV1, nil},
	{"orders-value", 205, 1, orderV1, []csrReference{{"acme/common/v1/money.proto", "money", 1}}},
	{"money", 150, 2, moneyV2, nil},
	{"orders-value", 300, 2, orderV2, []csrReference{{"acme/common/v1/money.proto", "money", 2}}},
	{copySubject, 101, 1, moneyV1, nil},
	{"refunds-value", 42, 1, refundV1, []csrReference{{"acme/orders/v1/order.proto", "orders-value", 2}, {"acme/common/v1/money.proto", "money", 2}}},
}

// startSource starts a pbregistry serving sourceVersions through its
// Confluent API, registered in IMPORT mode with their ids and versions.
func startSource(t *testing.T) string {
	t.Helper()
	src := startRegistry(t)
	mustCall(t, http.MethodPut, src+"/mode", map[string]string{"mode": "IMPORT"})
	for _, v := range sourceVersions {
		data := mustCall(t, http.MethodPost, src+"/subjects/"+url.PathEscape(v.subject)+"/versions", map[string]any{
			"schema": v.schema, "schemaType": "PROTOBUF", "references": v.refs, "id": v.id, "version": v.version,
		})
		if !strings.Contains(string(data), `"id":`) {
			t.Fatalf("register %s: %s", v.subject, data)
		}
	}
	mustCall(t, http.MethodPut, src+"/mode", map[string]string{"mode": "READWRITE"})
	return src
}

// snapshot reads every version of subjects from a Confluent API: id,
// version, type, schema and references.
func snapshot(t *testing.T, base string, subjects []string) map[string][]csrSchema {
	t.Helper()
	out := map[string][]csrSchema{}
	for _, s := range subjects {
		var vs []int64
		if err := json.Unmarshal(mustCall(t, http.MethodGet, base+"/subjects/"+url.PathEscape(s)+"/versions", nil), &vs); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			var sc csrSchema
			if err := json.Unmarshal(mustCall(t, http.MethodGet, base+"/subjects/"+url.PathEscape(s)+"/versions/"+jsonInt(v), nil), &sc); err != nil {
				t.Fatal(err)
			}
			out[s] = append(out[s], sc)
		}
	}
	return out
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

// checkSameSubjects fails t unless dst holds exactly src's versions of
// subjects, and none of them is left in IMPORT mode.
func checkSameSubjects(t *testing.T, src, dst string, subjects []string) {
	t.Helper()
	want, got := snapshot(t, src, subjects), snapshot(t, dst, subjects)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the import the target holds\n%+v\nwant (the source)\n%+v", got, want)
	}
	for _, s := range subjects {
		if status, body := csrCall(t, http.MethodGet, dst+"/mode/"+url.PathEscape(s)+"?defaultToGlobal=false", nil); status != http.StatusNotFound || !strings.Contains(string(body), "40409") {
			t.Errorf("target subject %s has a mode of its own after the import: %d %s", s, status, body)
		}
	}
}

var sourceSubjects = []string{"money", copySubject, "orders-value", "refunds-value"}

// copySubject is a subject named as Confluent's serializers name the
// subjects of referenced files, with a / and an uppercase letter.
const copySubject = "Acme/common/v1/money.proto"

func TestImportFromPbregistry(t *testing.T) {
	src := startSource(t)
	dst := startRegistry(t)
	// The target has a subject of its own already (id 1), left alone.
	mustCall(t, http.MethodPost, dst+"/subjects/other-value/versions", map[string]any{"schema": otherV1, "schemaType": "PROTOBUF"})
	before := snapshot(t, dst, []string{"other-value"})
	dir := t.TempDir()

	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", dst, "--dry-run"}, exitOK,
		[]string{"dry run", "summary: 4 subjects, 6 versions: 6 to import, 0 skipped, 0 refused; 5 ids kept"}, nil)
	if status, _ := csrCall(t, http.MethodGet, dst+"/subjects/money/versions", nil); status != http.StatusNotFound {
		t.Fatalf("a dry run imported money: GET /subjects/money/versions answers %d", status)
	}

	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", dst}, exitOK, []string{
		"money: 2 versions: 2 imported\n",
		"refunds-value: 1 version: 1 imported\n",
		"summary: 4 subjects, 6 versions: 6 imported, 0 skipped, 0 refused; 5 ids kept",
	}, []string{"refused ("})
	checkSameSubjects(t, src, dst, sourceSubjects)
	if got := snapshot(t, dst, []string{"other-value"}); !reflect.DeepEqual(got, before) {
		t.Errorf("the target's own subject changed: %+v, was %+v", got, before)
	}
	// By id too: a consumer decoding by id finds the schema.
	for _, v := range sourceVersions {
		var got struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(mustCall(t, http.MethodGet, dst+"/schemas/ids/"+jsonInt(v.id), nil), &got); err != nil {
			t.Fatal(err)
		}
		if got.Schema != v.schema {
			t.Errorf("target id %d is %q, want %q", v.id, got.Schema, v.schema)
		}
	}

	// Run again: everything is there already.
	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", dst}, exitOK,
		[]string{"summary: 4 subjects, 6 versions: 0 imported, 6 skipped, 0 refused; 5 ids kept"}, nil)

	// --subjects brings the referenced subjects along.
	dst2 := startRegistry(t)
	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", dst2, "--subjects", "refunds-*"}, exitOK,
		[]string{"summary: 3 subjects, 5 versions: 5 imported", "[imported as a reference of"}, []string{copySubject})
	checkSameSubjects(t, src, dst2, []string{"money", "orders-value", "refunds-value"})

	// A target holding another schema under a subject version: reported,
	// never overwritten.
	dst3 := startRegistry(t)
	mustCall(t, http.MethodPost, dst3+"/subjects/"+url.PathEscape(copySubject)+"/versions", map[string]any{"schema": otherV1, "schemaType": "PROTOBUF"})
	held := snapshot(t, dst3, []string{copySubject})
	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", dst3, "--subjects", "Acme/*/v1/*.proto"}, exitFindings, []string{
		copySubject + " version 1 (id 101): conflict: the target holds " + copySubject + " version 1 already, with id 1 instead of 101, another schema text; not overwritten",
		"summary: 1 subject, 1 version: 0 imported, 0 skipped, 1 refused; 0 ids kept",
	}, nil)
	if got := snapshot(t, dst3, []string{copySubject}); !reflect.DeepEqual(got, held) {
		t.Errorf("the conflicting version changed: %+v, was %+v", got, held)
	}
}

// failAfter passes requests to next until n registrations (with all,
// n requests of any kind) went through, then answers them 503, as a
// registry going down would.
type failAfter struct {
	next http.Handler
	n    int64
	all  bool
	seen atomic.Int64
}

func (f *failAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	counted := f.all || r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/versions")
	if counted && f.seen.Add(1) > f.n {
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error_code":50003,"message":"unavailable"}`)
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestImportResumes(t *testing.T) {
	src := startSource(t)
	dst := startRegistry(t)
	target, err := url.Parse(dst)
	if err != nil {
		t.Fatal(err)
	}
	flaky := httptest.NewServer(&failAfter{next: httputil.NewSingleHostReverseProxy(target), n: 3})
	defer flaky.Close()
	dir := t.TempDir()

	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", flaky.URL}, exitError, []string{
		"summary: 4 subjects, 6 versions: 3 imported, 0 skipped, 0 refused; 3 ids kept (interrupted: 3 not reached)",
		"import interrupted", "error 50003", "Run the same command again to resume",
	}, nil)
	// The interrupted run gave the subjects it touched their mode back.
	for _, s := range sourceSubjects {
		if status, body := csrCall(t, http.MethodGet, dst+"/mode/"+url.PathEscape(s)+"?defaultToGlobal=false", nil); status != http.StatusNotFound {
			t.Errorf("target subject %s left with a mode of its own: %d %s", s, status, body)
		}
	}

	// A source failing while it is read: nothing more is changed.
	source, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	flakySource := httptest.NewServer(&failAfter{next: httputil.NewSingleHostReverseProxy(source), n: 4, all: true})
	defer flakySource.Close()
	before := snapshot(t, dst, sourceSubjects[:1])
	checkRun(t, dir, []string{"import", "confluent", "--from", flakySource.URL, "--registry", dst}, exitError,
		[]string{"read source subject", "error 50003"}, []string{"summary"})
	if got := snapshot(t, dst, sourceSubjects[:1]); !reflect.DeepEqual(got, before) {
		t.Errorf("a failed read of the source changed the target: %+v, was %+v", got, before)
	}

	checkRun(t, dir, []string{"import", "confluent", "--from", src, "--registry", dst}, exitOK,
		[]string{"summary: 4 subjects, 6 versions: 3 imported, 3 skipped, 0 refused; 5 ids kept"}, nil)
	checkSameSubjects(t, src, dst, sourceSubjects)
}

// recorded serves the recorded Confluent response set of dir: GET path p
// answers the file dir/p.json, anything else Confluent's 404.
// Requests without basic auth importer:secret get Confluent's 401.
func recorded(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		if user, password, ok := r.BasicAuth(); !ok || user != "importer" || password != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error_code":40101,"message":"Unauthorized"}`)
			return
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))+".json"))
		if r.Method != http.MethodGet || err != nil || strings.Contains(r.URL.Path, "..") {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error_code":40401,"message":"Subject not found."}`)
			return
		}
		w.Write(data)
	})
}

func TestImportRecorded(t *testing.T) {
	testdata, err := filepath.Abs("../../testdata/confluent")
	if err != nil {
		t.Fatal(err)
	}
	src := httptest.NewServer(recorded(testdata))
	defer src.Close()
	dst := startRegistry(t)
	dir := t.TempDir()

	checkRun(t, dir, []string{"import", "confluent", "--from", src.URL, "--registry", dst}, exitError,
		[]string{"list the source's subjects", "error 40101 (HTTP 401): Unauthorized"}, []string{"summary"})

	from := []string{"import", "confluent", "--from", src.URL, "--from-user", "importer", "--from-password", "secret", "--registry", dst}
	checkRun(t, dir, from, exitFindings, []string{
		"common-money: 1 version: 1 imported\n",
		"gaps-value: 2 versions: 1 imported, 1 refused\n",
		"  gaps-value version 3 (id 22): version 3 follows version 1 in the source: pbregistry numbers a subject's versions without gaps",
		"orders-value: 2 versions: 2 imported\n",
		"legacy-avro: 1 version: 1 refused\n",
		"refused (4):\n",
		"  legacy-avro version 1 (id 5): schemaType AVRO: pbregistry stores PROTOBUF schemas only\n",
		"  json-value version 1 (id 10): schemaType JSON: pbregistry stores PROTOBUF schemas only\n",
		"  broken-value version 1 (id 9): invalid schema (does not compile, or a bad reference): ",
		"\n    broken-value.proto:5:3: field acme.broken.v1.Broken.thing: unknown type Unknown\n",
		"summary: 6 subjects, 8 versions: 4 imported, 0 skipped, 4 refused; 4 ids kept",
	}, nil)
	// Run again: the refusals are the same, and what was imported is skipped.
	checkRun(t, dir, from, exitFindings, []string{"refused (4):\n",
		"summary: 6 subjects, 8 versions: 0 imported, 4 skipped, 4 refused; 4 ids kept"}, nil)
	// (net/http sends the URL's user and password as basic auth.)
	checkSameSubjects(t, strings.Replace(src.URL, "://", "://importer:secret@", 1), dst, []string{"common-money", "orders-value"})
	if got := snapshot(t, dst, []string{"gaps-value"}); len(got["gaps-value"]) != 1 || got["gaps-value"][0].ID != 20 {
		t.Errorf("target gaps-value: %+v, want version 1 with id 20 only", got)
	}
	for _, s := range []string{"legacy-avro", "json-value", "broken-value"} {
		if status, _ := csrCall(t, http.MethodGet, dst+"/subjects/"+s+"/versions", nil); status != http.StatusNotFound {
			t.Errorf("refused subject %s is in the target: %d", s, status)
		}
	}
}

func TestImportUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import"}, exitError, "want 'pbcheck import confluent --from URL'"},
		{[]string{"import", "avro"}, exitError, "confluent is the one source"},
		{[]string{"import", "confluent", "--registry", "http://127.0.0.1:1"}, exitError, "no source: pass --from URL"},
		{[]string{"import", "confluent", "--from", "http://127.0.0.1:1", "--registry", ""}, exitError, "no registry: pass --registry URL"},
		{[]string{"import", "confluent", "--from", "http://127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--subjects", "[a"}, exitError, `--subjects "[a"`},
		{[]string{"import", "confluent", "--from", "http://127.0.0.1:1", "--registry", "http://127.0.0.1:1", "extra"}, exitError, "unexpected arguments: extra"},
		{[]string{"import", "confluent", "--help"}, exitOK, "-from-password string"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Setenv(envRegistryURL, "")
			checkRun(t, dir, tc.args, tc.code, []string{tc.want}, nil)
		})
	}
}
