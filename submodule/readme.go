package submodule

import (
	"fmt"
	"strings"
)

// Readme returns the README.md of a stack's repository: what it is, how to
// add it as a submodule and how to move it forward, and the modules it
// holds.
func Readme(stack *Stack, publicURL string, lock *Lock) []byte {
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
