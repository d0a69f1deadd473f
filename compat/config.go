package compat

// Config selects the rules a Check runs and the findings it keeps. The zero
// Config is buf's default: the FILE category, every finding kept.
type Config struct {
	// Version is the configuration version rule IDs and categories are
	// read with: "v1beta1", "v1" or "v2" (buf.yaml's version). Empty means
	// "v2". The versions differ in which rules exist and which categories
	// they belong to.
	Version string
	// Use lists rule IDs and categories to run. Empty means the default
	// category, FILE.
	Use []string
	// Except lists rule IDs and categories not to run.
	Except []string
	// Ignore lists paths, relative to the module root, of files or
	// directories whose findings are dropped.
	Ignore []string
	// IgnoreOnly maps a rule ID or category to paths whose findings for
	// that rule (or any rule of that category) are dropped.
	IgnoreOnly map[string][]string
	// IgnoreUnstablePackages drops findings in files whose package has an
	// unstable version suffix, such as "foo.v1beta1" or "foo.v1alpha".
	IgnoreUnstablePackages bool
	// Level keeps only the findings that break the level's directions.
	Level Level
	// ExcludeImports drops findings located in imports (files only present
	// because an input file imports them), as buf's --exclude-imports does.
	// By default, as in buf, they are reported.
	ExcludeImports bool
}
