package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/retry"
	"github.com/pbregistry/pbregistry/witness"
)

// Service is the registry's write path: it compiles pushed files, checks
// them against what the store holds and commits the accepted ones.
//
// A push is checked against the module's latest version, the baseline:
//
//   - each subject with its own rules and level (its kind's defaults unless
//     pbregistry.yaml or an admin override them), on the findings located
//     in the subject's scope — its message and every message and enum its
//     data holds;
//   - everything else with the module's breaking: section;
//   - for transitive subjects, against the subject's ledger too: a field
//     number or name, or an enum value, that the baseline no longer uses
//     but an older version did may not come back with another meaning.
//
// The check reads the baseline, the subjects and the ledger, then commits
// naming the baseline. Pushes to one module wait their turn within one
// process; if another process's push landed in between, the store refuses
// the commit as stale and the check runs again against the new latest,
// after a jittered backoff, for up to Limits.MaxStaleRetryTime — so a
// version is never accepted against a stale baseline, and a compatible push
// does not fail because another landed first.
//
// Every request is bounded before any expensive work (see Limits), the
// compile by Limits.MaxCompileTime, and the check costs time linear in the
// size of the two schemas and the subjects' scopes.
type Service struct {
	store    Store
	limits   Limits
	observer Observer
	logger   *slog.Logger
	now      func() time.Time
	// compiler is the compile stage; policies the policy stage.
	compiler Compiler
	policies PolicyEngine
	// locks serializes pushes per module.
	locks *moduleLocks
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	// Limits bound requests; each zero field means DefaultLimits' value.
	Limits Limits
	// Observer is told about each push; nil means none.
	Observer Observer
	// Logger logs pushes; nil means slog.Default().
	Logger *slog.Logger
	// Compiler compiles pushed files (registry/protocompile); without it
	// pushes of sources fail.
	Compiler Compiler
	// Policies evaluates the built-in, server-wide and module policies
	// (registry/cel, which holds the server-wide ones and the limits);
	// without it pushes fail rather than skip them.
	Policies PolicyEngine
}

// Observer is told what happens to pushes, for metrics.
type Observer interface {
	// ObservePush is called once per Push or CheckPush that got a verdict.
	ObservePush(o PushOutcome)
}

// PushOutcome describes a checked push.
type PushOutcome struct {
	// Module is the module pushed to.
	Module string
	// DryRun is true for CheckPush.
	DryRun bool
	// Accepted reports the verdict.
	Accepted bool
	// Created reports that a new version was written.
	Created bool
	// Findings are the push's findings, by rule.
	Findings []Finding
	// Elapsed is how long the push took.
	Elapsed time.Duration
}

// NewService returns a Service over store.
func NewService(store Store, opts ServiceOptions) *Service {
	s := &Service{store: store, limits: opts.Limits, observer: opts.Observer, logger: opts.Logger, now: time.Now,
		compiler: opts.Compiler, policies: opts.Policies, locks: newModuleLocks()}
	s.limits = s.limits.WithDefaults()
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s
}

// Store returns the store the service writes to.
func (s *Service) Store() Store { return s.store }

// PushRequest is a module's files as a build pushes them.
type PushRequest struct {
	// Module is the module's name; when empty, pbregistry.yaml's module:.
	Module string
	// Files are the module's files: .proto files, paths relative to the
	// module root, and its pbregistry.yaml (and buf.yaml if its roots
	// come from there).
	Files []File
	// Image, when not empty, makes this an image push (see imagepush.go):
	// a serialized FileDescriptorSet or buf image, gzip-compressed or
	// not, takes the place of compiling Files, whose .proto files are
	// then optional sources kept for display and downloads.
	Image []byte
	// Build says which build pushes.
	Build BuildInfo
	// Principal is who pushes.
	Principal string
}

