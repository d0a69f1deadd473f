package input

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
)

// deepHeader declares a google.protobuf.Value message option, the shape of
// the probe of issue 8: Value nests through list_value without end.
const deepHeader = `syntax = "proto3";
package probe.v1;
import "google/protobuf/descriptor.proto";
import "google/protobuf/struct.proto";
extend google.protobuf.MessageOptions { google.protobuf.Value v = 50000; }
message M {
  option (v) = {`

// deepValue returns the probe: a .proto whose option (v) nests list_value
// n deep. Each list_value level is two message literals, so the option
// value is 2n+1 deep; the first brace past limit is returned as its
// 1-based line and column (0, 0 when the value fits).
func deepValue(n, limit int) (src string, line, col int) {
	var b strings.Builder
	b.WriteString(deepHeader)
	depth := 1
	for range n {
		for _, part := range []string{" list_value {", " values {"} {
			b.WriteString(part)
			depth++
			if depth == limit+1 && line == 0 {
				last := b.String()
				line = strings.Count(last, "\n") + 1
				col = len(last) - strings.LastIndexByte(last, '\n') - 1
			}
		}
	}
	b.WriteString(" null_value: NULL_VALUE")
	b.WriteString(strings.Repeat(" } }", n))
	b.WriteString(" };\n}\n")
	return b.String(), line, col
}

// nested returns "{a:" n times, then "{}" and the closing braces: an
// option value n+1 deep for a message type V with a field "optional V a".
func nested(n int) string {
	return strings.Repeat("{a:", n) + "{}" + strings.Repeat("}", n)
}

// TestLimitsCheck runs the scan on sources around the limit: only message
// literals and lists inside option values count, strings and comments do
// not, and the first brace past the limit is located like the compiler
// locates tokens.
func TestLimitsCheck(t *testing.T) {
	// In src, the marker "⟨" stands just before the brace expected to be
	// reported; without it the source is within the limit.
	tests := []struct {
		name  string
		limit int
		src   string
	}{
		{"exact limit", 3, "option (x) = {a {b {}}};"},
		{"limit+1", 3, "option (x) = {a {b {c ⟨{}}}};"},
		{"angle brackets count", 3, "option (x) = {a <b {c ⟨<>}>};"},
		{"lists count", 3, "option (x) = {a: [{b: ⟨[1]}]};"},
		{"compact options", 2, "message M { int32 f = 1 [(x) = {a {b ⟨{}}}]; }"},
		{"colon before brace", 2, "option (x) = {a: {b: ⟨{}}};"},
		{"comment between = and brace", 2, "option (x) = /* c */\n  // d\n  {a {b ⟨{}}};"},
		{"second option", 2, "option (x) = {a {}};\noption (y) = {a {b ⟨{}}};"},
		{"braces in strings", 2, `option (x) = {a: "{{{{[[[<<<"  b: '\'{{{{' c {}};`},
		{"escaped quote", 2, `option (x) = {a: "\"{{{" b {c ⟨{}}};`},
		{"braces in comments", 2, "option (x) = {a {} // {{{{\n /* {{{{ [[[ <<< */ };"},
		{"declarations do not count", 2, "message A { message B { message C { map<string, int32> m = 1; } } }"},
		{"reserved and enums do not count", 2, "enum E { A = 0; } message M { reserved 1 to 2; }"},
		{"unterminated string", 2, "option (x) = {a: \"{{{\n b {c ⟨{}}};"},
		{"unterminated comment", 2, "option (x) = {a {} /* {{{{"},
		{"tabs and runes before", 2, "option (x) = {a: \"é\"\tb {\tc\t⟨{}}};"},
		{"bom", 2, "\ufeffoption (x) = {a {b ⟨{}}};"},
		{"default limit", 0, "option (v) = " + nested(99) + ";"},
		{"default limit+1", 0, "option (v) = " + strings.Repeat("{a:", 100) + "⟨{}" + strings.Repeat("}", 100) + ";"},
		{"off", -1, "option (v) = " + nested(5000) + ";"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(tt.src, "⟨", "", 1)
			d, refused := Limits{MaxOptionValueDepth: tt.limit}.check("a.proto", []byte(src))
			at := strings.Index(tt.src, "⟨")
			if at < 0 {
				if refused {
					t.Fatalf("refused: %v", d)
				}
				return
			}
			if !refused {
				t.Fatal("accepted, want refused")
			}
			before := strings.TrimPrefix(tt.src[:at], "\ufeff")
			wantLine := strings.Count(before, "\n") + 1
			last := before[strings.LastIndexByte(before, '\n')+1:]
			wantCol := 1
			for _, r := range last {
				if r == '\t' {
					wantCol += 8 - (wantCol-1)%8
				} else {
					wantCol++
				}
			}
			limit := tt.limit
			if limit == 0 {
				limit = DefaultMaxOptionValueDepth
			}
			want := fmt.Sprintf("a.proto:%d:%d: option value nests message literals and lists more than %d deep (the limit): flatten the value", wantLine, wantCol, limit)
			if !strings.HasPrefix(d.String(), want) {
				t.Errorf("got  %s\nwant %s…", d, want)
			}
		})
	}
}

