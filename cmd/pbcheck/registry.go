package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/report"
)

const registrySynopsis = `registry <ls|show|get|diff|approve|exceptions|subject|promote|deprecate|delete|restore|events|deliveries|redrive> [arguments] --registry URL [flags]

  registry ls                          list modules
  registry ls <module>                 list a module's versions, newest first
  registry show <module>[@<version>]   show a version (default: the latest), its subjects and files
  registry get <module>[@<version>] --out DIR [--image FILE] [--force]
                                       write a version's .proto files and pbregistry.yaml under DIR
                                       (and/or its FileDescriptorSet to FILE); refuses unsafe paths
                                       and files that differ unless --force
  registry diff <module> <from> [<to>] what <to> (default: the latest) breaks relative to <from>,
                                       with every subject at FULL, and the changelog; exit 100 on findings
  registry approve <module> <digest> <rule> <element> --reason TEXT
                                       (admin) let one finding of one refused push through, once;
                                       a refused pbcheck push prints these commands
  registry exceptions <module>         list a module's exceptions: who approved what, why, and its use
  registry subject get <module> [<message>]
                                       list a module's subjects, or show one: kind, primary key, the
                                       level and rules in force and whether an admin override set them
  registry subject set <module> <message> [--compatibility LEVEL] [--use RULE]... [--except RULE]...
                                       (admin) override a subject's configuration; what is not given is
                                       kept from the configuration in force
  registry subject clear <module> <message>
                                       (admin) remove the override: the pushed configuration is in force
  registry subject retire <module> <message> --reason TEXT
                                       (admin) retire a subject whose data no longer matters: pushes no
                                       longer check it nor need its message; its ledger is kept, so its
                                       field numbers and names stay taken; declared again, it is active
                                       again, checked against that ledger
  registry deprecate <module> --message TEXT
                                       (admin) deprecate a module: still served and still accepts
                                       pushes; reads and pushes show the message (--undo clears it)
  registry delete <module>@<version> --reason TEXT
                                       (admin) stop serving a version: its readers get an error saying
                                       who deleted it and why, latest serves the newest version not
                                       deleted; it stays in the ledger, history and the push baseline
  registry restore <module>@<version>  (admin) serve a deleted version again
  registry events <module>             list a module's retirements, deprecations, deletions and
                                       restorations: who, when and why
  registry promote <module>@<version> [--reason TEXT]
                                       roll back: make a version's content the next version, checked
                                       against the latest like a push (refused: findings, exit 100);
                                       pushing old content again does not move the latest version
  registry deliveries [<endpoint>] [--dead]
                                       (admin) list the webhook endpoints and their dead letters
                                       (--dead: the dead letters themselves)
  registry redrive <id>...             (admin) send dead letters again; removed once accepted`