// Finding is a compatibility finding (or policy violation) in the context
// of a push: which subject's rules found it, at which level, and whether an
// exception let it through.
type Finding struct {
	compat.Finding
	// Subject is the subject whose rules found it; "" for the module's.
	Subject string
	// Level is the level in force where it was found.
	Level Level
	// ExceptionID is the approved exception that lets it through, or 0.
	ExceptionID int64
	// Policy reports a policy finding rather than an incompatibility.
	Policy bool
	// Also are the other rules the same change breaks, at the same element
	// for the same subject (a rename breaks FIELD_SAME_NAME and
	// FIELD_SAME_JSON_NAME): one finding per change, which one exception
	// naming any of its rules lets through. Policies about the same
	// element are folded in too (see FoldPolicies).
	Also []string
	// Notes are the messages of the policies folded into the finding,
	// without the change's own message they repeat.
	Notes []string
	// Witness proves the finding with data (or says why nothing can): set
	// on the blocking findings of a refused push and on a diff's findings,
	// for the first witness.MaxExplained changes; nil otherwise.
	Witness *witness.Explanation
}

// Rules returns Rule and Also.
func (f Finding) Rules() []string { return append([]string{f.Rule}, f.Also...) }

// Blocking reports whether the finding blocks the push.
func (f Finding) Blocking() bool {
	return f.Severity == compat.SeverityError && f.ExceptionID == 0
}

// Verdict is the outcome of checking a push.
type Verdict struct {
	// Module is the module pushed to.
	Module string
	// Digest is the content digest of the push.
	Digest string
	// Baseline is the version the push was checked against, 0 for a new
	// module.
	Baseline int64
	// Existing is the version with the same content, when there is one:
	// the push is accepted as that version.
	Existing *Version
	// Findings are the findings, blocking or not, sorted.
	Findings []Finding

	commit *PushCommit
	// work counts the check's work on scopes, for tests.
	work *scopeWork
}

// Accepted reports whether the push may be stored.
func (v *Verdict) Accepted() bool {
	if v.Existing != nil {
		return true
	}
	for _, f := range v.Findings {
		if f.Blocking() {
			return false
		}
	}
	return true
}

// ErrRejected is matched by a *RejectedError.
var ErrRejected = errors.New("push rejected")

// RejectedError is returned by Push when the push is incompatible.
type RejectedError struct {
	// Verdict holds the findings.
	Verdict *Verdict
}

// Error lists the blocking findings, one per line, as
// `path:line:col: message; impact (RULE, LEVEL)`, then the warnings, each
// marked as one (`(RULE, LEVEL, warning)`, `(RULE, policy warning)`).
func (e *RejectedError) Error() string {
	var b strings.Builder
	var blocking []Finding
	for _, f := range e.Verdict.Findings {
		if f.Blocking() {
			blocking = append(blocking, f)
		}
	}
	against := "as a new module"
	if e.Verdict.Baseline > 0 {
		against = fmt.Sprintf("against version %d", e.Verdict.Baseline)
	}
	changes, violations := 0, 0
	for _, f := range blocking {
		if f.Policy {
			violations++
		} else {
			changes++
		}
	}
	var counts []string
	if changes > 0 {
		counts = append(counts, fmt.Sprintf("%d incompatible %s", changes, pluralize(changes, "change")))
	}
	if violations > 0 {
		counts = append(counts, fmt.Sprintf("%d policy %s", violations, pluralize(violations, "violation")))
	}
	var warnings []Finding
	for _, f := range e.Verdict.Findings {
		if f.Severity == compat.SeverityWarning && f.ExceptionID == 0 {
			warnings = append(warnings, f)
		}
	}
	if n := len(warnings); n > 0 {
		counts = append(counts, fmt.Sprintf("%d %s (not blocking)", n, pluralize(n, "warning")))
	}
	fmt.Fprintf(&b, "push to %s rejected %s: %s", e.Verdict.Module, against, strings.Join(counts, " and "))
	// Each witness once (a change reported for several subjects shares
	// it); why a finding has none is in the API's findings, not here.
	witnessed := map[*witness.Explanation]bool{}
	for _, f := range append(blocking, warnings...) {
		b.WriteString("\n")
		b.WriteString(f.Describe(e.Verdict.Baseline))
		if f.Witness != nil && f.Witness.Witness != nil && !witnessed[f.Witness] {
			witnessed[f.Witness] = true
			b.WriteString("\n  ")
			b.WriteString(strings.ReplaceAll(f.Witness.String(), "\n", "\n  "))
		}
	}
	return b.String()
}

// Is reports whether target is ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

