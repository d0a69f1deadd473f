package input

import (
	"bytes"
	"context"
	"io/fs"
	"runtime"
	"slices"
	"sync"
)

// readTargets reads every target file once, in parallel, so the compiler
// is served from memory and the files can be ordered before compiling,
// and checks each against the limits. It stops reading when ctx is done.
func (s *sources) readTargets(ctx context.Context) error {
	s.content = make(map[string][]byte, len(s.order))
	var mu sync.Mutex
	var firstErr error
	work := make(chan *sourceFile)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if ctx.Err() != nil {
					continue
				}
				data, err := fs.ReadFile(s.fsys, f.fsPath)
				if err == nil && s.refuse(f.fsPath, data) {
					data = nil // not compiled: keep only the diagnostic
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				s.content[f.path] = data
				mu.Unlock()
			}
		}()
	}
	for _, p := range s.order {
		if ctx.Err() != nil {
			break
		}
		work <- s.targets[p]
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return s.stopped(ctx)
	}
	return firstErr
}

// sortByImports reorders s.order so that imported targets come before the
// targets importing them. protocompile checks for import cycles among the
// files waiting on their imports, which costs time quadratic in the
// number of waiting files; compiling dependencies first keeps that number
// small. Imports are found with a light scan, good enough for ordering;
// the compiler still checks everything.
func (s *sources) sortByImports() {
	done := make(map[string]bool, len(s.order))
	out := make([]string, 0, len(s.order))
	var visit func(p string)
	visit = func(p string) {
		if done[p] {
			return
		}
		done[p] = true
		for _, dep := range scanImports(s.content[p]) {
			if _, ok := s.targets[dep]; ok {
				visit(dep)
			}
		}
		out = append(out, p)
	}
	for _, p := range slices.Clone(s.order) {
		visit(p)
	}
	s.order = out
}

// scanImports returns the paths of the import statements of a .proto
// source, found without parsing: lines starting with import followed by
// an optional public, weak or option and a quoted path.
func scanImports(data []byte) []string {
	var out []string
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("import"))
		if j < 0 {
			return out
		}
		start := i + j
		i = start + len("import")
		// Only at the start of a line (after blanks).
		k := start - 1
		for k >= 0 && (data[k] == ' ' || data[k] == '\t') {
			k--
		}
		if k >= 0 && data[k] != '\n' && data[k] != '\r' && data[k] != ';' {
			continue
		}
		rest := skipBlanks(data[i:])
		for _, mod := range [][]byte{[]byte("public"), []byte("weak"), []byte("option")} {
			if bytes.HasPrefix(rest, mod) {
				rest = skipBlanks(rest[len(mod):])
			}
		}
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			continue
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return out
		}
		out = append(out, string(rest[1:1+end]))
	}
}

func skipBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}
