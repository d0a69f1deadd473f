// Command gen writes the deterministic protobuf corpus used by the
// breaking-change benchmark (bench/breaking.sh).
//
// Usage:
//
//	go run ./bench/gen -out DIR [-files 5200] [-seed 1]
//
// It writes two buf modules, DIR/previous and DIR/current, and
// DIR/changes.txt. previous is a large schema repository in the style of a
// big company: ~40 business domains, several areas each, versioned packages
// (acme.<domain>.<area>.v1, some v1beta1 and v2), files importing each other
// along a DAG, well-known types, custom options, proto2 and editions files.
// current is previous with a known set of deliberate changes applied, both
// breaking and compatible; changes.txt lists them one per line.
//
// The pipeline is: Build makes the model of previous (a Corpus); Build is
// called again with the same seed to get an identical, independent model for
// current; Mutate applies the changes to that second model; Render turns each
// model file into .proto text; WriteCorpus puts everything on disk. The same
// seed always produces the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	out := flag.String("out", "", "output directory (required); previous/, current/ and changes.txt are replaced")
	files := flag.Int("files", 5200, "number of .proto files in previous/")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same bytes")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR [-files N] [-seed S]")
		os.Exit(2)
	}
	if *files < 20 {
		fmt.Fprintln(os.Stderr, "gen: -files must be at least 20")
		os.Exit(2)
	}
	start := time.Now()
	stats, err := Generate(*out, Config{Files: *files, Seed: *seed})
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("gen: wrote %s in %.1fs\n%s", *out, time.Since(start).Seconds(), stats)
}
