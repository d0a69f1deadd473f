package submodule

import (
	"fmt"
	"strconv"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// maxWants bounds the wants of one upload-pack request.
const maxWants = 100000

// unreachableWant returns the first object a client's upload-pack request
// wants that is neither an advertised ref's tip nor a commit, or "".
//
// upload-pack --stateless-rpc checks that every wanted commit is
// reachable from an advertised ref, but (git 2.39) not wanted blobs and
// trees: a client knowing the id of an object the repository holds
// unreachable — left by a publication that found its tree unchanged, or
// lost a race — would get it. No git client wants anything but ref tips
// and commits, so every other want is refused here, and commits are left
// to upload-pack's check.
func unreachableWant(repo string, req []byte) (string, error) {
	wants, err := parseWants(req)
	if err != nil || len(wants) == 0 {
		// upload-pack answers malformed requests itself.
		return "", nil
	}
	r, err := git.PlainOpen(repo)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", repo, err)
	}
	tips := map[plumbing.Hash]bool{}
	refs, err := r.Storer.IterReferences()
	if err != nil {
		return "", fmt.Errorf("list refs of %s: %w", repo, err)
	}
	refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference {
			tips[ref.Hash()] = true
		}
		return nil
	})
	for _, w := range wants {
		h := plumbing.NewHash(w)
		if tips[h] {
			continue
		}
		o, err := r.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil || o.Type() != plumbing.CommitObject {
			// Unknown ids are upload-pack's to refuse; a known
			// non-commit that is no tip is refused now.
			if err == nil {
				return w, nil
			}
		}
	}
	return "", nil
}

// parseWants returns the object ids of the "want <id>" pkt-lines of an
// upload-pack request (protocol v0, v1 or v2).
func parseWants(req []byte) ([]string, error) {
	var wants []string
	for len(req) >= 4 {
		n, err := strconv.ParseUint(string(req[:4]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad pkt-line length %q", req[:4])
		}
		if n < 4 {
			// flush, delim or response-end
			req = req[4:]
			continue
		}
		if int(n) > len(req) {
			return nil, fmt.Errorf("truncated pkt-line")
		}
		line := strings.TrimSuffix(string(req[4:n]), "\n")
		req = req[n:]
		if rest, ok := strings.CutPrefix(line, "want "); ok {
			id, _, _ := strings.Cut(rest, " ")
			if len(id) != 40 || strings.Trim(id, "0123456789abcdef") != "" {
				return nil, fmt.Errorf("bad want %q", id)
			}
			if len(wants) == maxWants {
				return nil, fmt.Errorf("more than %d wants", maxWants)
			}
			wants = append(wants, id)
		}
	}
	return wants, nil
}
