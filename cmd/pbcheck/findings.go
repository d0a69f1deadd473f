package main

import (
	"fmt"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/report"
)

// writeFindings prints findings in format, their paths as img's files
// display them (as buf prints them), and returns the exit code they make.
func writeFindings(e *env, format report.Format, findings []compat.Finding, img *image.Image) (int, error) {
	displayPath := func(p string) string {
		if file := img.File(p); file != nil {
			return file.DisplayPath()
		}
		return p
	}
	if err := report.Write(e.stdout, format, findings, displayPath); err != nil {
		return exitError, err
	}
	return exitCodeOf(findings), nil
}

// exitCodeOf returns 100 when a finding has error severity, else 0.
func exitCodeOf(findings []compat.Finding) int {
	for _, f := range findings {
		if f.Severity == compat.SeverityError {
			return exitFindings
		}
	}
	return exitOK
}

// foldedForReport turns the findings of a subject-aware check and the
// change policies' findings into the report's findings as the registry
// makes them at push: each policy finding folded into the finding of the
// change it judges (registry.FoldPolicies), each message saying whom the
// change breaks (registry.Finding.Explain: relative to the baseline
// version from --history, else to the previous schema), and naming the
// subject and its level as pbcheck prints the registry's findings.
func foldedForReport(fs []registry.Finding, policyFindings []compat.Finding, baseline int64) []compat.Finding {
	for _, p := range policyFindings {
		fs = append(fs, registry.Finding{Finding: p, Policy: true})
	}
	fs = registry.FoldPolicies(fs)
	out := make([]compat.Finding, len(fs))
	for i, f := range fs {
		out[i] = f.Finding
		out[i].Message = f.Explain(baseline)
		if f.Subject != "" {
			out[i].Message += fmt.Sprintf(" [subject %s, %s]", f.Subject, f.Level)
		}
	}
	return out
}
