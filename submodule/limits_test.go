package submodule_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestGitRequestBounds: upload-pack requests larger than the bound, of
// the wrong type, and receive-pack are refused before git runs.
func TestGitRequestBounds(t *testing.T) {
	e := newEnv(t, true)
	e.push()
	e.publish(1)
	tests := []struct {
		name, method, path, contentType, protocol string
		body                                      []byte
		want                                      int
		wantBody                                  string
	}{
		{"protocol v2 advertisement", "GET", "/git/go.git/info/refs?service=git-upload-pack", "", "version=2", nil, http.StatusOK, "version 2\n"},
		{"protocol v0 advertisement", "GET", "/git/go.git/info/refs?service=git-upload-pack", "", "", nil, http.StatusOK, "# service=git-upload-pack\n0000"},
		{"too large", "POST", "/git/go.git/git-upload-pack", "application/x-git-upload-pack-request", "",
			bytes.Repeat([]byte("0032have 0000000000000000000000000000000000000000\n"), (8<<20)/50+1), http.StatusRequestEntityTooLarge, "larger than"},
		{"wrong content type", "POST", "/git/go.git/git-upload-pack", "text/plain", "", []byte("0000"), http.StatusUnsupportedMediaType, "application/x-git-upload-pack-request"},
		{"receive-pack advertisement", "GET", "/git/go.git/info/refs?service=git-receive-pack", "", "", nil, http.StatusForbidden, "read-only"},
		{"receive-pack", "POST", "/git/go.git/git-receive-pack", "application/x-git-receive-pack-request", "", []byte("0000"), http.StatusForbidden, "read-only"},
		{"dumb protocol", "GET", "/git/go.git/info/refs", "", "", nil, http.StatusForbidden, "smart HTTP"},
		{"dumb object", "GET", "/git/go.git/HEAD", "", "", nil, http.StatusNotFound, "no such repository"},
		{"path traversal", "GET", "/git/../go.git/info/refs?service=git-upload-pack", "", "", nil, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.url+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.protocol != "" {
				req.Header.Set("Git-Protocol", tt.protocol)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s %s = %s %q, want %d containing %q", tt.method, tt.path, resp.Status, body, tt.want, tt.wantBody)
			}
		})
	}
}
