package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/report"
)

const pushSynopsis = `push [<dir>] --registry URL [--token TOKEN] [--image FILE [--sources=false]] [flags]

Pushes the module in <dir> (default "."): its pbregistry.yaml and the .proto
files under its roots. With --image, pushes the module compiled instead, for
editions the built-in compiler cannot parse (Edition 2024): an image that
'buf build -o image.binpb' or 'protoc --include_imports --include_source_info
--descriptor_set_out=image.binpb' wrote (.binpb, .json, optionally .gz; - for
stdin), with pbregistry.yaml and, as its sources, the .proto files of <dir>
that are files of the image (--sources=false sends none; docs/images.md).
Either way the module's fixtures go too: testdata/<subject>/<name>.json and
.binpb beside pbregistry.yaml, which the registry parses against their
subjects (docs/fixtures.md).

The registry checks the push against its latest version, with each subject's
compatibility level, and stores it as the next version; pushing content it
already holds returns that version. Prints the version,
or the findings that block the push (exit code 100). A push the registry
aborts (another landed first) or cannot take now (unavailable, or
resource_exhausted with Retry-After) is retried up to 5 times with
jittered exponential backoff, each retry noted on stderr.`

// pushFlags are pbcheck push's flags.
type pushFlags struct {
	clientFlags
	module      string
	gitCommit   string
	gitBranch   string
	ciURL       string
	labels      stringList
	errorFormat string
	image       string
	sources     bool
}

// ciDefaults returns the build metadata of common CI systems' environment:
// GitHub Actions, GitLab CI, Buildkite, CircleCI, Jenkins.
func ciDefaults(getenv func(string) string) (commit, branch, url string) {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	commit = first("GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1", "GIT_COMMIT")
	branch = first("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BUILDKITE_BRANCH", "CIRCLE_BRANCH", "GIT_BRANCH")
	if s, r, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); s != "" && r != "" && id != "" {
		url = s + "/" + r + "/actions/runs/" + id
	} else {
		url = first("CI_JOB_URL", "BUILDKITE_BUILD_URL", "CIRCLE_BUILD_URL", "BUILD_URL")
	}
	return commit, branch, url
}

func runPush(ctx context.Context, e *env, args []string) (int, error) {
	var f pushFlags
	fs := newFlagSet("push", pushSynopsis, e.stderr)
	f.register(fs)
	commit, branch, url := ciDefaults(os.Getenv)
	fs.StringVar(&f.module, "module", "", "module name (default: pbregistry.yaml's module:)")
	fs.StringVar(&f.gitCommit, "git-commit", commit, "commit the build ran on (default from CI: GITHUB_SHA, CI_COMMIT_SHA, …)")
	fs.StringVar(&f.gitBranch, "git-branch", branch, "branch the build ran on (default from CI: GITHUB_REF_NAME, CI_COMMIT_REF_NAME, …)")
	fs.StringVar(&f.ciURL, "ci-url", url, "link to the build (default from CI: GitHub Actions run URL, CI_JOB_URL, …)")
	fs.Var(&f.labels, "label", "key=value label recorded with the version (repeatable)")
	fs.StringVar(&f.errorFormat, "error-format", "text", "format of findings: text, json, github-actions, junit or msvs")
	fs.StringVar(&f.image, "image", "", "push this image (buf build or protoc output; - for stdin) instead of compiling the .proto files")
	fs.BoolVar(&f.sources, "sources", true, "with --image: send the .proto files of <dir> that are files of the image, for display, downloads and stacks")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	dir, err := optionalArg(positional, "module directory")
	if err != nil {
		return exitError, err
	}
	format, err := report.ParseFormat(f.errorFormat)
	if err != nil {
		return exitError, &usageError{msg: err.Error()}
	}
	labels := map[string]string{}
	for _, l := range f.labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return exitError, usagef("--label %q: write key=value", l)
		}
		labels[k] = v
	}
	client, err := f.client()
	if err != nil {
		return exitError, err
	}
	if !f.sources && f.image == "" {
		return exitError, usagef("--sources=false applies to --image only: a push of .proto files sends them")
	}
	req := &v1.PushRequest{
		Module: f.module,
		Build:  &v1.BuildInfo{GitCommit: f.gitCommit, GitBranch: f.gitBranch, CiUrl: f.ciURL, Labels: labels},
	}
	if f.image != "" {
		push, err := readImagePush(f.image, e.stdin, dir, f.sources)
		if err != nil {
			return exitError, err
		}
		req.Files, req.Image = push.files, push.image
	} else if req.Files, _, err = readModule(dir); err != nil {
		return exitError, err
	}
	resp, err := withRetries(ctx, e.stderr, "push "+dir, func(ctx context.Context) (*connect.Response[v1.PushResponse], error) {
		return client.Push(ctx, connect.NewRequest(req))
	})
	if err != nil {
		// In JSON, each rejected finding carries its witness; in text, the
		// rejection's message shows them under the findings.
		if rej, ok := pushRejection(err); ok && format == report.FormatJSON {
			fs := rej.GetFindings()
			if werr := writeExplained(e, format, findingsFromProto(fs), explanationsFromProto(fs), inDir(dir)); werr != nil {
				return exitError, werr
			}
			return exitFindings, nil
		}
		if refused, werr := reportRejection(e, err, format, inDir(dir)); werr != nil {
			return exitError, werr
		} else if refused {
			return exitFindings, nil
		}
		return exitError, rpcError(f.registry, "push "+dir, err)
	}
	v := resp.Msg.GetVersion()
	if format == report.FormatText {
		if resp.Msg.GetCreated() {
			fmt.Fprintf(e.stdout, "%s: version %d created (%s)\n", v.GetModule(), v.GetNumber(), v.GetDigest())
		} else {
			fmt.Fprintf(e.stdout, "%s: version %d already holds this content (%s)\n", v.GetModule(), v.GetNumber(), v.GetDigest())
		}
	}
	warnLifecycle(e.stderr, resp.Msg)
	if notice := resp.Msg.GetNotice(); notice != "" {
		fmt.Fprintf(e.stderr, "notice: %s\n", notice)
	}
	if err := reportAccepted(e, resp.Msg.GetFindings(), format, inDir(dir)); err != nil {
		return exitError, err
	}
	return exitOK, nil
}

// writeApproveHint prints, for each finding that blocks a refused push, the
// command with which an admin lets it through this push, once.
func writeApproveHint(w io.Writer, rej *v1.PushRejection) {
	var cmds []string
	seen := map[string]bool{}
	for _, fd := range rej.GetFindings() {
		if fd.GetSeverity() == v1.Severity_SEVERITY_WARNING || fd.GetElement() == "" {
			continue
		}
		// Subjects sharing an element report its finding once each; one
		// exception covers them all.
		cmd := fmt.Sprintf("  pbcheck registry approve %s %s %s %s --reason '…'",
			rej.GetModule(), rej.GetDigest(), fd.GetRule(), fd.GetElement())
		if !seen[cmd] {
			seen[cmd] = true
			cmds = append(cmds, cmd)
		}
	}
	if len(cmds) == 0 {
		return
	}
	fmt.Fprintf(w, "To let a finding through this push once, an admin approves an exception for digest %s:\n", rej.GetDigest())
	for _, c := range cmds {
		fmt.Fprintln(w, c)
	}
}
