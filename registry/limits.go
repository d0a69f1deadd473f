package registry

import (
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits bound what a push, a check or an admin request may carry, so that
// no client — anonymous readers included, who may call CheckPush — can make
// the registry store, log or compute without bound. Each limit yields an
// *InvalidArgumentError that names the field, its size and the limit. A zero
// field means DefaultLimits' value for it (see WithDefaults); a negative
// one means no limit.
type Limits struct {
	// MaxFiles is the number of files a push may hold.
	MaxFiles int `yaml:"max_files"`
	// MaxFileBytes is the size of one file.
	MaxFileBytes int `yaml:"max_file_bytes"`
	// MaxTotalBytes is the size of all files together.
	MaxTotalBytes int `yaml:"max_total_bytes"`
	// MaxPathBytes is the length of a file path.
	MaxPathBytes int `yaml:"max_path_bytes"`

	// MaxGitCommitBytes is the length of build.git_commit.
	MaxGitCommitBytes int `yaml:"max_git_commit_bytes"`
	// MaxGitBranchBytes is the length of build.git_branch.
	MaxGitBranchBytes int `yaml:"max_git_branch_bytes"`
	// MaxCIURLBytes is the length of build.ci_url.
	MaxCIURLBytes int `yaml:"max_ci_url_bytes"`
	// MaxLabels is the number of build labels.
	MaxLabels int `yaml:"max_labels"`
	// MaxLabelKeyBytes is the length of a label's key.
	MaxLabelKeyBytes int `yaml:"max_label_key_bytes"`
	// MaxLabelValueBytes is the length of a label's value.
	MaxLabelValueBytes int `yaml:"max_label_value_bytes"`
	// MaxPrincipalBytes is the length of a principal's name.
	MaxPrincipalBytes int `yaml:"max_principal_bytes"`
	// MaxReasonBytes is the length of an exception's reason.
	MaxReasonBytes int `yaml:"max_reason_bytes"`
	// MaxSubjects is the number of subjects a module's pbregistry.yaml
	// may declare.
	MaxSubjects int `yaml:"max_subjects"`
	// MaxNameBytes is the length of a rule ID, category, policy name or
	// element name an admin request carries.
	MaxNameBytes int `yaml:"max_name_bytes"`
	// MaxRules is the number of rule IDs and categories in a subject's
	// use: or except: list.
	MaxRules int `yaml:"max_rules"`
	// MaxScopeEntries bounds the messages and enums of all the subjects'
	// scopes together, in the pushed schema and its baseline, counting
	// each once per subject whose data holds it: what their ledgers
	// record, and what a check walks.
	MaxScopeEntries int `yaml:"max_scope_entries"`
	// MaxSubjectFindings bounds the findings of the subjects' rules in
	// one check, each change counted once per subject whose data holds
	// it.
	MaxSubjectFindings int `yaml:"max_subject_findings"`

	// MaxCompileTime bounds how long the files of one push may take to
	// compile; a compile that takes longer is cancelled.
	MaxCompileTime time.Duration `yaml:"max_compile_time"`
	// MaxStaleRetryTime bounds how long a push is checked again, with
	// backoff, while other pushes to its module land first (across
	// processes; within one process pushes to a module wait their turn).
	MaxStaleRetryTime time.Duration `yaml:"max_stale_retry_time"`
}

// DefaultLimits are generous for real modules and small enough to keep a
// registry healthy: 5,000 files, 4 MiB per file, 64 MiB per push, 1 KiB
// paths; build metadata of 256 bytes (commit), 1 KiB (branch) and 2 KiB
// (CI URL); 64 labels of 128-byte keys and 1 KiB values; 256-byte
// principals, 4 KiB reasons, 10,000 subjects per module, 512-byte names,
// 200 rules per list, 1,000,000 scope entries and 100,000 subject findings;
// 60 s to compile a push; 30 s of retries when concurrent pushes keep
// landing first.
var DefaultLimits = Limits{
	MaxFiles: 5000, MaxFileBytes: 4 << 20, MaxTotalBytes: 64 << 20, MaxPathBytes: 1024,
	MaxGitCommitBytes: 256, MaxGitBranchBytes: 1024, MaxCIURLBytes: 2048,
	MaxLabels: 64, MaxLabelKeyBytes: 128, MaxLabelValueBytes: 1024,
	MaxPrincipalBytes: 256, MaxReasonBytes: 4096, MaxSubjects: 10000, MaxNameBytes: 512, MaxRules: 200,
	MaxScopeEntries: 1_000_000, MaxSubjectFindings: 100_000,
	MaxCompileTime: 60 * time.Second, MaxStaleRetryTime: 30 * time.Second,
}

// WithDefaults returns l with each zero field set to DefaultLimits' value.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&l.MaxFiles, d.MaxFiles)
	setInt(&l.MaxFileBytes, d.MaxFileBytes)
	setInt(&l.MaxTotalBytes, d.MaxTotalBytes)
	setInt(&l.MaxPathBytes, d.MaxPathBytes)
	setInt(&l.MaxGitCommitBytes, d.MaxGitCommitBytes)
	setInt(&l.MaxGitBranchBytes, d.MaxGitBranchBytes)
	setInt(&l.MaxCIURLBytes, d.MaxCIURLBytes)
	setInt(&l.MaxLabels, d.MaxLabels)
	setInt(&l.MaxLabelKeyBytes, d.MaxLabelKeyBytes)
	setInt(&l.MaxLabelValueBytes, d.MaxLabelValueBytes)
	setInt(&l.MaxPrincipalBytes, d.MaxPrincipalBytes)
	setInt(&l.MaxReasonBytes, d.MaxReasonBytes)
	setInt(&l.MaxSubjects, d.MaxSubjects)
	setInt(&l.MaxNameBytes, d.MaxNameBytes)
	setInt(&l.MaxRules, d.MaxRules)
	setInt(&l.MaxScopeEntries, d.MaxScopeEntries)
	setInt(&l.MaxSubjectFindings, d.MaxSubjectFindings)
	if l.MaxCompileTime == 0 {
		l.MaxCompileTime = d.MaxCompileTime
	}
	if l.MaxStaleRetryTime == 0 {
		l.MaxStaleRetryTime = d.MaxStaleRetryTime
	}
	return l
}

