package input

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// manyFiles returns n files where each imports up to two earlier ones,
// in reverse path order from their dependency order. File 7 imports file
// 2 behind a comment, which the import scan used for ordering misses.
func manyFiles(n int) map[string]string {
	files := map[string]string{}
	for i := 0; i < n; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "syntax = \"proto3\";\npackage p%d;\n", i)
		var fields []string
		for k, j := range []int{i - 1, i / 2} {
			if j < 0 || j == i || (k == 1 && j == i-1) {
				continue
			}
			fmt.Fprintf(&b, "import \"f%05d.proto\";\n", n-j)
			fields = append(fields, fmt.Sprintf("  p%d.M ref%d = %d;\n", j, k, k+2))
		}
		if i == 7 {
			fmt.Fprintf(&b, "/* hidden */ import \"f%05d.proto\";\n", n-2)
			fields = append(fields, "  p2.M hidden = 9;\n")
		}
		fmt.Fprintf(&b, "message M {\n  string id = 1;\n%s}\n", strings.Join(fields, ""))
		files[fmt.Sprintf("m/f%05d.proto", n-i)] = b.String()
	}
	// a.proto is compiled in the first chunk and needs z.proto, which only
	// the last chunk lists: z.proto must be compiled once, as an input.
	files["m/a.proto"] = "syntax = \"proto3\";\npackage a;\n/* hidden */ import \"z.proto\";\nmessage A { z.Z z = 1; }\n"
	files["m/z.proto"] = "syntax = \"proto3\";\npackage z;\nmessage Z {}\n"
	return files
}

func TestChunkedCompile(t *testing.T) {
	n := 3*chunkPerProc*runtime.GOMAXPROCS(0) + 5
	root := t.TempDir()
	files := manyFiles(n)
	writeTree(t, root, files)
	in, err := Load(context.Background(), "m", Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	views := viewOf(t, in.Image) // checks the order
	if len(views) != n+2 {
		t.Fatalf("%d files, want %d", len(views), n+2)
	}
	for _, v := range views {
		if v.IsImport || v.External != "m/"+v.Path {
			t.Errorf("file %+v", v)
		}
	}
	if got := len(in.Modules[0].Files); got != n+2 {
		t.Errorf("module has %d files, want %d", got, n+2)
	}

	// Errors in an early and a late file are both reported.
	first, last := fmt.Sprintf("m/f%05d.proto", n), "m/f00001.proto"
	writeTree(t, root, map[string]string{
		first: strings.Replace(files[first], "string id = 1;", "strin id = 1;", 1),
		last:  strings.Replace(files[last], "string id = 1;", "string id = 1", 1),
	})
	_, err = Load(context.Background(), "m", Options{Dir: root})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a *CompileError", err)
	}
	msg := err.Error()
	for _, want := range []string{filepath.ToSlash(first) + ":4:3: ", last + ":"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors do not mention %q:\n%s", want, msg)
		}
	}
}

func TestScanImports(t *testing.T) {
	src := "syntax = \"proto3\";\nimport \"a.proto\";\n  import public 'b.proto';\nimport weak\n  \"c.proto\";\n// import \"no.proto\";\nmessage M { string important = 1; }\nimport \"d.proto\";import \"e.proto\";\n"
	got := scanImports([]byte(src))
	want := []string{"a.proto", "b.proto", "c.proto", "d.proto", "e.proto"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("scanImports = %v, want %v", got, want)
	}
}