func runRegistry(ctx context.Context, e *env, args []string) (int, error) {
	var f clientFlags
	var errorFormat, reason, message string
	var undo, dead, explain bool
	var gf getFlags
	var sf subjectFlags
	fs := newFlagSet("registry", registrySynopsis, e.stderr)
	f.register(fs)
	fs.StringVar(&gf.out, "out", "", "get: the directory to write the version's files under (created if needed)")
	fs.StringVar(&gf.image, "image", "", "get: the file to write the version's FileDescriptorSet to")
	fs.BoolVar(&gf.force, "force", false, "get: replace existing files that differ")
	fs.StringVar(&sf.compatibility, "compatibility", "", "subject set: the level to put in force, e.g. FULL_TRANSITIVE")
	fs.Var(&sf.use, "use", "subject set: a rule ID or category to run (repeatable; replaces the rules in force)")
	fs.Var(&sf.except, "except", "subject set: a rule ID or category not to run (repeatable; replaces the exceptions in force)")
	fs.StringVar(&reason, "reason", "", "approve, subject retire, delete: why (required; it is the audit trail); promote: why the version is promoted")
	fs.StringVar(&message, "message", "", "deprecate: what the module's users should do instead (required unless --undo)")
	fs.BoolVar(&undo, "undo", false, "deprecate: clear the module's deprecation")
	fs.BoolVar(&dead, "dead", false, "deliveries: list the dead letters themselves")
	fs.BoolVar(&explain, "explain", false, "diff: under each finding, a message that proves it (text and json formats)")
	fs.StringVar(&errorFormat, "error-format", "text", "format of diff and promote findings: text, json, github-actions, junit or msvs")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	if len(positional) == 0 {
		return exitError, usagef("name a subcommand: ls, show, get, diff, approve, exceptions, subject, promote, deprecate, delete, restore, events, deliveries or redrive")
	}
	format, err := report.ParseFormat(errorFormat)
	if err != nil {
		return exitError, &usageError{msg: err.Error()}
	}
	sub, rest := positional[0], positional[1:]
	if sub != "get" && gf.set() {
		return exitError, usagef("--out, --image and --force apply to registry get only")
	}
	if sub != "deliveries" && dead {
		return exitError, usagef("--dead applies to registry deliveries only")
	}
	if sub != "subject" && !sf.empty() {
		return exitError, usagef("--compatibility, --use and --except apply to registry subject set only")
	}
	if sub != "deprecate" && (message != "" || undo) {
		return exitError, usagef("--message and --undo apply to registry deprecate only")
	}
	if reason != "" && sub != "approve" && sub != "subject" && sub != "delete" && sub != "promote" {
		return exitError, usagef("--reason applies to registry approve, subject retire, delete and promote only")
	}
	sf.reason = reason
	client, err := f.client()
	if err != nil {
		return exitError, err
	}
	switch sub {
	case "ls":
		if len(rest) > 1 {
			return exitError, usagef("ls takes at most one module, got %s", strings.Join(rest, " "))
		}
		if len(rest) == 0 {
			return listModules(ctx, e, &f, client)
		}
		return listVersions(ctx, e, &f, client, rest[0])
	case "show":
		if len(rest) != 1 {
			return exitError, usagef("show takes one <module>[@<version>]")
		}
		module, n, err := parseModuleVersion(rest[0])
		if err != nil {
			return exitError, err
		}
		return showVersion(ctx, e, &f, client, module, n)
	case "get":
		if len(rest) != 1 {
			return exitError, usagef("get takes one <module>[@<version>] and --out DIR or --image FILE")
		}
		module, n, err := parseModuleVersion(rest[0])
		if err != nil {
			return exitError, err
		}
		return getVersion(ctx, e, &f, client, module, n, gf)
	case "subject":
		return runSubject(ctx, e, &f, client, rest, &sf)
	case "diff":
		if len(rest) < 2 || len(rest) > 3 {
			return exitError, usagef("diff takes <module> <from> [<to>]")
		}
		from, err := parseVersion(rest[1])
		if err != nil {
			return exitError, err
		}
		var to int64
		if len(rest) == 3 {
			if to, err = parseVersion(rest[2]); err != nil {
				return exitError, err
			}
		}
		return diffVersions(ctx, e, &f, client, rest[0], from, to, format, explain)
	case "approve":
		if len(rest) != 4 {
			return exitError, usagef("approve takes <module> <digest> <rule> <element> (a refused pbcheck push prints them)")
		}
		if strings.TrimSpace(reason) == "" {
			return exitError, usagef("approve needs --reason: say why this finding may pass; it is recorded with your name")
		}
		return approveException(ctx, e, &f, client, &v1.ApproveExceptionRequest{
			Module: rest[0], Digest: rest[1], Rule: rest[2], Element: rest[3], Reason: reason,
		})
	case "exceptions":
		if len(rest) != 1 {
			return exitError, usagef("exceptions takes one <module>")
		}
		return listExceptions(ctx, e, &f, client, rest[0])
	case "deprecate":
		if len(rest) != 1 {
			return exitError, usagef("deprecate takes one <module> and --message TEXT (or --undo)")
		}
		switch {
		case undo && message != "":
			return exitError, usagef("deprecate --undo clears the deprecation: give no --message")
		case !undo && strings.TrimSpace(message) == "":
			return exitError, usagef("deprecate needs --message: tell the module's users what to use instead (--undo clears a deprecation)")
		}
		return deprecateModule(ctx, e, &f, client, rest[0], message, undo)
	case "delete", "restore":
		if len(rest) != 1 || !strings.Contains(rest[0], "@") {
			return exitError, usagef("%s takes one <module>@<version>, e.g. acme/commerce@3", sub)
		}
		module, n, err := parseModuleVersion(rest[0])
		if err != nil {
			return exitError, err
		}
		if n == 0 {
			return exitError, usagef("%s names a version number, not latest: e.g. %s@3 (pbcheck registry ls %s lists them)", sub, module, module)
		}
		if sub == "restore" {
			return restoreVersion(ctx, e, &f, client, module, n)
		}
		if strings.TrimSpace(reason) == "" {
			return exitError, usagef("delete needs --reason: say why the version may no longer be served; its readers are told, with your name")
		}
		return deleteVersion(ctx, e, &f, client, module, n, reason)
	case "events":
		if len(rest) != 1 {
			return exitError, usagef("events takes one <module>")
		}
		return listEvents(ctx, e, &f, client, rest[0])
	case "promote":
		return runPromote(ctx, e, &f, client, rest, reason, format)
	case "deliveries":
		return runDeliveries(ctx, e, &f, client, rest, dead)
	case "redrive":
		return runRedrive(ctx, e, &f, client, rest)
	}
	return exitError, usagef("unknown registry subcommand %q: use ls, show, get, diff, approve, exceptions, subject, promote, deprecate, delete, restore, events, deliveries or redrive", sub)
}

