package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/pbregistry/pbregistry/compat"
)

// runRules lists the catalog, like `buf config ls-breaking-rules`.
func runRules(_ context.Context, e *env, args []string) (int, error) {
	fs := newFlagSet("rules", "rules [--version v1|v2] [--format text|json]", e.stderr)
	configVersion := fs.String("version", "v2", "configuration version whose catalog to list: v1 or v2")
	format := fs.String("format", "text", "output format: text or json")
	if _, err := parseInterspersed(fs, args); err != nil {
		return exitError, err
	}
	if *configVersion != "v1" && *configVersion != "v2" && *configVersion != "v1beta1" {
		return exitError, usagef("unknown --version %q: use v1 or v2", *configVersion)
	}
	rules := compat.Rules(*configVersion)
	switch *format {
	case "json":
		enc := json.NewEncoder(e.stdout)
		for _, r := range rules {
			if err := enc.Encode(struct {
				ID           string   `json:"id"`
				Categories   []string `json:"categories"`
				Default      bool     `json:"default"`
				Directions   string   `json:"directions"`
				Purpose      string   `json:"purpose"`
				Deprecated   bool     `json:"deprecated,omitempty"`
				Replacements []string `json:"replacements,omitempty"`
			}{r.ID, r.Categories, r.Default, r.Directions.String(), r.Purpose, r.Deprecated, r.Replacements}); err != nil {
				return exitError, err
			}
		}
	case "text":
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCATEGORIES\tDEFAULT\tPURPOSE")
		for _, r := range rules {
			def := ""
			if r.Default {
				def = "*"
			}
			cats := strings.Join(r.Categories, ", ")
			if r.Deprecated {
				cats = "deprecated"
				if len(r.Replacements) > 0 {
					cats += " → " + strings.Join(r.Replacements, ", ")
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, cats, def, r.Purpose)
		}
		if err := tw.Flush(); err != nil {
			return exitError, err
		}
		fmt.Fprintf(e.stdout, "\nCategories: %s\n", strings.Join(compat.Categories(*configVersion), ", "))
	default:
		return exitError, usagef("unknown --format %q: use text or json", *format)
	}
	return exitOK, nil
}

// version returns the module version pbcheck was built from.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return "pbcheck " + info.Main.Version
	}
	return "pbcheck (devel)"
}
