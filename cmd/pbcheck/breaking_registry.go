package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"connectrpc.com/connect"

	"github.com/pbregistry/pbregistry/report"
)

// inDir returns a report display function that shows module-relative
// paths relative to the working directory, for editors and CI annotations.
func inDir(dir string) func(string) string {
	return func(p string) string { return filepath.ToSlash(filepath.Join(dir, p)) }
}

// exists reports whether a file or directory named p exists.
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// breakingAgainstRegistry asks the registry for the verdict a push of the
// module directory dir (or of an image, see checkPushRequest) would get
// (CheckPush) and prints its findings:
// each subject checked with its own level and transitivity against the
// registry's latest version and ledger.
func breakingAgainstRegistry(ctx context.Context, e *env, dir string, f breakingFlags, format report.Format) (int, error) {
	if len(f.use) > 0 || len(f.except) > 0 || f.compatibility != "" || len(f.paths) > 0 || len(f.excludes) > 0 || f.config != "" {
		return exitError, usagef("--against registry checks with the registry's rules: --use, --except, --compatibility, --path, --exclude-path and --config do not apply")
	}
	client, err := f.client.client()
	if err != nil {
		return exitError, err
	}
	req, dir, err := checkPushRequest(dir, e.stdin)
	if err != nil {
		return exitError, err
	}
	resp, err := client.CheckPush(ctx, connect.NewRequest(req))
	if err != nil {
		return exitError, rpcError(f.client.registry, "check "+dir+" against the registry", err)
	}
	msg := resp.Msg
	switch {
	case msg.GetExistingVersion() > 0:
		fmt.Fprintf(e.stderr, "%s holds this content already as version %d\n", dir, msg.GetExistingVersion())
	case msg.GetBaselineVersion() == 0:
		fmt.Fprintf(e.stderr, "the module of %s has no version in the registry yet: a push would create version 1\n", dir)
	}
	findings := findingsFromProto(msg.GetFindings())
	if f.explain {
		// The registry sends the witnesses of the blocking findings.
		err = writeExplained(e, format, findings, explanationsFromProto(msg.GetFindings()), inDir(dir))
	} else {
		err = report.Write(e.stdout, format, findings, inDir(dir))
	}
	if err != nil {
		return exitError, err
	}
	if !msg.GetAccepted() {
		return exitFindings, nil
	}
	return exitOK, nil
}