func pluralize(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Describe renders the finding for people:
// `path:line:col: message; who it breaks (RULE + ALSO, LEVEL)`, with
// ", warning" after the level of a warning ("policy warning" for a
// policy's).
func (f Finding) Describe(baseline int64) string {
	loc := "<module>"
	if f.Location.Path != "" {
		loc = fmt.Sprintf("%s:%d:%d", f.Location.Path, max(f.Location.StartLine, 1), max(f.Location.StartColumn, 1))
	}
	msg := f.explain(baseline, false)
	level := string(f.Level)
	switch {
	case f.Policy && f.Severity == compat.SeverityWarning:
		level = "policy warning"
	case f.Policy:
		level = "policy"
	case level == "":
		level = "module rules"
	}
	if !f.Policy && f.Severity == compat.SeverityWarning {
		level += ", warning"
	}
	return fmt.Sprintf("%s: %s (%s, %s)", loc, msg, strings.Join(f.Rules(), " + "), level)
}

// prepared is a push made ready to check: split, validated, compiled.
type prepared struct {
	module    string
	files     []File
	config    []byte
	digest    string
	image     *image.Image
	cfg       *config.Config
	moduleCfg compat.Config
	declared  []SubjectSpec
	req       PushRequest
	// imageBytes is an image push's image in canonical form; nil for a
	// source push.
	imageBytes []byte
	// promote is set when the push promotes an earlier version.
	promote *promotion
}

// prepare validates and compiles a push. Errors are *InvalidArgumentError
// for anything wrong with the request, including compile errors.
func (s *Service) prepare(ctx context.Context, req PushRequest) (*prepared, error) {
	if len(req.Image) == 0 || len(req.Files) > 0 {
		if err := s.limits.CheckFiles(req.Files); err != nil {
			return nil, err
		}
	}
	if err := s.limits.CheckBuild(req.Build); err != nil {
		return nil, err
	}
	if req.Principal != "" {
		if err := s.limits.CheckPrincipal(req.Principal); err != nil {
			return nil, err
		}
	}
	if len(req.Module) > MaxModuleNameLength {
		return nil, ValidateModuleName(req.Module)
	}
	p := &prepared{req: req}
	for _, f := range req.Files {
		if f.Path == ConfigFileName {
			p.config = f.Content
		} else {
			p.files = append(p.files, f)
		}
	}
	if p.config != nil {
		cfg, err := config.Parse(ConfigFileName, p.config)
		if err != nil {
			return nil, invalid("files", "%v", err)
		}
		if b := cfg.Breaking; b.Transitive() {
			return nil, invalid("files", "%s: breaking: compatibility %s: the registry checks transitively through the ledgers of subjects only, "+
				"and this section governs the messages that are not subjects; declare the messages whose data outlives versions as subjects "+
				"(a subject's compatibility may be *_TRANSITIVE) and write %s here", b.PosOf("compatibility"), b.Compatibility, b.Compatibility.Directions())
		}
		if n := len(cfg.Subjects); s.limits.MaxSubjects > 0 && n > s.limits.MaxSubjects {
			return nil, invalid("files", "%s declares %d subjects, more than the limit of %d (limits.max_subjects): split the module", ConfigFileName, n, s.limits.MaxSubjects)
		}
		p.cfg = cfg
	}
	p.module = req.Module
	if p.cfg != nil && p.cfg.Name != "" {
		if p.module != "" && p.module != p.cfg.Name {
			return nil, invalid("module", "the push names module %q but its pbregistry.yaml says %q (%s): make them agree", p.module, Truncate(p.cfg.Name, 256), p.cfg.NamePos)
		}
		p.module = p.cfg.Name
	}
	if p.module == "" {
		return nil, invalid("module", "no module name: set module: in pbregistry.yaml or name the module in the request")
	}
	if err := ValidateModuleName(p.module); err != nil {
		return nil, err
	}
	if len(req.Image) > 0 {
		if err := s.prepareImage(p); err != nil {
			return nil, err
		}
		return p, nil
	}
	digest, err := Digest(p.files, p.config)
	if err != nil {
		return nil, err
	}
	p.digest = digest
	return p, nil
}

// compile compiles the push's files with the service's Compiler, within
// Limits.MaxCompileTime.
func (s *Service) compile(ctx context.Context, p *prepared) error {
	if s.compiler == nil {
		return errors.New("registry: the service has no compiler (ServiceOptions.Compiler): compose it with registry/protocompile")
	}
	fsys := make(fstest.MapFS, len(p.req.Files))
	for _, f := range p.req.Files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Content, Mode: 0o444}
	}
	compileCtx, cancel := ctx, context.CancelFunc(func() {})
	if s.limits.MaxCompileTime > 0 {
		compileCtx, cancel = context.WithTimeout(ctx, s.limits.MaxCompileTime)
	}
	defer cancel()
	compiled, err := s.compiler.Compile(compileCtx, p.module, fsys)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("compile push to %s: %w", p.module, ctx.Err())
		}
		if compileCtx.Err() != nil {
			return invalid("files", "the files did not compile within %s: split the module or raise limits.max_compile_time", s.limits.MaxCompileTime)
		}
		return invalid("files", "%v", err)
	}
	p.image = compiled.Image
	p.moduleCfg = compiled.Breaking
	p.declared = SubjectSpecsOf(p.cfg)
	return nil
}