// TestLimitsPositionLikeCompiler puts a character the compiler rejects
// where the scan reports the brace past the limit: the compiler must
// report the same line and column.
func TestLimitsPositionLikeCompiler(t *testing.T) {
	for _, prefix := range []string{"", "\t", "  /* é */\t", "\ufeff"} {
		src := prefix + "syntax = \"proto2\";\nmessage V { optional V a = 1; }\n/* ünïcode */\tmessage M {\n\toption (v) = " + strings.Repeat("{a:\t", 100) + "{}" + strings.Repeat("}", 100) + ";\n}\n"
		d, refused := Limits{}.check("a.proto", []byte(src))
		if !refused {
			t.Fatal("accepted, want refused")
		}
		// Replace the reported brace with '`', a character no .proto
		// token starts with.
		body := strings.TrimPrefix(src, "\ufeff")
		lines := strings.Split(body, "\n")
		line := []rune(lines[d.Line-1])
		col := 1
		i := 0
		for ; i < len(line) && col < d.Col; i++ {
			if line[i] == '\t' {
				col += 8 - (col-1)%8
			} else {
				col++
			}
		}
		if line[i] != '{' {
			t.Fatalf("%s: no brace at the reported position (found %q)", d, line[i])
		}
		line[i] = '`'
		lines[d.Line-1] = string(line)
		broken := strings.Join(lines, "\n")
		if strings.HasPrefix(src, "\ufeff") {
			broken = "\ufeff" + broken
		}
		fsys := fstest.MapFS{"a.proto": {Data: []byte(broken)}}
		_, err := LoadFSWithLimits(context.Background(), fsys, "test", Limits{MaxOptionValueDepth: -1})
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Fatalf("want a compile error, got %v", err)
		}
		got := ce.Diagnostics[0]
		if got.Line != d.Line || got.Col != d.Col {
			t.Errorf("prefix %q: scan says %d:%d, compiler says %s", prefix, d.Line, d.Col, got)
		}
	}
}