// registryClient is the generated client's interface.
type registryClient interface {
	ListModules(context.Context, *connect.Request[v1.ListModulesRequest]) (*connect.Response[v1.ListModulesResponse], error)
	ListVersions(context.Context, *connect.Request[v1.ListVersionsRequest]) (*connect.Response[v1.ListVersionsResponse], error)
	GetModule(context.Context, *connect.Request[v1.GetModuleRequest]) (*connect.Response[v1.GetModuleResponse], error)
	GetDescriptorSet(context.Context, *connect.Request[v1.GetDescriptorSetRequest]) (*connect.Response[v1.GetDescriptorSetResponse], error)
	GetSubject(context.Context, *connect.Request[v1.GetSubjectRequest]) (*connect.Response[v1.GetSubjectResponse], error)
	SetSubjectConfig(context.Context, *connect.Request[v1.SetSubjectConfigRequest]) (*connect.Response[v1.SetSubjectConfigResponse], error)
	ListSubjects(context.Context, *connect.Request[v1.ListSubjectsRequest]) (*connect.Response[v1.ListSubjectsResponse], error)
	Diff(context.Context, *connect.Request[v1.DiffRequest]) (*connect.Response[v1.DiffResponse], error)
	ApproveException(context.Context, *connect.Request[v1.ApproveExceptionRequest]) (*connect.Response[v1.ApproveExceptionResponse], error)
	ListExceptions(context.Context, *connect.Request[v1.ListExceptionsRequest]) (*connect.Response[v1.ListExceptionsResponse], error)
	lifecycleClient
}

// parseVersion parses a version number, or "latest" (0).
func parseVersion(s string) (int64, error) {
	if s == "latest" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "v"), 10, 64)
	if err != nil || n <= 0 {
		return 0, usagef("version %q is not a version number (1, 2, …) or latest", s)
	}
	return n, nil
}

// parseModuleVersion parses module[@version].
func parseModuleVersion(s string) (string, int64, error) {
	module, ver, ok := strings.Cut(s, "@")
	if !ok {
		return module, 0, nil
	}
	n, err := parseVersion(ver)
	return module, n, err
}

