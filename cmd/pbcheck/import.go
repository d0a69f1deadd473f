package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Environment variables of pbcheck import's source credentials, so that
// they need not be on the command line.
const (
	envFromToken    = "PBCHECK_FROM_TOKEN"
	envFromUser     = "PBCHECK_FROM_USER"
	envFromPassword = "PBCHECK_FROM_PASSWORD"
)

// runImport runs `pbcheck import confluent`: it copies every subject,
// version and reference of a Confluent-compatible schema registry into a
// pbregistry, keeping schema ids. Exit 0 when every version is in the
// target, 100 when some were refused (listed with the reason), 1 on
// errors (an interrupted import: run it again to resume).
func runImport(ctx context.Context, e *env, args []string) (int, error) {
	if len(args) == 0 || args[0] != "confluent" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: pbcheck import confluent --from URL [flags]\n\nRun 'pbcheck import confluent --help' for the flags.")
			return exitOK, errHelp
		}
		return exitError, usagef("want 'pbcheck import confluent --from URL': confluent is the one source pbcheck imports from")
	}
	fs := newFlagSet("import confluent", "import confluent --from URL [--registry URL] [--subjects GLOB] [--dry-run]", e.stdout)
	var cf clientFlags
	cf.register(fs)
	var from, fromToken, fromUser, fromPassword string
	var globs stringList
	var dryRun bool
	fs.StringVar(&from, "from", "", "URL of the Confluent-compatible schema registry to import from")
	fs.StringVar(&fromToken, "from-token", os.Getenv(envFromToken), "bearer token for --from (env "+envFromToken+")")
	fs.StringVar(&fromUser, "from-user", os.Getenv(envFromUser), "basic auth user for --from (env "+envFromUser+")")
	fs.StringVar(&fromPassword, "from-password", os.Getenv(envFromPassword), "basic auth password for --from (env "+envFromPassword+")")
	fs.Var(&globs, "subjects", "import only subjects matching this glob (repeatable; * does not match /); referenced subjects come along")
	fs.BoolVar(&dryRun, "dry-run", false, "read both registries and say what would be imported, changing nothing")
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return exitError, err
	}
	if len(positional) > 0 {
		return exitError, usagef("unexpected arguments: %s", strings.Join(positional, " "))
	}
	if from == "" {
		return exitError, usagef("no source: pass --from URL, the Confluent-compatible registry to import from")
	}
	if cf.registry == "" {
		return exitError, usagef("no registry: pass --registry URL or set %s (e.g. http://localhost:8080)", envRegistryURL)
	}
	for _, g := range globs {
		if _, err := matchGlob(g); err != nil {
			return exitError, usagef("--subjects %q: %v", g, err)
		}
	}
	src, err := newCSRClient(from, fromToken, fromUser, fromPassword, cf.timeout)
	if err != nil {
		return exitError, err
	}
	dst, err := newCSRClient(cf.registry, cf.token, "", "", cf.timeout)
	if err != nil {
		return exitError, err
	}
	imp := &importer{src: src, dst: dst, out: e.stdout, progress: terminal(e.stderr), dryRun: dryRun}
	return imp.run(ctx, globs)
}

// matchGlob checks that g is a valid glob.
func matchGlob(g string) (bool, error) { return path.Match(g, "") }

// importer imports a source into a target.
type importer struct {
	src, dst *csrClient
	out      io.Writer
	// progress, when set, is a terminal to draw a progress indicator on.
	progress io.Writer
	dryRun   bool

	// modes are the subjects put in IMPORT mode, with their own mode
	// before ("" for none).
	modes     map[string]string
	modeOrder []string
	// outcome of each version: imported, skipped or refused.
	status  map[importKey]string
	refused []string
	ids     map[int64]bool
}

// Outcomes of a version.
const (
	statusImported = "imported"
	statusSkipped  = "skipped"
	statusRefused  = "refused"
)