// allocated returns the bytes allocated by the process while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDeepOptionValueRefused is probe 2 of issue 8 through LoadFS, the
// registry's entry point: a google.protobuf.Value option nesting
// list_value 8,000 deep (208 KB; protocompile alone took 4 GB and 9 s on
// it) is refused before it is parsed, with the file, line, column and
// limit, allocating a few hundred kilobytes. The deepest list_value
// nesting the limit accepts (49: 99 levels) still compiles.
func TestDeepOptionValueRefused(t *testing.T) {
	const n = 8000
	src, line, col := deepValue(n, DefaultMaxOptionValueDepth)
	fsys := fstest.MapFS{
		"pbregistry.yaml":            {Data: []byte("version: v1\nroots: [proto]\n")},
		"proto/probe/v1/probe.proto": {Data: []byte(src)},
	}
	var err error
	bytes := allocated(func() { _, err = LoadFS(context.Background(), fsys, "push to acme/probe") })
	var ce *CompileError
	if !errors.As(err, &ce) || len(ce.Diagnostics) != 1 {
		t.Fatalf("want one diagnostic, got %v", err)
	}
	want := fmt.Sprintf("proto/probe/v1/probe.proto:%d:%d: option value nests message literals and lists more than 100 deep (the limit): flatten the value", line, col)
	if got := ce.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s…", got, want)
	}
	// A bound on the bytes allocated bounds the heap's growth.
	const bound = 16 << 20
	t.Logf("N=%d (%d bytes): refused, %d KiB allocated", n, len(src), bytes>>10)
	if bytes > bound {
		t.Errorf("refusing the probe allocated %d MiB, want under %d MiB", bytes>>20, bound>>20)
	}

	// At the limit: list_value 49 deep is 99 levels, the null_value
	// literal inside it is not one; 50 deep passes the limit.
	src, line, _ = deepValue(49, DefaultMaxOptionValueDepth)
	if line != 0 {
		t.Fatal("deepValue(49) passes the limit")
	}
	fsys["proto/probe/v1/probe.proto"] = &fstest.MapFile{Data: []byte(src)}
	var in *Input
	bytes = allocated(func() { in, err = LoadFS(context.Background(), fsys, "push to acme/probe") })
	if err != nil {
		t.Fatal(err)
	}
	if in.Image.File("probe/v1/probe.proto") == nil {
		t.Fatal("probe/v1/probe.proto missing from the image")
	}
	t.Logf("at the limit (%d bytes): accepted, %d KiB allocated", len(src), bytes>>10)
	if _, line, _ := deepValue(50, DefaultMaxOptionValueDepth); line == 0 {
		t.Fatal("deepValue(50) is within the limit")
	}
}

// TestLimitsEveryEntryPoint: the limit is on for directories, single
// files and git commits alike, applies to files only read as imports,
// reports every file past it, and is configurable.
func TestLimitsEveryEntryPoint(t *testing.T) {
	deep, _, _ := deepValue(60, DefaultMaxOptionValueDepth)
	deeper, _, _ := deepValue(70, DefaultMaxOptionValueDepth)
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"dir/a.proto":         deep,
		"dir/b.proto":         deeper,
		"dir/ok.proto":        cProto,
		"imp/buf.yaml":        "version: v1\nbuild:\n  excludes: [tmp]\n",
		"imp/main.proto":      "syntax = \"proto3\";\nimport \"tmp/deep.proto\";\nmessage Main { probe.v1.M m = 1; }\n",
		"imp/tmp/deep.proto":  deep,
		"single/probe.proto":  deep,
		"allowed/probe.proto": deep,
		"repo/buf.yaml":       "version: v2\nmodules:\n  - path: proto\n",
		"repo/proto/p.proto":  deep,
	})
	repo := filepath.Join(root, "repo")
	run(t, repo, "git", "init", "-q", "-b", "main")
	run(t, repo, "git", "add", "-A")
	run(t, repo, "git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "deep")
	tests := []struct {
		name, ref string
		limits    Limits
		want      []string // display paths refused; none means accepted
	}{
		{"directory", "dir", Limits{}, []string{"dir/a.proto:7:", "dir/b.proto:7:"}},
		{"single file", "single/probe.proto", Limits{}, []string{"single/probe.proto:7:"}},
		{"import only", "imp", Limits{}, []string{"imp/tmp/deep.proto:7:"}},
		{"git", "repo/.git#branch=main", Limits{}, []string{"proto/p.proto:7:"}},
		{"raised", "allowed", Limits{MaxOptionValueDepth: 121}, nil},
		{"raised one short", "allowed", Limits{MaxOptionValueDepth: 120}, []string{"allowed/probe.proto:7:"}},
		{"off", "allowed", Limits{MaxOptionValueDepth: -1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.ref, Options{Dir: root, Limits: tt.limits})
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want a compile error, got %v", err)
			}
			if len(ce.Diagnostics) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(ce.Diagnostics), len(tt.want), err)
			}
			for i, d := range ce.Diagnostics {
				if !strings.HasPrefix(d.String(), tt.want[i]) || !strings.Contains(d.Message, "deep (the limit)") {
					t.Errorf("diagnostic %d: got %s, want %s…", i, d, tt.want[i])
				}
			}
		})
	}
}

