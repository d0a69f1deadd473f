package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/pbregistry/pbregistry/compat"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/registry"
)

// subjectFlags are the flags of `registry subject set`: each one given
// replaces that part of the configuration in force; the others are kept.
type subjectFlags struct {
	compatibility string
	use, except   stringList
	// reason is --reason, for subject retire.
	reason string
}

// empty reports whether no flag of `subject set` was given.
func (s *subjectFlags) empty() bool {
	return s.compatibility == "" && len(s.use) == 0 && len(s.except) == 0
}

// runSubject runs `registry subject get|set|clear|retire` with its
// arguments after "subject".
func runSubject(ctx context.Context, e *env, f *clientFlags, c registryClient, args []string, sf *subjectFlags) (int, error) {
	if len(args) == 0 {
		return exitError, usagef("name a subject subcommand: get, set, clear or retire")
	}
	verb, rest := args[0], args[1:]
	if verb != "set" && !sf.empty() {
		return exitError, usagef("--compatibility, --use and --except apply to subject set only")
	}
	if verb != "retire" && sf.reason != "" {
		return exitError, usagef("--reason applies to subject retire only")
	}
	switch verb {
	case "get":
		switch len(rest) {
		case 1:
			return listSubjects(ctx, e, f, c, rest[0])
		case 2:
			return getSubject(ctx, e, f, c, rest[0], rest[1])
		}
		return exitError, usagef("subject get takes <module> [<message>]")
	case "set":
		if len(rest) != 2 {
			return exitError, usagef("subject set takes <module> <message> and --compatibility LEVEL, --use RULE or --except RULE")
		}
		if sf.empty() {
			return exitError, usagef("subject set needs --compatibility LEVEL, --use RULE or --except RULE: say what to put in force (subject clear removes an override)")
		}
		var level v1.CompatibilityLevel
		if sf.compatibility != "" {
			var err error
			if level, err = parseLevel(sf.compatibility); err != nil {
				return exitError, err
			}
		}
		if err := checkRules(sf); err != nil {
			return exitError, err
		}
		return setSubject(ctx, e, f, c, rest[0], rest[1], level, sf)
	case "clear":
		if len(rest) != 2 {
			return exitError, usagef("subject clear takes <module> <message>")
		}
		return clearSubject(ctx, e, f, c, rest[0], rest[1])
	case "retire":
		if len(rest) != 2 {
			return exitError, usagef("subject retire takes <module> <message> and --reason TEXT")
		}
		if strings.TrimSpace(sf.reason) == "" {
			return exitError, usagef("subject retire needs --reason: say why the subject's data no longer needs checking; it is recorded with your name")
		}
		return retireSubject(ctx, e, f, c, rest[0], rest[1], sf.reason)
	}
	return exitError, usagef("unknown subject subcommand %q: use get, set, clear or retire", verb)
}

// parseLevel parses a compatibility level, in any case, with or without
// the COMPATIBILITY_LEVEL_ prefix.
func parseLevel(s string) (v1.CompatibilityLevel, error) {
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "COMPATIBILITY_LEVEL_")
	if !registry.Level(name).Valid() {
		levels := make([]string, len(registry.Levels))
		for i, l := range registry.Levels {
			levels[i] = string(l)
		}
		return 0, usagef("unknown compatibility level %q: use one of %s", s, strings.Join(levels, ", "))
	}
	return v1.CompatibilityLevel(v1.CompatibilityLevel_value["COMPATIBILITY_LEVEL_"+name]), nil
}

// checkRules returns a usage error naming the first rule ID or category
// of --use or --except that the catalog subjects are checked with (v2)
// does not have.
func checkRules(sf *subjectFlags) error {
	empty, err := image.New(nil)
	if err != nil {
		return err
	}
	if _, err := compat.Check(empty, empty, compat.Config{Version: "v2", Use: sf.use, Except: sf.except}); err != nil {
		var unknown *compat.UnknownRuleError
		if errors.As(err, &unknown) {
			return &usageError{msg: err.Error()}
		}
		return err
	}
	return nil
}

