package main

import (
	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
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