// CheckPush returns the verdict a push would get, without storing it.
func (s *Service) CheckPush(ctx context.Context, req PushRequest) (*Verdict, error) {
	start := time.Now()
	p, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	v, err := s.check(ctx, p)
	if err != nil {
		return nil, err
	}
	s.observe(PushOutcome{Module: p.module, DryRun: true, Accepted: v.Accepted(), Findings: v.Findings, Elapsed: time.Since(start)})
	return v, nil
}

// Push checks a push and, if it is compatible, stores it as the module's
// next version. It returns the version (an existing one, with created ==
// false, when the content was pushed before) and the verdict; an
// incompatible push returns a *RejectedError holding the verdict.
//
// Pushes to one module take turns within the process. When another
// process's push lands between the check and the commit, the push is
// checked again against the new latest version after a jittered
// exponential backoff, for up to Limits.MaxStaleRetryTime; past it, the
// *StaleBaselineError is returned.
func (s *Service) Push(ctx context.Context, req PushRequest) (Version, bool, *Verdict, error) {
	start := time.Now()
	if err := s.limits.CheckPrincipal(req.Principal); err != nil {
		return Version{}, false, nil, err
	}
	p, err := s.prepare(ctx, req)
	if err != nil {
		return Version{}, false, nil, err
	}
	// Compile before waiting for the module: pushes to one module take
	// turns to check and commit, not to compile.
	if _, err := s.store.GetVersionByDigest(ctx, p.module, p.digest); errors.Is(err, ErrNotFound) && p.image == nil {
		if err := s.compile(ctx, p); err != nil {
			return Version{}, false, nil, err
		}
	}
	unlock, err := s.locks.lock(ctx, p.module)
	if err != nil {
		return Version{}, false, nil, fmt.Errorf("push %s: wait for the pushes before it: %w", p.module, err)
	}
	version, created, v, err := s.checkAndCommit(ctx, p, req, start)
	unlock(err)
	return version, created, v, err
}

// checkAndCommit checks a prepared push against the module's latest
// version and commits it, checking again with backoff while other
// processes' pushes land first. The caller holds the module's lock.
func (s *Service) checkAndCommit(ctx context.Context, p *prepared, req PushRequest, start time.Time) (Version, bool, *Verdict, error) {
	stale := newBackoff(s.limits.MaxStaleRetryTime)
	for {
		v, err := s.check(ctx, p)
		if err != nil {
			return Version{}, false, nil, err
		}
		if v.Existing != nil {
			s.observe(PushOutcome{Module: p.module, Accepted: true, Elapsed: time.Since(start)})
			return *v.Existing, false, v, nil
		}
		if !v.Accepted() {
			s.observe(PushOutcome{Module: p.module, Findings: v.Findings, Elapsed: time.Since(start)})
			s.logger.InfoContext(ctx, "push rejected", "module", p.module, "digest", p.digest,
				"baseline", v.Baseline, "principal", logString(req.Principal), "commit", logString(req.Build.Commit), "findings", len(v.Findings))
			return Version{}, false, v, &RejectedError{Verdict: v}
		}
		version, created, err := s.store.CommitPush(ctx, *v.commit)
		if errors.Is(err, ErrStaleBaseline) {
			wait, ok := stale.next()
			if ok {
				s.logger.DebugContext(ctx, "push raced another process's, checking again", "module", p.module, "baseline", v.Baseline,
					"attempt", stale.attempts, "wait", wait)
				if err := retry.Sleep(ctx, wait); err != nil {
					return Version{}, false, v, fmt.Errorf("push %s: %w", p.module, err)
				}
				continue
			}
			s.logger.WarnContext(ctx, "push kept racing others' and gave up", "module", p.module, "attempts", stale.attempts,
				"budget", s.limits.MaxStaleRetryTime)
		}
		if err != nil {
			return Version{}, false, v, fmt.Errorf("push %s: %w", p.module, err)
		}
		s.observe(PushOutcome{Module: p.module, Accepted: true, Created: created, Findings: v.Findings, Elapsed: time.Since(start)})
		s.logger.InfoContext(ctx, "push accepted", "module", p.module, "version", version.Number, "created", created,
			"digest", p.digest, "principal", logString(req.Principal), "commit", logString(req.Build.Commit))
		return version, created, v, nil
	}
}