// countingFS counts the files opened, and calls onOpen (when set) before
// opening one.
type countingFS struct {
	fstest.MapFS
	opened atomic.Int64
	onOpen func(name string)
}

func (c *countingFS) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, ".proto") {
		if c.onOpen != nil {
			c.onOpen(name)
		}
		c.opened.Add(1)
	}
	return c.MapFS.Open(name)
}

func (c *countingFS) ReadFile(name string) ([]byte, error) {
	if strings.HasSuffix(name, ".proto") {
		if c.onOpen != nil {
			c.onOpen(name)
		}
		c.opened.Add(1)
	}
	return c.MapFS.ReadFile(name)
}

// TestLoadFSContext: a context already done stops LoadFS before any file
// is read, a deadline surfaces as context.DeadlineExceeded, and a cause
// given to the cancellation is in the message.
func TestLoadFSContext(t *testing.T) {
	fsys := &countingFS{MapFS: fstest.MapFS{
		"proto/acme/v1/a.proto": {Data: []byte(aProto)},
		"proto/acme/v1/b.proto": {Data: []byte(bProto)},
		"pbregistry.yaml":       {Data: []byte("version: v1\nroots: [proto]\n")},
	}}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	budget, cancelBudget := context.WithCancelCause(context.Background())
	cancelBudget(errors.New("compile budget of 10s used up"))
	tests := []struct {
		name string
		ctx  context.Context
		is   error
		msg  string
	}{
		{"canceled", canceled, context.Canceled, "push to acme/x: compiling stopped before it finished: context canceled"},
		{"deadline", expired, context.DeadlineExceeded, "push to acme/x: compiling stopped before it finished: context deadline exceeded"},
		{"cause", budget, context.Canceled, "push to acme/x: compiling stopped before it finished: compile budget of 10s used up: context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys.opened.Store(0)
			_, err := LoadFS(tt.ctx, fsys, "push to acme/x")
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v, want %v", err, tt.is)
			}
			if err.Error() != tt.msg {
				t.Errorf("got  %s\nwant %s", err, tt.msg)
			}
			if n := fsys.opened.Load(); n != 0 {
				t.Errorf("%d .proto files read after the context was done", n)
			}
		})
	}
}