// run imports and prints a line per subject and the summary.
func (imp *importer) run(ctx context.Context, globs []string) (int, error) {
	plan, err := readSource(ctx, imp.src, globs)
	if err != nil {
		return exitError, err
	}
	verb := "importing"
	if imp.dryRun {
		verb = "dry run: nothing is changed; importing would copy"
	}
	fmt.Fprintf(imp.out, "%s %d subjects, %d versions from %s into %s\n", verb, len(plan.subjects), len(plan.order), imp.src.base, imp.dst.base)
	imp.modes, imp.status, imp.ids = map[string]string{}, map[importKey]string{}, map[int64]bool{}
	left := map[string]int{}
	for _, k := range plan.order {
		left[k.subject]++
	}
	runErr := imp.importAll(ctx, plan, left)
	if err := imp.restoreModes(ctx); err != nil && runErr == nil {
		runErr = err
	}
	imp.summary(plan, runErr != nil)
	if runErr != nil {
		return exitError, fmt.Errorf("import interrupted: %w\nRun the same command again to resume: what is imported already is skipped", runErr)
	}
	if len(imp.refused) > 0 {
		return exitFindings, nil
	}
	return exitOK, nil
}

// importAll imports the plan's versions in order.
func (imp *importer) importAll(ctx context.Context, plan *importPlan, left map[string]int) error {
	for i, k := range plan.order {
		if imp.progress != nil {
			fmt.Fprintf(imp.progress, "\r\x1b[K[%d/%d] %s", i+1, len(plan.order), k)
		}
		n := plan.nodes[k]
		status, reason, err := imp.importOne(ctx, plan, k, n)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		imp.status[k] = status
		if status == statusRefused {
			line := fmt.Sprintf("%s (id %d): %s", k, n.schema.ID, reason)
			if n.neededBy != "" {
				line += fmt.Sprintf(" [imported as a reference of %s]", n.neededBy)
			}
			imp.refused = append(imp.refused, line)
		} else {
			imp.ids[n.schema.ID] = true
		}
		if left[k.subject]--; left[k.subject] == 0 {
			imp.subjectLine(plan, k.subject)
		}
	}
	if imp.progress != nil {
		fmt.Fprint(imp.progress, "\r\x1b[K")
	}
	return nil
}

// importOne imports one version, answering its outcome and, when
// refused, why. An error is a failure to talk to a registry.
func (imp *importer) importOne(ctx context.Context, plan *importPlan, k importKey, n *importNode) (string, string, error) {
	if n.refused != "" {
		return statusRefused, n.refused, nil
	}
	for _, d := range n.deps {
		if imp.status[d] == statusRefused {
			return statusRefused, fmt.Sprintf("needs %s, which was refused", d), nil
		}
	}
	sc := n.schema
	have, err := imp.dst.version(ctx, k.subject, k.version)
	switch code := csrCode(err); {
	case err == nil:
		if why := sameVersion(sc, have); why != "" {
			return statusRefused, "conflict: the target holds " + k.String() + " already, with " + why + "; not overwritten", nil
		}
		return statusSkipped, "", nil
	case code == 40401 || code == 40402:
	default:
		return "", "", fmt.Errorf("read the target's version: %w", err)
	}
	if imp.dryRun {
		return statusImported, "", nil
	}
	if err := imp.importMode(ctx, k.subject); err != nil {
		return "", "", err
	}
	id, err := imp.dst.register(ctx, sc)
	if err != nil {
		var ce *csrError
		// A 4xx about the schema refuses it; auth, a wrong URL and rate
		// limits stop the import.
		if errors.As(err, &ce) && (ce.Code != 0 || ce.Status == 413) && ce.Status/100 == 4 &&
			ce.Status != 401 && ce.Status != 403 && ce.Status != 404 && ce.Status != 429 {
			return statusRefused, registerRefusal(ce), nil
		}
		return "", "", fmt.Errorf("register: %w", err)
	}
	if id != sc.ID {
		return statusRefused, fmt.Sprintf("the target gave it id %d instead of %d", id, sc.ID), nil
	}
	return statusImported, "", nil
}

// registerRefusal says why the target refused a registration.
func registerRefusal(ce *csrError) string {
	switch {
	case ce.Code == 42201:
		return "invalid schema (does not compile, or a bad reference): " + ce.Message
	case ce.Code == 409 || ce.Status == 409:
		return "incompatible with the subject's previous version at the target's level (import it at NONE, or approve exceptions): " + ce.Message
	case ce.Code == 42207:
		return "id taken: " + ce.Message
	}
	return ce.Error()
}