func (s *Service) observe(o PushOutcome) {
	if s.observer != nil {
		s.observer.ObservePush(o)
	}
}

// check checks a prepared push against the module's latest version, in
// the stages of the package doc's check: read the baseline (its image and
// the stored subjects), resolve the subjects in force, check the change
// with CheckImages (module rules, subjects' rules, ledgers), evaluate the
// policies, apply the exceptions, and assemble the commit.
func (s *Service) check(ctx context.Context, p *prepared) (*Verdict, error) {
	v := &Verdict{Module: p.module, Digest: p.digest}
	if found, err := s.versionWithContent(ctx, p, v); err != nil {
		return nil, err
	} else if found {
		return v, nil
	}
	if p.image == nil {
		if err := s.compile(ctx, p); err != nil {
			return nil, err
		}
	}
	base, err := s.readBaseline(ctx, p.module)
	if err != nil {
		return nil, err
	}
	v.Baseline = base.version
	subjects, stored := effectiveSubjects(p.declared, base.subjects)
	if n := len(subjects); s.limits.MaxSubjects > 0 && n > s.limits.MaxSubjects {
		return nil, invalid("files", "module %s would have %d subjects (those %s declares and those earlier versions declared), more than the limit of %d (limits.max_subjects): split the module, or ask an admin to retire subjects", p.module, n, ConfigFileName, s.limits.MaxSubjects)
	}
	if s.policies == nil {
		return nil, errNoPolicyEngine
	}
	modulePolicies, err := s.policies.Settings(p.cfg)
	if err != nil {
		return nil, invalid("files", "%v", err)
	}
	var previous *GovernedConfig
	if base.version > 0 {
		previous = &GovernedConfig{Module: base.module, Subjects: base.inForce, Policies: base.policies}
	}
	res, err := CheckImages(ctx, base.image, p.image, CheckSpec{
		Module: p.moduleCfg, Subjects: subjects, Policies: modulePolicies, Previous: previous,
		MaxScopeEntries: s.limits.MaxScopeEntries, MaxSubjectFindings: s.limits.MaxSubjectFindings,
	}, s.storeLedger(p.module, stored))
	if err != nil {
		return nil, err
	}
	v.work = res.work
	findings := dropRetiredDeletions(res.Findings, base.subjects, p.declared)
	nameModule(findings, p.module)
	policyFindings, err := s.checkPolicies(ctx, p, base.image, subjects)
	if err != nil {
		return nil, err
	}
	fixtureFindings, err := s.checkFixtures(ctx, p, base, subjects)
	if err != nil {
		return nil, err
	}
	findings = FoldPolicies(append(append(findings, policyFindings...), fixtureFindings...))
	exceptions, err := s.applyExceptions(ctx, p, findings)
	if err != nil {
		return nil, err
	}
	displayPaths(findings, p.image)
	sortFindings(findings)
	attachWitnesses(base.image, p.image, findings, true)
	v.Findings = findings
	if v.commit, err = s.commitOf(p, v.Baseline, res.Ledger, exceptions); err != nil {
		return nil, err
	}
	return v, nil
}

