// Command profile runs what `pbcheck breaking CURRENT --against AGAINST`
// runs — both inputs loaded concurrently (input.Load), compat.Check with
// the first module's breaking configuration, the built-in change policies —
// and writes pprof profiles of it:
//
//	go run ./bench/profile -cpu cpu.pprof -allocs allocs.pprof -heap heap.pprof CURRENT AGAINST
//
// -heap is the in-use heap sampled at its peak: a watcher reads the heap
// size every 50 ms and writes a heap profile each time it grows by 10%
// past the largest seen, so the file left is the one nearest the peak.
// With -defer-source-info it loads as pbcheck breaking does by default:
// without source info, then again the files with findings (the check runs
// twice). It prints the phases' wall times, the peak heap seen, and the number of
// findings (the compatibility ones and the policies' ones).
//
// It is a profiling aid, not a benchmark: bench/realworld.sh times the
// pbcheck binary itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/policies"
)

func main() {
	cpu := flag.String("cpu", "", "write a CPU profile to this file")
	allocs := flag.String("allocs", "", "write an allocation profile to this file")
	heap := flag.String("heap", "", "write the in-use heap near its peak to this file")
	deferInfo := flag.Bool("defer-source-info", false, "compile without source info and load it for the files with findings, as pbcheck breaking does by default")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: profile [-cpu F] [-allocs F] [-heap F] CURRENT AGAINST")
		os.Exit(2)
	}
	if err := run(*cpu, *allocs, *heap, *deferInfo, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(cpuPath, allocsPath, heapPath string, deferInfo bool, cur, ag string) error {
	if allocsPath != "" {
		runtime.MemProfileRate = 64 << 10
	}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchHeap(heapPath, stop, &peak)
	}()

	ctx := context.Background()
	start := time.Now()
	var current, against *input.Input
	g, gctx := errgroup.WithContext(ctx)
	opts := input.Options{}
	if deferInfo {
		opts.DeferSourceInfo = func(*config.Config) bool { return true }
	}
	g.Go(func() (err error) { current, err = input.Load(gctx, cur, opts); return err })
	g.Go(func() (err error) { against, err = input.Load(gctx, ag, opts); return err })
	if err := g.Wait(); err != nil {
		return err
	}
	loaded := time.Now()
	cfg := compat.Config{}
	if len(current.Modules) > 0 {
		cfg = current.Modules[0].Breaking
	}
	findings, err := compat.Check(against.Image, current.Image, cfg)
	if err != nil {
		return err
	}
	if deferInfo && len(findings) > 0 {
		var curPaths, prevPaths []string
		for _, f := range findings {
			curPaths = append(curPaths, f.Location.Path)
			prevPaths = append(prevPaths, f.Previous.Path)
		}
		if err := current.LoadSourceInfo(ctx, curPaths); err != nil {
			return err
		}
		if err := against.LoadSourceInfo(ctx, prevPaths); err != nil {
			return err
		}
		if findings, err = compat.Check(against.Image, current.Image, cfg); err != nil {
			return err
		}
	}
	checked := time.Now()
	set, err := policies.Compile(policies.Sources{})
	if err != nil {
		return err
	}
	changes, err := set.Changes(ctx, against.Image, current.Image, policies.Context{})
	if err != nil {
		return err
	}
	done := time.Now()
	close(stop)
	wg.Wait()
	if allocsPath != "" {
		if err := writeProfile("allocs", allocsPath); err != nil {
			return err
		}
	}
	fmt.Printf("load %.2fs  check %.2fs  policies %.2fs  total %.2fs\n",
		loaded.Sub(start).Seconds(), checked.Sub(loaded).Seconds(), done.Sub(checked).Seconds(), done.Sub(start).Seconds())
	fmt.Printf("peak heap in use %.0f MiB; %d files current, %d against; %d findings, %d from change policies\n",
		float64(peak)/(1<<20), len(current.Image.Files()), len(against.Image.Files()), len(findings), len(changes))
	return nil
}

// watchHeap samples the heap every 50 ms until stop is closed, recording
// the largest in-use size in *peak and, when path is set, writing a heap
// profile there whenever the heap grows 10% past the largest written.
func watchHeap(path string, stop <-chan struct{}, peak *uint64) {
	var written uint64
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > *peak {
			*peak = ms.HeapInuse
		}
		if path != "" && ms.HeapInuse > written+written/10 {
			written = ms.HeapInuse
			if err := writeProfile("heap", path); err != nil {
				fmt.Fprintln(os.Stderr, "profile: heap:", err)
				return
			}
		}
	}
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write %s profile: %w", name, err)
	}
	return f.Close()
}