// sameVersion says how the target's version have differs from the
// source's want ("" when they are the same: id, schema and references).
func sameVersion(want, have *csrSchema) string {
	var diffs []string
	if have.ID != want.ID {
		diffs = append(diffs, fmt.Sprintf("id %d instead of %d", have.ID, want.ID))
	}
	if have.Schema != want.Schema {
		diffs = append(diffs, "another schema text")
	}
	if !slices.Equal(have.References, want.References) {
		diffs = append(diffs, fmt.Sprintf("references %v instead of %v", have.References, want.References))
	}
	return strings.Join(diffs, ", ")
}

// importMode puts subject in IMPORT mode on the target, the first time,
// remembering its own mode to restore.
func (imp *importer) importMode(ctx context.Context, subject string) error {
	if _, ok := imp.modes[subject]; ok {
		return nil
	}
	old, err := imp.dst.subjectMode(ctx, subject)
	if err != nil {
		return fmt.Errorf("read the target's mode of %s: %w", subject, err)
	}
	if old == "IMPORT" {
		// Left by an interrupted import: afterwards the subject follows
		// the global mode.
		old = ""
	}
	if err := imp.dst.setSubjectMode(ctx, subject, "IMPORT"); err != nil {
		return fmt.Errorf("put %s in IMPORT mode on the target: %w", subject, err)
	}
	imp.modes[subject] = old
	imp.modeOrder = append(imp.modeOrder, subject)
	return nil
}

// restoreModes gives every subject put in IMPORT mode its mode back, even
// when ctx was cancelled (an interrupt).
func (imp *importer) restoreModes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	for _, s := range imp.modeOrder {
		if err := imp.dst.setSubjectMode(ctx, s, imp.modes[s]); err != nil {
			errs = append(errs, fmt.Errorf("restore the mode of %s on the target (it is left in IMPORT mode): %w", s, err))
		}
	}
	return errors.Join(errs...)
}

// subjectLine prints a subject's outcome.
func (imp *importer) subjectLine(plan *importPlan, subject string) {
	counts := map[string]int{}
	total := 0
	for k, st := range imp.status {
		if k.subject == subject {
			counts[st]++
			total++
		}
	}
	var parts []string
	imported := statusImported
	if imp.dryRun {
		imported = "to import"
	}
	for _, st := range []string{statusImported, statusSkipped, statusRefused} {
		if counts[st] > 0 {
			name := st
			switch st {
			case statusImported:
				name = imported
			case statusSkipped:
				name = "skipped (in the target already)"
			}
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], name))
		}
	}
	if imp.progress != nil {
		fmt.Fprint(imp.progress, "\r\x1b[K")
	}
	note := ""
	if n := plan.nodes[importKey{subject, 1}]; n != nil && n.neededBy != "" {
		note = " [imported as a reference of " + n.neededBy + "]"
	}
	fmt.Fprintf(imp.out, "%s: %s: %s%s\n", subject, count(total, "version"), strings.Join(parts, ", "), note)
}

// summary prints the refused versions and the counts.
func (imp *importer) summary(plan *importPlan, interrupted bool) {
	if len(imp.refused) > 0 {
		fmt.Fprintf(imp.out, "refused (%d):\n", len(imp.refused))
		for _, r := range imp.refused {
			fmt.Fprintf(imp.out, "  %s\n", strings.ReplaceAll(strings.TrimSpace(r), "\n", "\n    "))
		}
	}
	counts := map[string]int{}
	for _, st := range imp.status {
		counts[st]++
	}
	imported := "imported"
	if imp.dryRun {
		imported = "to import"
	}
	state := ""
	if interrupted {
		state = fmt.Sprintf(" (interrupted: %d not reached)", len(plan.order)-len(imp.status))
	}
	fmt.Fprintf(imp.out, "summary: %s, %s: %d %s, %d skipped, %d refused; %s kept%s\n",
		count(len(plan.subjects), "subject"), count(len(plan.order), "version"),
		counts[statusImported], imported, counts[statusSkipped], counts[statusRefused], count(len(imp.ids), "id"), state)
}

// count writes n and noun, with an s unless n is 1.
func count(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, plural(n, noun))
}

// terminal returns w when it is a terminal, else nil.
func terminal(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return w
}
