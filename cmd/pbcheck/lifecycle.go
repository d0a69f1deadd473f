package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
)

// lifecycleClient is the part of the generated client the lifecycle
// commands call.
type lifecycleClient interface {
	RetireSubject(context.Context, *connect.Request[v1.RetireSubjectRequest]) (*connect.Response[v1.RetireSubjectResponse], error)
	DeprecateModule(context.Context, *connect.Request[v1.DeprecateModuleRequest]) (*connect.Response[v1.DeprecateModuleResponse], error)
	DeleteVersion(context.Context, *connect.Request[v1.DeleteVersionRequest]) (*connect.Response[v1.DeleteVersionResponse], error)
	RestoreVersion(context.Context, *connect.Request[v1.RestoreVersionRequest]) (*connect.Response[v1.RestoreVersionResponse], error)
	ListLifecycleEvents(context.Context, *connect.Request[v1.ListLifecycleEventsRequest]) (*connect.Response[v1.ListLifecycleEventsResponse], error)
}

// retireSubject retires a subject (admin) and says what that means.
func retireSubject(ctx context.Context, e *env, f *clientFlags, c registryClient, module, message, reason string) (int, error) {
	resp, err := c.RetireSubject(ctx, connect.NewRequest(&v1.RetireSubjectRequest{Module: module, Message: message, Reason: reason}))
	if err != nil {
		return exitError, subjectError(f, "retire subject "+message+" of "+module, module, err)
	}
	s := resp.Msg.GetSubject()
	r := s.GetRetired()
	if !resp.Msg.GetChanged() {
		fmt.Fprintf(e.stdout, "%s was retired already, %s\n", s.GetMessage(), retirementString(r))
		return exitOK, nil
	}
	fmt.Fprintf(e.stdout, "%s retired, %s\n", s.GetMessage(), retirementString(r))
	fmt.Fprintf(e.stdout, "pushes no longer check it nor need its message; its ledger is kept, so its field numbers and names stay taken.\n")
	if s.GetLastVersion() > 0 && s.GetLastVersion() >= r.GetVersion() {
		fmt.Fprintf(e.stdout, "note: v%d still declares it in pbregistry.yaml: remove it there, or the next push that declares it makes it active again.\n", s.GetLastVersion())
	}
	return exitOK, nil
}

// deprecateModule deprecates a module with message, or with undo clears
// its deprecation (admin).
func deprecateModule(ctx context.Context, e *env, f *clientFlags, c registryClient, module, message string, undo bool) (int, error) {
	what := "deprecate " + module
	if undo {
		what = "undeprecate " + module
	}
	resp, err := c.DeprecateModule(ctx, connect.NewRequest(&v1.DeprecateModuleRequest{Module: module, Message: message, Undo: undo}))
	if err != nil {
		return exitError, rpcError(f.registry, what, err)
	}
	m := resp.Msg.GetModule()
	switch {
	case undo && !resp.Msg.GetChanged():
		fmt.Fprintf(e.stdout, "%s is not deprecated: nothing to undo\n", m.GetName())
	case undo:
		fmt.Fprintf(e.stdout, "%s is no longer deprecated\n", m.GetName())
	case !resp.Msg.GetChanged():
		fmt.Fprintf(e.stdout, "%s was deprecated already with this message, %s\n", m.GetName(), deprecationString(m.GetDeprecation()))
	default:
		fmt.Fprintf(e.stdout, "%s deprecated, %s\n", m.GetName(), deprecationString(m.GetDeprecation()))
		fmt.Fprintf(e.stdout, "it is still served and still accepts pushes; reads and pushes show the message.\n")
	}
	return exitOK, nil
}

// deleteVersion deletes a version from serving (admin).
func deleteVersion(ctx context.Context, e *env, f *clientFlags, c registryClient, module string, n int64, reason string) (int, error) {
	resp, err := c.DeleteVersion(ctx, connect.NewRequest(&v1.DeleteVersionRequest{Module: module, Version: n, Reason: reason}))
	if err != nil {
		return exitError, rpcError(f.registry, fmt.Sprintf("delete %s@%d", module, n), err)
	}
	v := resp.Msg.GetVersion()
	if !resp.Msg.GetChanged() {
		fmt.Fprintf(e.stdout, "%s@%d was deleted already, %s\n", v.GetModule(), v.GetNumber(), deletionString(v.GetDeleted()))
		return exitOK, nil
	}
	fmt.Fprintf(e.stdout, "%s@%d deleted from serving, %s\n", v.GetModule(), v.GetNumber(), deletionString(v.GetDeleted()))
	fmt.Fprintf(e.stdout, "it stays in the ledger and history checks, and pushes are still checked against the latest version, deleted or not.\n")
	if latest := resp.Msg.GetLatestServedVersion(); latest > 0 {
		fmt.Fprintf(e.stdout, "readers of latest now get v%d.\n", latest)
	} else {
		fmt.Fprintf(e.stdout, "every version of %s is deleted: readers of latest get an error.\n", v.GetModule())
	}
	return exitOK, nil
}

