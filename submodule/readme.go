package submodule

import (
	"fmt"
	"strings"
)

// Readme returns the README.md of a stack's repository: what it is, how to
// add it as a submodule and how to move it forward, and the modules it
// holds.
func Readme(stack *Stack, publicURL string, lock *Lock) []byte {
	if stack.Kind == KindDbt {
		return dbtReadme(stack, publicURL, lock)
	}
	url := CloneURL(publicURL, stack.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s protos\n\n", stack.Name)
	fmt.Fprintf(&b, "This repository is published by pbregistry on every accepted push: do not push to it.\n")
	fmt.Fprintf(&b, "Every commit on `main` is a compatible step forward of the schemas below; `%s` says\n", LockFile)
	fmt.Fprintf(&b, "which module versions it holds. Tags: `<module>/v<N>` per module version, `r<N>` per publication.\n\n")
	b.WriteString("## Use it in a product repository\n\n```sh\n")
	fmt.Fprintf(&b, "git submodule add -b main %s protos\n", url)
	b.WriteString("git commit -m \"vendor protos\"\n```\n\n")
	b.WriteString("Move forward to the latest schemas:\n\n```sh\n")
	b.WriteString("git submodule update --remote protos\ngit commit -am \"protos: latest\"\n```\n\n")
	b.WriteString("In CI: `git submodule update --init --depth 1`. A registry that needs a token reads it as the\n")
	b.WriteString("HTTP password: `git config --global credential.helper store`, or\n")
	b.WriteString("`git -c http.extraHeader=\"Authorization: Bearer $PBREGISTRY_TOKEN\" submodule update`.\n\n")
	if stack.Prefix != "" {
		fmt.Fprintf(&b, "The import root is `%s/`: pass `-I protos/%s` to protoc, or list it in buf.yaml's roots.\n\n", stack.Prefix, stack.Prefix)
	}
	b.WriteString("## Modules\n\n| Module | Version | Subjects |\n|---|---|---|\n")
	for _, m := range lock.Modules {
		fmt.Fprintf(&b, "| %s | v%d | %d |\n", m.Name, m.Version, len(m.Subjects))
	}
	return []byte(b.String())
}

// CloneURL returns the clone URL of a stack's repository.
func CloneURL(publicURL, stack string) string {
	if publicURL == "" {
		publicURL = "http://localhost:8080"
	}
	return strings.TrimRight(publicURL, "/") + "/git/" + stack + ".git"
}

// dbtReadme is the README.md of a dbt stack: how to list a module's
// package in packages.yml.
func dbtReadme(stack *Stack, publicURL string, lock *Lock) []byte {
	url := CloneURL(publicURL, stack.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s dbt packages\n\n", stack.Name)
	fmt.Fprintf(&b, "This repository is published by pbregistry on every accepted push: do not push to it.\n")
	fmt.Fprintf(&b, "Each module's directory is a dbt package (dialect %s) with one source per module and one\n", stack.Dialect)
	b.WriteString("staging model per subject, reading every row ever landed with the latest schema.\n")
	fmt.Fprintf(&b, "`%s` says which module versions it holds. Tags: `<module>/v<N>` per module version, `r<N>` per publication.\n\n", LockFile)
	b.WriteString("## Use it in a dbt project\n\nIn `packages.yml` (pin `revision:` to a tag, e.g. `<module>/v<N>`, or follow `main`):\n\n```yaml\npackages:\n")
	for _, m := range lock.Modules {
		fmt.Fprintf(&b, "  - git: %q\n    revision: %q\n    subdirectory: %q\n", url, fmt.Sprintf("%s/v%d", m.Name, m.Version), DbtDir(stack, m.Name))
	}
	if len(lock.Modules) == 0 {
		fmt.Fprintf(&b, "  - git: %q\n    revision: main\n    subdirectory: \"<module>\"\n", url)
	}
	b.WriteString("```\n\nthen `dbt deps`. A registry that needs a token reads it as the HTTP password\n")
	b.WriteString("(`https://x:<token>@host/git/...` through an env_var in packages.yml).\n\n")
	b.WriteString("## Modules\n\n| Module | Version | Directory | Subjects |\n|---|---|---|---|\n")
	for _, m := range lock.Modules {
		fmt.Fprintf(&b, "| %s | v%d | %s | %d |\n", m.Name, m.Version, DbtDir(stack, m.Name), len(m.Subjects))
	}
	return []byte(b.String())
}