// timeString renders a timestamp in UTC, to the second.
func timeString(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

func listModules(ctx context.Context, e *env, f *clientFlags, c registryClient) (int, error) {
	var modules []*v1.Module
	deprecated := false
	token := ""
	for {
		resp, err := c.ListModules(ctx, connect.NewRequest(&v1.ListModulesRequest{PageSize: 1000, PageToken: token}))
		if err != nil {
			return exitError, rpcError(f.registry, "list modules", err)
		}
		for _, m := range resp.Msg.GetModules() {
			modules = append(modules, m)
			deprecated = deprecated || m.GetDeprecation() != nil
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	// The DEPRECATED column appears when a module is deprecated.
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if deprecated {
		fmt.Fprintln(tw, "MODULE\tLATEST\tUPDATED\tDEPRECATED")
	} else {
		fmt.Fprintln(tw, "MODULE\tLATEST\tUPDATED")
	}
	for _, m := range modules {
		fmt.Fprintf(tw, "%s\tv%d\t%s", m.GetName(), m.GetLatestVersion(), timeString(m.GetUpdatedAt()))
		if deprecated {
			d := "-"
			if m.GetDeprecation() != nil {
				d = deprecationString(m.GetDeprecation())
			}
			fmt.Fprintf(tw, "\t%s", d)
		}
		fmt.Fprintln(tw)
	}
	return exitOK, tw.Flush()
}

func listVersions(ctx context.Context, e *env, f *clientFlags, c registryClient, module string) (int, error) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tDIGEST\tPUSHED BY\tPUSHED AT\tCOMMIT\tBRANCH\tDELETED")
	token := ""
	for {
		resp, err := c.ListVersions(ctx, connect.NewRequest(&v1.ListVersionsRequest{Module: module, PageSize: 1000, PageToken: token}))
		if err != nil {
			return exitError, rpcError(f.registry, "list versions of "+module, err)
		}
		for _, v := range resp.Msg.GetVersions() {
			deleted := "-"
			if d := v.GetDeleted(); d != nil {
				deleted = deletionString(d)
			}
			fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.GetNumber(), shortDigest(v.GetDigest()), v.GetPushedBy(),
				timeString(v.GetPushedAt()), orDash(v.GetBuild().GetGitCommit()), orDash(v.GetBuild().GetGitBranch()), deleted)
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	return exitOK, tw.Flush()
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func showVersion(ctx context.Context, e *env, f *clientFlags, c registryClient, module string, n int64) (int, error) {
	resp, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: module, Version: n, IncludeFiles: true}))
	if err != nil {
		return exitError, rpcError(f.registry, "show "+module, err)
	}
	subs, err := c.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: module}))
	if err != nil {
		return exitError, rpcError(f.registry, "list subjects of "+module, err)
	}
	v, m := resp.Msg.GetVersion(), resp.Msg.GetModule()
	w := e.stdout
	fmt.Fprintf(w, "module:    %s (latest v%d)\n", m.GetName(), m.GetLatestVersion())
	if d := m.GetDeprecation(); d != nil {
		fmt.Fprintf(w, "deprecated %s\n", deprecationString(d))
	}
	if n == 0 && v.GetNumber() != m.GetLatestVersion() {
		fmt.Fprintf(w, "note:      the versions after v%d are deleted from serving; latest serves v%d (pbcheck registry ls %s)\n",
			v.GetNumber(), v.GetNumber(), m.GetName())
	}
	fmt.Fprintf(w, "version:   v%d\n", v.GetNumber())
	fmt.Fprintf(w, "digest:    %s\n", v.GetDigest())
	fmt.Fprintf(w, "pushed by: %s at %s\n", v.GetPushedBy(), timeString(v.GetPushedAt()))
	if b := v.GetBuild(); b.GetGitCommit() != "" || b.GetGitBranch() != "" || b.GetCiUrl() != "" {
		fmt.Fprintf(w, "build:     commit %s, branch %s, %s\n", orDash(b.GetGitCommit()), orDash(b.GetGitBranch()), orDash(b.GetCiUrl()))
	}
	if len(subs.Msg.GetSubjects()) > 0 {
		fmt.Fprintln(w, "subjects:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range subs.Msg.GetSubjects() {
			kind, level := kindName(s.GetKind()), levelName(s.GetCompatibility().GetLevel())
			extra := ""
			if s.GetOverride() != nil {
				extra = " (override by " + s.GetOverrideBy() + ")"
			}
			if r := s.GetRetired(); r != nil {
				extra += " (retired " + retirementString(r) + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s %s%s\n", s.GetMessage(), kind, level, strings.Join(s.GetCompatibility().GetUse(), ","), extra)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "files:")
	for _, file := range resp.Msg.GetFiles() {
		fmt.Fprintf(w, "  %s (%d bytes)\n", file.GetPath(), len(file.GetContent()))
	}
	return exitOK, nil
}

func diffVersions(ctx context.Context, e *env, f *clientFlags, c registryClient, module string, from, to int64, format report.Format, explain bool) (int, error) {
	if from == 0 {
		return exitError, usagef("<from> must be a version number")
	}
	resp, err := c.Diff(ctx, connect.NewRequest(&v1.DiffRequest{Module: module, From: from, To: to}))
	if err != nil {
		return exitError, rpcError(f.registry, "diff "+module, err)
	}
	findings := findingsFromProto(resp.Msg.GetFindings())
	write := func() error { return report.Write(e.stdout, format, findings, nil) }
	if explain {
		write = func() error {
			return writeExplained(e, format, findings, explanationsFromProto(resp.Msg.GetFindings()), nil)
		}
	}
	if format != report.FormatText {
		if err := write(); err != nil {
			return exitError, err
		}
	} else {
		writeChangelog(e.stdout, resp.Msg)
		if len(findings) > 0 {
			fmt.Fprintf(e.stdout, "\nv%d breaks readers or data of v%d (every subject checked at FULL):\n", resp.Msg.GetTo().GetNumber(), resp.Msg.GetFrom().GetNumber())
			if err := write(); err != nil {
				return exitError, err
			}
		}
	}
	for _, fd := range resp.Msg.GetFindings() {
		if fd.GetSeverity() != v1.Severity_SEVERITY_WARNING {
			return exitFindings, nil
		}
	}
	return exitOK, nil
}

// writeChangelog prints a diff's changes: "+" added, "-" removed, "~"
// changed.
func writeChangelog(w io.Writer, d *v1.DiffResponse) {
	fmt.Fprintf(w, "%s v%d → v%d: %d %s\n", d.GetTo().GetModule(), d.GetFrom().GetNumber(), d.GetTo().GetNumber(), len(d.GetChanges()), plural(len(d.GetChanges()), "change"))
	for _, c := range d.GetChanges() {
		mark := "~"
		switch c.GetKind() {
		case "added":
			mark = "+"
		case "removed":
			mark = "-"
		}
		fmt.Fprintf(w, "  %s %s\n", mark, c.GetDescription())
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// approveException records an exception and says what it lets through.
func approveException(ctx context.Context, e *env, f *clientFlags, c registryClient, req *v1.ApproveExceptionRequest) (int, error) {
	resp, err := c.ApproveException(ctx, connect.NewRequest(req))
	if err != nil {
		return exitError, rpcError(f.registry, "approve an exception for "+req.GetModule(), err)
	}
	x := resp.Msg.GetException()
	fmt.Fprintf(e.stdout, "exception %d approved by %s: %s on %s may pass once, for the push of %s with digest %s\n",
		x.GetId(), x.GetApprovedBy(), x.GetRule(), x.GetElement(), x.GetModule(), x.GetDigest())
	return exitOK, nil
}

// listExceptions prints a module's exceptions, oldest first.
func listExceptions(ctx context.Context, e *env, f *clientFlags, c registryClient, module string) (int, error) {
	resp, err := c.ListExceptions(ctx, connect.NewRequest(&v1.ListExceptionsRequest{Module: module}))
	if err != nil {
		return exitError, rpcError(f.registry, "list the exceptions of "+module, err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRULE\tELEMENT\tDIGEST\tAPPROVED BY\tAPPROVED\tUSED BY\tREASON")
	for _, x := range resp.Msg.GetExceptions() {
		used := "unused"
		if n := x.GetUsedByVersion(); n > 0 {
			used = fmt.Sprintf("v%d", n)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.GetId(), x.GetRule(), x.GetElement(),
			shortDigest(x.GetDigest()), x.GetApprovedBy(), timeString(x.GetApprovedAt()), used, x.GetReason())
	}
	return exitOK, tw.Flush()
}