// baseline is what a push is checked against: the module's latest
// version, its image and the subjects the store holds; zero for a new
// module.
type baseline struct {
	version  int64
	image    *image.Image
	subjects []Subject
	// inForce are the subjects in force at the baseline (overrides
	// applied); module and policies are its pbregistry.yaml's breaking:
	// section and policies: list.
	inForce  []SubjectSpec
	module   compat.Config
	policies []PolicySetting
}

// readBaseline reads the module's latest version and its subjects.
func (s *Service) readBaseline(ctx context.Context, module string) (baseline, error) {
	mod, err := s.store.GetModule(ctx, module)
	if errors.Is(err, ErrNotFound) {
		return baseline{}, nil
	}
	if err != nil {
		return baseline{}, fmt.Errorf("check push %s: %w", module, err)
	}
	b := baseline{version: mod.LatestVersion}
	data, err := s.store.GetDescriptorSet(ctx, module, mod.LatestVersion)
	if err != nil {
		return baseline{}, fmt.Errorf("check push %s: read version %d: %w", module, mod.LatestVersion, err)
	}
	if b.image, err = image.DecodeWithLimits(data, image.StoredLimits); err != nil {
		return baseline{}, fmt.Errorf("check push %s: decode version %d: %w", module, mod.LatestVersion, err)
	}
	if b.subjects, err = s.store.ListSubjects(ctx, module); err != nil {
		return baseline{}, fmt.Errorf("check push %s: %w", module, err)
	}
	b.inForce, _ = effectiveSubjects(nil, unretired(b.subjects))
	cfg, err := s.versionConfig(ctx, module, mod.LatestVersion)
	if err == nil && s.policies == nil {
		err = errNoPolicyEngine
	}
	if err == nil {
		b.module = cfg.Modules[0].Breaking.CompatConfig()
		b.policies, err = s.policies.Settings(cfg)
	}
	if err != nil {
		return baseline{}, fmt.Errorf("check push %s: read the configuration of version %d: %w", module, mod.LatestVersion, err)
	}
	return b, nil
}

// versionConfig reads the configuration a version was pushed with (its
// pbregistry.yaml, and buf.yaml if its files hold one): the default
// configuration when it had none.
func (s *Service) versionConfig(ctx context.Context, module string, number int64) (*config.Config, error) {
	files, err := s.store.GetFiles(ctx, module, number)
	if err != nil {
		return nil, err
	}
	fsys := make(fstest.MapFS, len(files)+1)
	for _, f := range files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Content}
	}
	data, err := s.store.GetConfig(ctx, module, number)
	if err != nil {
		return nil, err
	}
	if len(data) > 0 {
		fsys[ConfigFileName] = &fstest.MapFile{Data: data}
	}
	cfg, err := config.Load(fsys, ".", "")
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = config.Default()
	}
	return cfg, nil
}

// storeLedger is the Ledger of the module's stored subjects, read from the
// store when the check asks for it.
func (s *Service) storeLedger(module string, stored map[string]bool) Ledger {
	return LedgerFunc(func(ctx context.Context, subject string) ([]LedgerEntry, error) {
		if !stored[subject] {
			return nil, nil
		}
		return s.store.Ledger(ctx, LedgerQuery{Module: module, Subject: subject})
	})
}

// commitOf assembles the commit of an accepted push.
func (s *Service) commitOf(p *prepared, base int64, ledger []LedgerEntry, exceptions []int64) (*PushCommit, error) {
	descriptorSet := p.imageBytes // an image push's: what ImageDigest covers
	if descriptorSet == nil {
		var err error
		if descriptorSet, err = p.image.Encode(); err != nil {
			return nil, fmt.Errorf("check push %s: encode image: %w", p.module, err)
		}
	}
	c := &PushCommit{
		Module:        p.module,
		BaseVersion:   base,
		Digest:        p.digest,
		Files:         p.files,
		DescriptorSet: descriptorSet,
		Config:        p.config,
		Principal:     p.req.Principal,
		Build:         p.req.Build,
		Subjects:      slices.Clone(p.declared),
		Ledger:        ledger,
		Exceptions:    exceptions,
		Image:         p.imageBytes != nil,
	}
	if p.promote != nil {
		c.PromotedFrom, c.PromoteReason = p.promote.from, p.promote.reason
	}
	return c, nil
}