// CheckFiles checks files against l: counts, sizes, and paths (relative,
// clean, UTF-8, no "..", no absolute paths, no duplicates, only .proto files
// and configuration files).
func (l Limits) CheckFiles(files []File) error {
	if len(files) == 0 {
		return invalid("files", "the push has no files: send the module's .proto files and its pbregistry.yaml")
	}
	if l.MaxFiles > 0 && len(files) > l.MaxFiles {
		return invalid("files", "the push has %d files, more than the limit of %d (limits.max_files): split the module", len(files), l.MaxFiles)
	}
	seen := make(map[string]bool, len(files))
	total := 0
	for i, f := range files {
		field := fmt.Sprintf("files[%d].path", i)
		if l.MaxPathBytes > 0 && len(f.Path) > l.MaxPathBytes {
			return invalid(field, "path %.60q… is %d bytes long, more than the limit of %d", f.Path, len(f.Path), l.MaxPathBytes)
		}
		if err := ValidateFilePath(field, f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return invalid(field, "file %s appears twice", f.Path)
		}
		seen[f.Path] = true
		if !isModuleFile(f.Path) {
			return invalid(field, "file %s is neither a .proto file, pbregistry.yaml, buf.yaml, buf.work.yaml nor a fixture (testdata/<subject>/<name>.json or .binpb): push only the module's schema and fixtures", f.Path)
		}
		if l.MaxFileBytes > 0 && len(f.Content) > l.MaxFileBytes {
			return invalid(fmt.Sprintf("files[%d].content", i), "file %s is %d bytes, more than the limit of %d", f.Path, len(f.Content), l.MaxFileBytes)
		}
		total += len(f.Content)
		if l.MaxTotalBytes > 0 && total > l.MaxTotalBytes {
			return invalid("files", "the push's files exceed %d bytes in total (reached at %s): split the module", l.MaxTotalBytes, f.Path)
		}
	}
	return nil
}