// TestLoadFSCancelMidCompile cancels the context while the compiler
// resolves an import: LoadFS returns the context's error, not compile
// errors, and the compiler starts no more than one file per worker after
// that, out of 40 left to read.
func TestLoadFSCancelMidCompile(t *testing.T) {
	files := fstest.MapFS{
		"buf.yaml": {Data: []byte("version: v1\nbuild:\n  excludes: [dep]\n")},
	}
	for i := range 40 {
		files[fmt.Sprintf("dep/d%02d.proto", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("syntax = \"proto3\";\npackage dep;\nmessage D%02d {}\n", i))}
		files[fmt.Sprintf("a/a%02d.proto", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("syntax = \"proto3\";\npackage a;\nimport \"dep/d%02d.proto\";\nmessage A%02d { dep.D%02d d = 1; }\n", i, i, i))}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	var after atomic.Int64
	fsys := &countingFS{MapFS: files}
	fsys.onOpen = func(name string) {
		if !strings.HasPrefix(name, "dep/") {
			return
		}
		if ctx.Err() != nil {
			after.Add(1)
		}
		once.Do(cancel)
	}
	_, err := LoadFS(ctx, fsys, "push to acme/x")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	var ce *CompileError
	if errors.As(err, &ce) {
		t.Errorf("a canceled compile reports compile errors: %v", err)
	}
	if n := after.Load(); n > int64(runtime.GOMAXPROCS(0)) {
		t.Errorf("%d imports read after cancellation, want at most %d (one per worker)", n, runtime.GOMAXPROCS(0))
	}
}

// TestDeepOptionValueFuzzSeeds checks that the seeds FuzzCompile gets for
// deep option values are refused and accepted as intended.
func TestDeepOptionValueFuzzSeeds(t *testing.T) {
	for i, s := range deepSeeds() {
		dir := t.TempDir()
		if err := os.WriteFile(dir+"/fuzz.proto", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(context.Background(), "fuzz.proto", Options{Dir: dir})
		wantRefused := i%2 == 1
		if got := err != nil && strings.Contains(err.Error(), "deep (the limit)"); got != wantRefused {
			t.Errorf("seed %d: refused %v, want %v (%v)", i, got, wantRefused, err)
		}
	}
}

// deepSeeds returns fuzz seeds in pairs: an option value at the default
// limit, accepted, then one level deeper, refused.
func deepSeeds() []string {
	v := "syntax = \"proto2\";\nimport \"google/protobuf/descriptor.proto\";\nmessage V { optional V a = 1; repeated V l = 2; }\nextend google.protobuf.FileOptions { optional V v = 50000; }\n"
	list := func(n int) string { return strings.Repeat("{l:[", n) + "{}" + strings.Repeat("]}", n) }
	angle := func(n int) string { return strings.Repeat("a<", n) }
	return []string{
		v + "option (v) = " + nested(99) + ";\n",
		v + "option (v) = " + nested(100) + ";\n",
		v + "option (v) = " + list(49) + ";\n",
		v + "option (v) = " + list(50) + ";\n",
		v + "option (v) = {" + angle(99) + strings.Repeat(">", 99) + "};\n",
		v + "option (v) = {" + angle(100) + strings.Repeat(">", 100) + "};\n",
	}
}

// TestLimitsParityWithBuf: buf refuses exactly the option values the
// default limit refuses, at the same line and column, and builds the
// deepest ones it accepts. It runs when PBREGISTRY_BUF names the buf
// binary (scripts/test sets it).
func TestLimitsParityWithBuf(t *testing.T) {
	buf := os.Getenv("PBREGISTRY_BUF")
	if buf == "" {
		t.Skip("PBREGISTRY_BUF not set")
	}
	probe, _, _ := deepValue(8000, DefaultMaxOptionValueDepth)
	seeds := deepSeeds()
	tests := []struct{ name, src string }{
		{"probe", probe},
		{"at the limit", seeds[0]},
		{"past the limit", seeds[1]},
		{"lists at the limit", seeds[2]},
		{"lists past the limit", seeds[3]},
		{"angles at the limit", seeds[4]},
		{"angles past the limit", seeds[5]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"m/buf.yaml": "version: v2\n", "m/deep.proto": tt.src})
			_, ours := Load(context.Background(), "m", Options{Dir: root})
			cmd := exec.Command(buf, "build", "m", "-o", os.DevNull)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+filepath.Join(root, ".bufcache"))
			out, theirs := cmd.CombinedOutput()
			if (ours == nil) != (theirs == nil) {
				t.Fatalf("ours: %v\nbuf: %v\n%s", ours, theirs, out)
			}
			if ours == nil {
				return
			}
			var ce *CompileError
			if !errors.As(ours, &ce) {
				t.Fatalf("want a compile error, got %v", ours)
			}
			d := ce.Diagnostics[0]
			at := fmt.Sprintf("%s:%d:%d:", d.Path, d.Line, d.Col)
			if !strings.HasPrefix(string(out), at) || !strings.Contains(string(out), "nesting depth must be at most 100") {
				t.Errorf("ours: %s\nbuf:  %s", d, out)
			}
		})
	}
}
