// Command benchtool is the small helper the benchmark scripts use where
// shell tools fall short:
//
//	benchtool keys [FILE]            finding keys of a --error-format json output
//	benchtool measure -o OUT -- CMD  run CMD, write "WALL_SECONDS MAX_RSS_KIB" to OUT
//	benchtool section -file F -begin B -end E -content C
//	                                 replace the text between two markers of F
//
// keys reads one JSON object per line (buf's and pbcheck's --error-format
// json) and prints, sorted, one key per finding:
// path:start_line:start_column:end_line:end_column:type. Messages are not
// part of the key: the two tools word them differently on purpose.
//
// measure exists for machines without GNU time (/usr/bin/time); it reports
// the same two numbers as `/usr/bin/time -f '%e %M'`. The command's exit
// code is passed through.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "keys":
		err = keys(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	case "section":
		err = section(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchtool keys [FILE] | measure -o OUT -- CMD [ARGS...] | section -file F -begin B -end E -content C")
	os.Exit(2)
}

// finding is one line of --error-format json output.
type finding struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line"`
	StartColumn int    `json:"start_column"`
	EndLine     int    `json:"end_line"`
	EndColumn   int    `json:"end_column"`
	Type        string `json:"type"`
}

func keys(args []string) error {
	in := io.Reader(os.Stdin)
	name := "stdin"
	if len(args) > 0 {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, args[0]
	}
	var out []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var f finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			return fmt.Errorf("%s:%d: not a JSON finding (%v); was --error-format json passed?", name, n, err)
		}
		if f.Type == "" {
			return fmt.Errorf("%s:%d: finding without a type: %s", name, n, line)
		}
		out = append(out, fmt.Sprintf("%s:%d:%d:%d:%d:%s", f.Path, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.Type))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	slices.Sort(out)
	w := bufio.NewWriter(os.Stdout)
	for _, k := range out {
		fmt.Fprintln(w, k)
	}
	return w.Flush()
}

func measure(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	outPath := fs.String("o", "", "file to write \"WALL_SECONDS MAX_RSS_KIB\" to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *outPath == "" || fs.NArg() == 0 {
		return errors.New("usage: measure -o OUT -- CMD [ARGS...]")
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return runErr
	}
	var rssKiB int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssKiB = int64(ru.Maxrss) // KiB on Linux
	}
	line := fmt.Sprintf("%.2f %d\n", wall.Seconds(), rssKiB)
	if err := os.WriteFile(*outPath, []byte(line), 0o644); err != nil {
		return err
	}
	return runErr
}

func section(args []string) error {
	fs := flag.NewFlagSet("section", flag.ContinueOnError)
	file := fs.String("file", "", "markdown file to update (created if missing)")
	begin := fs.String("begin", "", "begin marker line")
	end := fs.String("end", "", "end marker line")
	content := fs.String("content", "", "file with the new section body (without markers)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *begin == "" || *end == "" || *content == "" {
		return errors.New("usage: section -file F -begin B -end E -content C")
	}
	body, err := os.ReadFile(*content)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(*file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	updated, err := replaceSection(string(old), *begin, *end, strings.TrimRight(string(body), "\n"))
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	tmp := *file + ".tmp"
	if err := os.WriteFile(tmp, []byte(updated), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, *file)
}

// replaceSection puts body between the begin and end marker lines of doc,
// keeping everything else. Without markers, the section is appended.
func replaceSection(doc, begin, end, body string) (string, error) {
	block := begin + "\n" + body + "\n" + end
	i := strings.Index(doc, begin)
	if i < 0 {
		if doc == "" {
			return "# Benchmarks\n\nResults of the benchmarks under `bench/`. Each section is written by its script; edit the scripts, not the sections.\n\n" + block + "\n", nil
		}
		return strings.TrimRight(doc, "\n") + "\n\n" + block + "\n", nil
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return "", fmt.Errorf("marker %q has no matching %q", begin, end)
	}
	return doc[:i] + block + doc[i+j+len(end):], nil
}