// restoreVersion serves a deleted version again (admin).
func restoreVersion(ctx context.Context, e *env, f *clientFlags, c registryClient, module string, n int64) (int, error) {
	resp, err := c.RestoreVersion(ctx, connect.NewRequest(&v1.RestoreVersionRequest{Module: module, Version: n}))
	if err != nil {
		return exitError, rpcError(f.registry, fmt.Sprintf("restore %s@%d", module, n), err)
	}
	v := resp.Msg.GetVersion()
	if !resp.Msg.GetChanged() {
		fmt.Fprintf(e.stdout, "%s@%d is not deleted: nothing to restore\n", v.GetModule(), v.GetNumber())
		return exitOK, nil
	}
	fmt.Fprintf(e.stdout, "%s@%d restored: it is served again\n", v.GetModule(), v.GetNumber())
	return exitOK, nil
}

// listEvents prints a module's lifecycle events, newest first.
func listEvents(ctx context.Context, e *env, f *clientFlags, c registryClient, module string) (int, error) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tACTION\tTARGET\tBY\tREASON OR MESSAGE")
	token := ""
	for {
		resp, err := c.ListLifecycleEvents(ctx, connect.NewRequest(&v1.ListLifecycleEventsRequest{Module: module, PageSize: 1000, PageToken: token}))
		if err != nil {
			return exitError, rpcError(f.registry, "list the lifecycle events of "+module, err)
		}
		for _, ev := range resp.Msg.GetEvents() {
			target := fmt.Sprintf("v%d", ev.GetVersion())
			switch {
			case ev.GetSubject() != "":
				target = ev.GetSubject()
			case strings.HasPrefix(ev.GetAction(), "module."):
				target = ev.GetModule()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", timeString(ev.GetAt()), ev.GetAction(), target, ev.GetPrincipal(), orDash(oneLine(ev.GetText())))
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	return exitOK, tw.Flush()
}

// warnLifecycle prints, after an accepted push, the module's deprecation
// and, when the push's content is a version that was deleted, how to serve
// it again.
func warnLifecycle(w io.Writer, resp *v1.PushResponse) {
	warnDeprecated(w, resp.GetModule())
	if v := resp.GetVersion(); !resp.GetCreated() && v.GetDeleted() != nil {
		fmt.Fprintf(w, "warning: version %d, which holds this content, was deleted from serving, %s; ask an admin to run `pbcheck registry restore %s@%d` to serve it again\n",
			v.GetNumber(), deletionString(v.GetDeleted()), v.GetModule(), v.GetNumber())
	}
}

// warnDeprecated prints m's deprecation, if any, as a warning.
func warnDeprecated(w io.Writer, m *v1.Module) {
	if d := m.GetDeprecation(); d != nil {
		fmt.Fprintf(w, "warning: module %s is deprecated, %s\n", m.GetName(), deprecationString(d))
	}
}

// retirementString renders a retirement: "by alice at T (as of v3): why".
func retirementString(r *v1.SubjectRetirement) string {
	return fmt.Sprintf("by %s at %s (as of v%d): %s", orDash(r.GetRetiredBy()), timeString(r.GetRetiredAt()), r.GetVersion(), oneLine(r.GetReason()))
}

// deprecationString renders a deprecation: "by alice at T: message".
func deprecationString(d *v1.ModuleDeprecation) string {
	return fmt.Sprintf("by %s at %s: %s", orDash(d.GetDeprecatedBy()), timeString(d.GetDeprecatedAt()), oneLine(d.GetMessage()))
}

// deletionString renders a deletion: "by alice at T: why".
func deletionString(d *v1.VersionDeletion) string {
	return fmt.Sprintf("by %s at %s: %s", orDash(d.GetDeletedBy()), timeString(d.GetDeletedAt()), oneLine(d.GetReason()))
}

// oneLine folds a reason's newlines and tabs into spaces, for tables and
// one-line messages.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
