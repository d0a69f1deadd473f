package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBoundedLogs: strings a client controls (user agent, build metadata,
// text quoted in errors) reach the server's log cut to
// server.MaxLogValueBytes, so no log line passes 8 KiB, at debug level.
func TestBoundedLogs(t *testing.T) {
	const lineBound = 8 << 10
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	in := start(t, "", server.Options{Logger: logger})
	agent := strings.Repeat("a", 32<<10)
	c := in.client("", connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("User-Agent", agent)
			return next(ctx, req)
		}
	})))
	ctx := context.Background()
	// A push whose build metadata is 1 MiB (accepted, or refused by a
	// limit on build metadata: either way it is logged).
	_, _ = c.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files("int64", ""), Build: &v1.BuildInfo{GitCommit: strings.Repeat("c", 1<<20)}}))
	// A file that does not compile, its error quoting a 100 kB name.
	bad := files("int64", "  "+strings.Repeat("N", 100_000)+" x = 9;\n")
	_, err := c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Files: bad}))
	wantCode(t, "CheckPush of a file that does not compile", err, connect.CodeInvalidArgument)
	// A module name of 300 kB.
	_, err = c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Module: strings.Repeat("m", 300_000), Files: files("int64", "")}))
	wantCode(t, "CheckPush of a long module name", err, connect.CodeInvalidArgument)

	text := logs.String()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	longest := 0
	for _, l := range lines {
		longest = max(longest, len(l))
	}
	t.Logf("%d log lines, %d bytes, the longest %d bytes", len(lines), len(text), longest)
	if longest > lineBound {
		t.Errorf("a log line of %d bytes, over %d", longest, lineBound)
	}
	if n := strings.Count(text, `"msg":"rpc"`); n != 3 || !strings.Contains(text, "more bytes)") {
		t.Errorf("want 3 rpc lines with cut strings, got %d:\n%.2000s", n, text)
	}
}