// effectiveSubjects merges the subjects a push declares with the ones the
// store holds: an admin override wins, then the declared configuration,
// then the stored one; subjects no longer declared are still checked,
// unless retired. It returns them sorted by name, and the names of the
// stored ones.
func effectiveSubjects(declared []SubjectSpec, stored []Subject) ([]SubjectSpec, map[string]bool) {
	stored = withoutRetired(declared, stored)
	byName := make(map[string]*SubjectSpec, len(stored)+len(declared))
	overridden := make(map[string]bool)
	isStored := make(map[string]bool, len(stored))
	var order []string
	for _, st := range stored {
		overridden[st.Name] = st.Override != nil
		isStored[st.Name] = true
		byName[st.Name] = &SubjectSpec{Name: st.Name, Kind: st.Kind, PrimaryKey: st.PrimaryKey, Compatibility: st.Pushed.withDefaults(st.Kind)}
		order = append(order, st.Name)
		if st.Override != nil {
			byName[st.Name].Compatibility = st.Override.Compatibility.withDefaults(st.Kind)
		}
	}
	for _, d := range declared {
		sub, ok := byName[d.Name]
		if !ok {
			sub = &SubjectSpec{Name: d.Name}
			byName[d.Name] = sub
			order = append(order, d.Name)
		}
		sub.Kind, sub.PrimaryKey = d.Kind, d.PrimaryKey
		if !overridden[d.Name] {
			sub.Compatibility = d.Compatibility.withDefaults(d.Kind)
		}
	}
	slices.Sort(order)
	out := make([]SubjectSpec, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out, isStored
}

// checkSubjectsExist reports subjects whose message the push does not
// declare: a subject's data outlives its message.
func checkSubjectsExist(subjects []SubjectSpec, curr, prev *image.Index, locate func(protoreflect.Descriptor) compat.Location) []Finding {
	var out []Finding
	for _, subj := range subjects {
		if _, ok := curr.Lookup(protoreflect.FullName(subj.Name)).(protoreflect.MessageDescriptor); ok {
			continue
		}
		f := Finding{Subject: subj.Name, Level: subj.Compatibility.Level, Finding: compat.Finding{
			Rule:       "SUBJECT_NO_DELETE",
			Message:    fmt.Sprintf("Subject %s (%s) has no message in this push: its data outlives the message. Restore the message, or, if its data no longer matters, ask an admin to run `pbcheck registry subject retire <module> %s --reason '…'` (its field numbers and names stay taken).", subj.Name, subj.Kind, subj.Name),
			Directions: compat.Both,
			Element:    subj.Name,
		}}
		if d := prev.Lookup(protoreflect.FullName(subj.Name)); d != nil {
			f.Previous = compat.Location{Path: d.ParentFile().Path()}
		}
		out = append(out, f)
	}
	return out
}

// applyExceptions marks the findings an unused exception of this push's
// digest lets through, and returns the exceptions to consume.
func (s *Service) applyExceptions(ctx context.Context, p *prepared, findings []Finding) ([]int64, error) {
	hasBlocking := false
	for _, f := range findings {
		hasBlocking = hasBlocking || f.Blocking()
	}
	if !hasBlocking {
		return nil, nil
	}
	excs, err := s.store.ListExceptions(ctx, ExceptionQuery{Module: p.module, Digest: p.digest, UnusedOnly: true})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("check push %s: read exceptions: %w", p.module, err)
	}
	var used []int64
	for i := range findings {
		f := &findings[i]
		if !f.Blocking() {
			continue
		}
		for _, e := range excs {
			if slices.Contains(f.Rules(), e.Rule) && e.Element == f.Element {
				f.ExceptionID = e.ID
				if !slices.Contains(used, e.ID) {
					used = append(used, e.ID)
				}
			}
		}
	}
	return used, nil
}

// displayPaths rewrites findings' module-relative paths into the paths of
// the pushed files (which include the proto root, e.g. "proto/").
func displayPaths(findings []Finding, img *image.Image) {
	for i := range findings {
		if f := img.File(findings[i].Location.Path); f != nil {
			findings[i].Location.Path = f.DisplayPath()
		}
	}
}