// subjectError explains a failed subject call; a subject that does not
// exist gets a pointer to the list of subjects.
func subjectError(f *clientFlags, what, module string, err error) error {
	notFound := connect.CodeOf(err) == connect.CodeNotFound
	err = rpcError(f.registry, what, err)
	if notFound {
		return fmt.Errorf("%w (pbcheck registry subject get %s lists its subjects; pbcheck registry ls lists modules)", err, module)
	}
	return err
}

func listSubjects(ctx context.Context, e *env, f *clientFlags, c registryClient, module string) (int, error) {
	resp, err := c.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: module}))
	if err != nil {
		return exitError, rpcError(f.registry, "list the subjects of "+module, err)
	}
	subs := resp.Msg.GetSubjects()
	if len(subs) == 0 {
		fmt.Fprintf(e.stdout, "%s has no subjects: declare them under subjects: in its pbregistry.yaml\n", module)
		return exitOK, nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tKIND\tPRIMARY KEY\tLEVEL\tUSE\tEXCEPT\tSOURCE")
	for _, s := range subs {
		cfg := s.GetCompatibility()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.GetMessage(), kindName(s.GetKind()),
			orDash(strings.Join(s.GetPrimaryKey(), ",")), levelName(cfg.GetLevel()),
			orDash(strings.Join(cfg.GetUse(), ",")), orDash(strings.Join(cfg.GetExcept(), ",")), subjectSource(s, false))
	}
	return exitOK, tw.Flush()
}

func getSubject(ctx context.Context, e *env, f *clientFlags, c registryClient, module, message string) (int, error) {
	resp, err := c.GetSubject(ctx, connect.NewRequest(&v1.GetSubjectRequest{Module: module, Message: message}))
	if err != nil {
		return exitError, subjectError(f, "get subject "+message+" of "+module, module, err)
	}
	writeSubject(e.stdout, resp.Msg.GetSubject())
	return exitOK, nil
}

// setSubject overrides a subject's configuration: it starts from the
// configuration in force and replaces the level, the rules to use and the
// rules to skip that were given.
func setSubject(ctx context.Context, e *env, f *clientFlags, c registryClient, module, message string, level v1.CompatibilityLevel, sf *subjectFlags) (int, error) {
	what := "override subject " + message + " of " + module
	cur, err := c.GetSubject(ctx, connect.NewRequest(&v1.GetSubjectRequest{Module: module, Message: message}))
	if err != nil {
		return exitError, subjectError(f, what, module, err)
	}
	cfg := &v1.Compatibility{}
	if in := cur.Msg.GetSubject().GetCompatibility(); in != nil {
		cfg = proto.Clone(in).(*v1.Compatibility)
	}
	if level != v1.CompatibilityLevel_COMPATIBILITY_LEVEL_UNSPECIFIED {
		cfg.Level = level
	}
	if len(sf.use) > 0 {
		cfg.Use = slices.Clone(sf.use)
	}
	if len(sf.except) > 0 {
		cfg.Except = slices.Clone(sf.except)
	}
	resp, err := c.SetSubjectConfig(ctx, connect.NewRequest(&v1.SetSubjectConfigRequest{Module: module, Message: message, Compatibility: cfg}))
	if err != nil {
		return exitError, subjectError(f, what, module, err)
	}
	s := resp.Msg.GetSubject()
	fmt.Fprintf(e.stdout, "override of %s set by %s; now in force:\n", s.GetMessage(), orDash(s.GetOverrideBy()))
	writeSubject(e.stdout, s)
	return exitOK, nil
}

