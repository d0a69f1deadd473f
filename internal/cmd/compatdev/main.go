// Command compatdev is a scratch harness: it compiles two directories and
// prints compat findings as buf-style JSON lines. Temporary.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func load(dir string) *image.Image {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(p, ".proto") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{dir}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	res, err := c.Compile(context.Background(), files...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	input := map[string]bool{}
	for _, f := range files {
		input[f] = true
	}
	var out []*image.File
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		out = append(out, &image.File{Descriptor: fd, IsImport: !input[fd.Path()]})
	}
	for _, r := range res {
		add(r)
	}
	img, err := image.New(out)
	if err != nil {
		panic(err)
	}
	return img
}

func main() {
	cfg := compat.Config{}
	if len(os.Args) > 3 {
		cfg.Use = strings.Split(os.Args[3], ",")
	}
	if len(os.Args) > 4 {
		cfg.Level, _ = compat.ParseLevel(os.Args[4])
	}
	findings, err := compat.Check(load(os.Args[2]), load(os.Args[1]), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range findings {
		m := map[string]any{"start_line": f.Location.StartLine, "start_column": f.Location.StartColumn, "end_line": f.Location.EndLine, "end_column": f.Location.EndColumn, "type": f.Rule, "message": f.Message}
		if f.Location.Path != "" {
			m["path"] = f.Location.Path
		}
		b, _ := json.Marshal(m)
		fmt.Println(string(b))
	}
}