// CheckBuild checks a push's build metadata against l: the lengths of the
// commit, branch and CI URL, the number of labels and the lengths of their
// keys and values, and their characters (no control characters; label keys
// of letters, digits, '.', '_', '-' and '/').
func (l Limits) CheckBuild(b BuildInfo) error {
	for _, f := range []struct {
		field, value, key string
		limit             int
	}{
		{"build.git_commit", b.Commit, "max_git_commit_bytes", l.MaxGitCommitBytes},
		{"build.git_branch", b.Branch, "max_git_branch_bytes", l.MaxGitBranchBytes},
		{"build.ci_url", b.CIURL, "max_ci_url_bytes", l.MaxCIURLBytes},
	} {
		if err := checkText(f.field, f.value, f.limit, f.key); err != nil {
			return err
		}
	}
	if l.MaxLabels > 0 && len(b.Labels) > l.MaxLabels {
		return invalid("build.labels", "the build has %d labels, more than the limit of %d (limits.max_labels): keep the labels that identify the build", len(b.Labels), l.MaxLabels)
	}
	for k, v := range b.Labels {
		field := "build.labels[" + Truncate(k, 64) + "]"
		if k == "" {
			return invalid("build.labels", "a label has an empty key: write key=value")
		}
		if l.MaxLabelKeyBytes > 0 && len(k) > l.MaxLabelKeyBytes {
			return invalid(field, "the label key is %d bytes long, more than the limit of %d (limits.max_label_key_bytes)", len(k), l.MaxLabelKeyBytes)
		}
		for _, r := range k {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '/') {
				return invalid(field, "label key %q contains %q: use letters, digits, '.', '_', '-' and '/'", Truncate(k, 64), r)
			}
		}
		if err := checkText(field, v, l.MaxLabelValueBytes, "max_label_value_bytes"); err != nil {
			return err
		}
	}
	return nil
}

// CheckPrincipal checks who makes a request: named, bounded, printable.
func (l Limits) CheckPrincipal(principal string) error {
	if principal == "" {
		return invalid("principal", "no principal: say who makes the request")
	}
	return checkText("principal", principal, l.MaxPrincipalBytes, "max_principal_bytes")
}

// CheckName checks a rule ID, category, policy name or element name of an
// admin request: non-empty, bounded, printable, without spaces.
func (l Limits) CheckName(field, name string) error {
	if name == "" {
		return invalid(field, "it is empty")
	}
	if err := checkText(field, name, l.MaxNameBytes, "max_name_bytes"); err != nil {
		return err
	}
	if i := strings.IndexFunc(name, unicode.IsSpace); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return invalid(field, "%q contains the space %U: names have none", Truncate(name, 64), r)
	}
	return nil
}

// checkText returns an *InvalidArgumentError if s is longer than limit
// bytes (limit > 0), is not UTF-8 or holds a control character (NUL, a
// newline, an escape…): field names s, key its limit in registryd's
// configuration.
func checkText(field, s string, limit int, key string) error {
	if limit > 0 && len(s) > limit {
		return invalid(field, "it is %d bytes long, more than the limit of %d (limits.%s)", len(s), limit, key)
	}
	if !utf8.ValidString(s) {
		return invalid(field, "%q is not valid UTF-8", Truncate(s, 64))
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid(field, "%q contains the control character %U: send printable text on one line", Truncate(s, 64), r)
		}
	}
	return nil
}

// Truncate returns s if it is at most n bytes long, else its first n bytes
// (cut at a rune boundary) followed by a marker saying how long s was: for
// logs and error messages that quote what a client sent.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…[%d bytes]", s[:cut], len(s))
}

// logString is Truncate for log lines: every client-controlled string a
// log line of the registry carries goes through it.
func logString(s string) string { return Truncate(s, 256) }

// isModuleFile reports whether p may be part of a module.
func isModuleFile(p string) bool {
	switch path.Base(p) {
	case ConfigFileName, "buf.yaml", "buf.work.yaml":
		return true
	}
	if _, ok := FixtureSubject(p); ok {
		return true
	}
	return strings.HasSuffix(p, ".proto")
}

// ConfigFileName is the module configuration a push carries at its root.
const ConfigFileName = "pbregistry.yaml"