// clearSubject removes a subject's override: the pushed configuration is
// in force again.
func clearSubject(ctx context.Context, e *env, f *clientFlags, c registryClient, module, message string) (int, error) {
	what := "clear the override of subject " + message + " of " + module
	cur, err := c.GetSubject(ctx, connect.NewRequest(&v1.GetSubjectRequest{Module: module, Message: message}))
	if err != nil {
		return exitError, subjectError(f, what, module, err)
	}
	if cur.Msg.GetSubject().GetOverride() == nil {
		fmt.Fprintf(e.stdout, "%s has no override: nothing to clear; the pushed configuration is in force:\n", message)
		writeSubject(e.stdout, cur.Msg.GetSubject())
		return exitOK, nil
	}
	resp, err := c.SetSubjectConfig(ctx, connect.NewRequest(&v1.SetSubjectConfigRequest{Module: module, Message: message}))
	if err != nil {
		return exitError, subjectError(f, what, module, err)
	}
	s := resp.Msg.GetSubject()
	fmt.Fprintf(e.stdout, "override of %s cleared; the pushed configuration is in force:\n", s.GetMessage())
	writeSubject(e.stdout, s)
	return exitOK, nil
}

// writeSubject prints a subject: its kind and key, the configuration in
// force and where it comes from, and what the latest push declared.
func writeSubject(w io.Writer, s *v1.Subject) {
	fmt.Fprintf(w, "subject:     %s\n", s.GetMessage())
	if n := s.GetFirstVersion(); n > 0 {
		fmt.Fprintf(w, "module:      %s (subject since v%d)\n", s.GetModule(), n)
	} else {
		fmt.Fprintf(w, "module:      %s\n", s.GetModule())
	}
	fmt.Fprintf(w, "kind:        %s\n", kindName(s.GetKind()))
	if pk := s.GetPrimaryKey(); len(pk) > 0 {
		fmt.Fprintf(w, "primary key: %s\n", strings.Join(pk, ", "))
	}
	fmt.Fprintf(w, "in force:    %s\n", compatibilityString(s.GetCompatibility()))
	fmt.Fprintf(w, "source:      %s\n", subjectSource(s, true))
	fmt.Fprintf(w, "declared:    %s\n", compatibilityString(s.GetDeclared()))
	if r := s.GetRetired(); r != nil {
		fmt.Fprintf(w, "retired:     %s; not checked until a push declares it again\n", retirementString(r))
	}
}

// subjectSource says where the configuration in force comes from.
func subjectSource(s *v1.Subject, long bool) string {
	if r := s.GetRetired(); r != nil && !long {
		return "retired " + retirementString(r)
	}
	if s.GetOverride() == nil {
		if long {
			return "the pushed pbregistry.yaml, with the defaults of its kind where it says nothing"
		}
		return "push"
	}
	if long {
		return fmt.Sprintf("admin override set by %s at %s (pbcheck registry subject clear removes it)", orDash(s.GetOverrideBy()), timeString(s.GetOverrideAt()))
	}
	return fmt.Sprintf("override by %s at %s", orDash(s.GetOverrideBy()), timeString(s.GetOverrideAt()))
}

// compatibilityString renders a configuration as
// "FULL_TRANSITIVE, use WIRE_JSON, except FIELD_SAME_NAME"; what it does
// not set is the kind's default.
func compatibilityString(c *v1.Compatibility) string {
	use, except := "the kind's default rules", "nothing"
	if u := c.GetUse(); len(u) > 0 {
		use = strings.Join(u, ",")
	}
	if x := c.GetExcept(); len(x) > 0 {
		except = strings.Join(x, ",")
	}
	return fmt.Sprintf("%s, use %s, except %s", levelName(c.GetLevel()), use, except)
}

// levelName is a level without its enum prefix; unspecified is the kind's
// default.
func levelName(l v1.CompatibilityLevel) string {
	if l == v1.CompatibilityLevel_COMPATIBILITY_LEVEL_UNSPECIFIED {
		return "the kind's default level"
	}
	return strings.TrimPrefix(l.String(), "COMPATIBILITY_LEVEL_")
}

// kindName is a subject kind as pbregistry.yaml spells it.
func kindName(k v1.SubjectKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "SUBJECT_KIND_"))
}
