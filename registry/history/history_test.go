package history_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pbregistry/pbregistry/registry/history"
)

// commit writes files into the repository at dir and commits them with the
// real git CLI.
func commit(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "-q", "-m", "change"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// TestReplay: commits outside the module directory are not versions, a
// commit that does not compile is skipped as a registry would refuse it,
// a deleted field stays in the ledger with the version that introduced
// it, and --history N stops after N commits.
func TestReplay(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: ", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("git", "init", "-q", "-b", "main")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	cfg := "version: v1\nmodule: acme/shop\nsubjects:\n  - {message: acme.shop.v1.Placed, kind: event}\n"
	proto := func(fields string) string {
		return "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Placed {\n  string event_id = 1;\n" + fields + "}\n"
	}
	commit(t, dir, map[string]string{"schema/pbregistry.yaml": cfg, "schema/acme/shop/v1/shop.proto": proto("  string coupon = 4;\n")})
	commit(t, dir, map[string]string{"README.md": "outside the module"})
	commit(t, dir, map[string]string{"schema/acme/shop/v1/shop.proto": "syntax = \"proto3\";\nmessage {"})
	commit(t, dir, map[string]string{"schema/acme/shop/v1/shop.proto": proto("")})

	ref := filepath.Join(dir, ".git") + "#branch=main,subdir=schema"
	res, err := history.Replay(context.Background(), ref, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 2 || len(res.Skipped) != 1 || res.Truncated {
		t.Fatalf("versions %d, skipped %d, truncated %v; want 2 versions, 1 skipped, not truncated", len(res.Versions), len(res.Skipped), res.Truncated)
	}
	if len(res.Subjects) != 1 || res.Subjects[0].Name != "acme.shop.v1.Placed" || res.Subjects[0].LastVersion != 2 {
		t.Errorf("subjects %+v, want acme.shop.v1.Placed declared up to version 2", res.Subjects)
	}
	entries, err := res.Ledger.SubjectLedger(context.Background(), "acme.shop.v1.Placed")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Kind == "field_number" && e.Key == "4" {
			found = e.Meaning == "coupon string" && e.FirstVersion == 1
		}
	}
	if !found {
		t.Errorf("ledger %+v: want field number 4 meaning \"coupon string\" since version 1", entries)
	}

	res, err = history.Replay(context.Background(), ref, history.Options{Commits: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 1 || !res.Truncated {
		t.Errorf("--history 1: versions %d, truncated %v; want 1, truncated", len(res.Versions), res.Truncated)
	}
	if _, err := history.Replay(context.Background(), filepath.Join(dir, "schema"), history.Options{}); err == nil {
		t.Error("a directory replayed as git history: no error")
	}
}
