package main

import (
	"context"
	"flag"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/input"
)

// registerPerformance registers pbcheck breaking's flags that change how
// fast it runs and how much memory it takes, never what it finds.
func (f *breakingFlags) registerPerformance(fs *flag.FlagSet) {
	fs.BoolVar(&f.eagerSourceInfo, "eager-source-info", false,
		"compile every file with source info up front instead of only the files with findings (same findings; slower, more memory)")
	fs.BoolVar(&f.compileSeparately, "compile-separately", false,
		"compile the two inputs separately, in parallel, instead of compiling once the files identical on both sides with their imports (same findings; more work, more memory)")
}

// deferSourceInfo is input.Options.DeferSourceInfo for pbcheck breaking:
// a directory or git input is compiled without source info, which only
// locates findings, unless something reads the whole schema's comments or
// is checked as a push: pbregistry.yaml subjects or policies (CEL
// expressions may read comments), --history, or --eager-source-info.
// loadFindingsSourceInfo then adds it to the files with findings.
func (f *breakingFlags) deferSourceInfo(cfg *config.Config) bool {
	if f.eagerSourceInfo || f.history != "" {
		return false
	}
	return cfg == nil || len(cfg.Subjects) == 0 && cfg.Policies == nil
}

// loadFindingsSourceInfo loads the source info of the files findings are
// located in, in inputs compiled without it: the current input's files
// for Location, the against input's for Previous. It reports whether it
// loaded any, in which case the check must run again to locate them.
func loadFindingsSourceInfo(ctx context.Context, current, against *input.Input, findings []compat.Finding) (bool, error) {
	if len(findings) == 0 || !current.SourceInfoDeferred() && !against.SourceInfoDeferred() {
		return false, nil
	}
	var cur, prev []string
	for _, fd := range findings {
		if fd.Location.Path != "" {
			cur = append(cur, fd.Location.Path)
		}
		if fd.Previous.Path != "" {
			prev = append(prev, fd.Previous.Path)
		}
	}
	if err := current.LoadSourceInfo(ctx, cur); err != nil {
		return false, err
	}
	if err := against.LoadSourceInfo(ctx, prev); err != nil {
		return false, err
	}
	return current.SourceInfoDeferred() && len(cur) > 0 || against.SourceInfoDeferred() && len(prev) > 0, nil
}
