package main

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/report"
)

// promoteClient is the part of the generated client registry promote uses.
type promoteClient interface {
	PromoteVersion(context.Context, *connect.Request[v1.PromoteVersionRequest]) (*connect.Response[v1.PromoteVersionResponse], error)
}

// runPromote runs `pbcheck registry promote <module>@<version> [--reason R]`:
// the version's content becomes the module's next version, checked against
// the latest like a push. It prints the version, or — like pbcheck push —
// the findings that block it and the approve commands (exit code 100).
// Pushing an old version's content again does not move latest; this does.
func runPromote(ctx context.Context, e *env, f *clientFlags, client promoteClient, args []string, reason string, format report.Format) (int, error) {
	if len(args) != 1 {
		return exitError, usagef("promote takes one <module>@<version>, e.g. acme/commerce@3")
	}
	module, n, err := parseModuleVersion(args[0])
	if err != nil {
		return exitError, err
	}
	if n == 0 {
		return exitError, usagef("promote %s: name the version to promote, e.g. %s@3", args[0], module)
	}
	what := fmt.Sprintf("promote %s@%d", module, n)
	req := &v1.PromoteVersionRequest{Module: module, Version: n, Reason: reason}
	resp, err := withRetries(ctx, e.stderr, what, func(ctx context.Context) (*connect.Response[v1.PromoteVersionResponse], error) {
		return client.PromoteVersion(ctx, connect.NewRequest(req))
	})
	if err != nil {
		if refused, werr := reportRejection(e, err, format, nil); werr != nil {
			return exitError, werr
		} else if refused {
			return exitFindings, nil
		}
		return exitError, rpcError(f.registry, what, err)
	}
	v := resp.Msg.GetVersion()
	if format == report.FormatText {
		if resp.Msg.GetCreated() {
			fmt.Fprintf(e.stdout, "%s: version %d created from version %d (%s)\n", v.GetModule(), v.GetNumber(), v.GetPromotedFrom(), v.GetDigest())
		} else {
			fmt.Fprintf(e.stdout, "%s: version %d, the latest, already holds the content of version %d (%s)\n", v.GetModule(), v.GetNumber(), n, v.GetDigest())
		}
	}
	if err := reportAccepted(e, resp.Msg.GetFindings(), format, nil); err != nil {
		return exitError, err
	}
	return exitOK, nil
}

// reportRejection prints a push or promotion that the registry refused for
// its findings: in text, the registry's message and the commands with which
// an admin approves exceptions; in other formats, the findings, paths
// rewritten by displayPath. It reports whether err was such a refusal.
func reportRejection(e *env, err error, format report.Format, displayPath func(string) string) (bool, error) {
	rej, ok := pushRejection(err)
	if !ok {
		return false, nil
	}
	var ce *connect.Error
	errors.As(err, &ce)
	if format == report.FormatText {
		fmt.Fprintln(e.stdout, ce.Message())
		writeApproveHint(e.stdout, rej)
		return true, nil
	}
	return true, report.Write(e.stdout, format, findingsFromProto(rej.GetFindings()), displayPath)
}

// reportAccepted prints the findings of an accepted push or promotion
// (warnings, and findings let through by exceptions): in text on stderr,
// after the version line; in other formats on stdout.
func reportAccepted(e *env, findings []*v1.Finding, format report.Format, displayPath func(string) string) error {
	if len(findings) == 0 {
		return nil
	}
	w := e.stderr
	if format != report.FormatText {
		w = e.stdout
	}
	return report.Write(w, format, findingsFromProto(findings), displayPath)
}
