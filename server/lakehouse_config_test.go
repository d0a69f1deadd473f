package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// TestLakehouseConfigBounds: registryd's lakehouse: section bounds the
// history the dbt RPC reads; the response and the download say when it
// was truncated and name the keys to raise; bad values stop registryd at
// start with the key named.
func TestLakehouseConfigBounds(t *testing.T) {
	cfg, err := server.ParseConfig("registryd.yaml", []byte("lakehouse:\n  max_history_versions: 2\n  max_history_bytes: 1048576\npolicies:\n  - {name: EVENT_ID_FIELD, disabled: true}\n  - {name: EVENT_OCCURRED_AT, disabled: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := start(t, "", server.Options{Config: cfg})
	c := in.client("")
	const yml = "version: v1\nmodule: acme/few\nsubjects:\n  - message: acme.few.v1.Row\n    kind: pbtable\n    primary_key: [id]\n"
	for n := 1; n <= 4; n++ {
		var b strings.Builder
		b.WriteString("syntax = \"proto3\";\npackage acme.few.v1;\nmessage Row {\n  string id = 1;\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "  int32 f%d = %d;\n", i, 100+i)
		}
		b.WriteString("}\n")
		mustPush(t, c, []*v1.File{{Path: "pbregistry.yaml", Content: []byte(yml)}, {Path: "acme/few/v1/row.proto", Content: []byte(b.String())}})
	}
	resp, err := c.GetDbtProject(context.Background(), connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/few", Dialect: "duckdb"}))
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Msg
	if !m.HistoryTruncated || fmt.Sprint(m.HistoryVersions) != "[2 3]" || m.MaxHistoryVersions != 2 || m.MaxHistoryBytes != 1<<20 {
		t.Errorf("truncated %v, history %v, bounds %d versions %d bytes; want truncated, [2 3], 2 and 1048576", m.HistoryTruncated, m.HistoryVersions, m.MaxHistoryVersions, m.MaxHistoryBytes)
	}
	hr, _ := getTarball(t, in, "/dbt/acme/few/latest.tar.gz?dialect=duckdb", "")
	note := hr.Header.Get("X-Pbregistry-History-Truncated")
	if hr.StatusCode != http.StatusOK || !strings.Contains(note, "versions before 2 left out") || !strings.Contains(note, "lakehouse.max_history_versions") {
		t.Errorf("download: status %d, X-Pbregistry-History-Truncated %q; want 200 and a note naming the first version read and the key to raise", hr.StatusCode, note)
	}
	// Within the bounds: no note.
	hr, _ = getTarball(t, in, "/dbt/acme/few/3.tar.gz?dialect=duckdb", "")
	if note := hr.Header.Get("X-Pbregistry-History-Truncated"); hr.StatusCode != http.StatusOK || note != "" {
		t.Errorf("version 3 (2 earlier versions): status %d, note %q; want 200 and none", hr.StatusCode, note)
	}

	for _, tt := range []struct{ yaml, want string }{
		{"lakehouse:\n  max_history_versions: -1\n", "lakehouse.max_history_versions is -1"},
		{"lakehouse:\n  max_history_bytes: 2147483648\n", "lakehouse.max_history_bytes is 2147483648: use a number from 1 to 1073741824"},
		{"lakehouse:\n  max_versions: 3\n", "lakehouse (max_history_versions, max_history_bytes)"},
	} {
		if _, err := server.ParseConfig("registryd.yaml", []byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "registryd.yaml") {
			t.Errorf("%q: error %v, want one naming the file and saying %q", tt.yaml, err, tt.want)
		}
	}
}

// TestDbtRequiredByPolicy: with the built-in EVENT_OCCURRED_AT in force,
// the event's occurred_at column gets a not_null test saying why.
func TestDbtRequiredByPolicy(t *testing.T) {
	in := start(t, "", server.Options{})
	c := in.client("")
	mustPush(t, c, []*v1.File{
		{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: acme/ev\nsubjects:\n  - {message: acme.ev.v1.Placed, kind: event}\n")},
		{Path: "acme/ev/v1/placed.proto", Content: []byte("syntax = \"proto3\";\npackage acme.ev.v1;\nimport \"google/protobuf/timestamp.proto\";\nmessage Placed {\n  string event_id = 1;\n  google.protobuf.Timestamp occurred_at = 2;\n}\n")},
	})
	resp, err := c.GetDbtProject(context.Background(), connect.NewRequest(&v1.GetDbtProjectRequest{Module: "acme/ev", Dialect: "postgres"}))
	if err != nil {
		t.Fatal(err)
	}
	var models string
	for _, f := range resp.Msg.Files {
		if strings.HasSuffix(f.Path, "__models.yml") {
			models = string(f.Content)
		}
	}
	_, rest, _ := strings.Cut(models, `- name: "occurred_at"`)
	col, _, _ := strings.Cut(rest, "- name:")
	if !strings.Contains(col, `- "not_null"`) || !strings.Contains(col, "Required (policy EVENT_OCCURRED_AT)") {
		t.Errorf("occurred_at has no not_null test saying why:\n%s", models)
	}
}
