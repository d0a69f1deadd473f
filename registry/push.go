package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pbregistry/pbregistry/registry/internal/txhook"
)

// PushCommit is what CommitPush writes for an accepted push: the content,
// who pushed it, and what the compatibility check derived from it.
type PushCommit struct {
	// Module is the module pushed to.
	Module string
	// BaseVersion is the version the compatibility check was made
	// against: the module's latest version when the check started, 0 for
	// a new module. CommitPush refuses the push with ErrStaleBaseline if
	// it is no longer the latest.
	BaseVersion int64
	// Digest is Digest(Files, Config), or for an image push
	// ImageDigest(DescriptorSet, Files, Config); CommitPush verifies it.
	Digest string
	// Files are the pushed files; at least one, with unique paths. An
	// image push's are the sources sent beside the image, maybe none.
	Files []File
	// DescriptorSet is the compiled image, a serialized
	// google.protobuf.FileDescriptorSet: for an image push, the image as
	// pushed, in canonical form.
	DescriptorSet []byte
	// Image reports an image push: the client sent the compiled image
	// (DescriptorSet) rather than sources to compile.
	Image bool
	// Config is the pbregistry.yaml the push was made with.
	Config []byte
	// Principal is who pushes.
	Principal string
	// Build is the build metadata.
	Build BuildInfo
	// Subjects are the subjects the push's config declares. Subjects that
	// exist and are not declared keep their records.
	Subjects []SubjectSpec
	// Ledger are the ledger entries the version uses. Keys the ledger does
	// not hold are added with this version as their first; keys it holds
	// take the entry's meaning (a key whose meaning evolved compatibly,
	// such as a field renamed under WIRE rules), keeping the version that
	// first used them. The push service decides, before committing, that a
	// key absent from the baseline may not take another meaning. Each
	// entry's subject must be declared by the push or exist already.
	Ledger []LedgerEntry
	// Exceptions are the IDs of the exceptions the push consumes: each
	// must belong to Module and Digest and be unused, or the push fails
	// with an *ExceptionUnavailableError. A re-push of accepted content
	// consumes nothing.
	Exceptions []int64
}

// Validate returns an *InvalidArgumentError if c is malformed, including
// when its Digest is not Digest(Files, Config) (ImageDigest for an image
// push).
func (c *PushCommit) Validate() error {
	if err := ValidateModuleName(c.Module); err != nil {
		return err
	}
	if c.BaseVersion < 0 {
		return invalid("base_version", "base version %d is negative: use 0 for a new module", c.BaseVersion)
	}
	if len(c.Files) == 0 && !c.Image {
		return invalid("files", "the push has no files")
	}
	if c.Image && len(c.DescriptorSet) == 0 {
		return invalid("descriptor_set", "the image push has no image")
	}
	if err := ValidateDigest("digest", c.Digest); err != nil {
		return err
	}
	digest := Digest
	if c.Image {
		digest = func(files []File, config []byte) (string, error) { return ImageDigest(c.DescriptorSet, files, config) }
	}
	want, err := digest(c.Files, c.Config)
	if err != nil {
		return err
	}
	if c.Digest != want {
		return invalid("digest", "digest %s does not match the files and config, whose digest is %s", c.Digest, want)
	}
	if c.Principal == "" {
		return invalid("principal", "no principal: say who pushes")
	}
	declared := make(map[string]bool, len(c.Subjects))
	for i, s := range c.Subjects {
		field := fmt.Sprintf("subjects[%d]", i)
		if err := s.Validate(field); err != nil {
			return err
		}
		if declared[s.Name] {
			return invalid(field+".name", "subject %s is declared twice", s.Name)
		}
		declared[s.Name] = true
	}
	seen := make(map[ledgerID]string, len(c.Ledger))
	for i, e := range c.Ledger {
		field := fmt.Sprintf("ledger[%d]", i)
		if err := e.Validate(field); err != nil {
			return err
		}
		if m, dup := seen[e.id()]; dup && m != e.Meaning {
			return invalid(field, "ledger entry %s appears twice with meanings %q and %q", e, m, e.Meaning)
		}
		seen[e.id()] = e.Meaning
	}
	for i, id := range c.Exceptions {
		if id <= 0 {
			return invalid(fmt.Sprintf("exceptions[%d]", i), "exception ID %d is not positive", id)
		}
		if slices.Index(c.Exceptions, id) != i {
			return invalid(fmt.Sprintf("exceptions[%d]", i), "exception %d is listed twice", id)
		}
	}
	return nil
}

// DedupLedger returns c.Ledger without repeated entries, keeping the first
// of each; Validate has made sure repeats have the same meaning.
func (c *PushCommit) DedupLedger() []LedgerEntry {
	seen := make(map[ledgerID]bool, len(c.Ledger))
	out := make([]LedgerEntry, 0, len(c.Ledger))
	for _, e := range c.Ledger {
		if !seen[e.id()] {
			seen[e.id()] = true
			out = append(out, e)
		}
	}
	return out
}

// CommitPushFrame is the part of CommitPush that every Store shares; a
// backend calls it with its own two steps. It validates c, returns the
// version holding c's digest if there is one (an identical push accepted
// already: created is false, nothing is written), and otherwise runs
// commit, the backend's transaction, which must check the digest again
// under its lock. Errors are wrapped with the module's name.
func CommitPushFrame(ctx context.Context, c *PushCommit,
	byDigest func(ctx context.Context, module, digest string) (Version, error),
	commit func(ctx context.Context, c *PushCommit) (v Version, created bool, err error),
) (Version, bool, error) {
	if err := c.Validate(); err != nil {
		return Version{}, false, fmt.Errorf("commit push %s: %w", c.Module, err)
	}
	if v, err := byDigest(ctx, c.Module, c.Digest); err == nil {
		return v, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Version{}, false, fmt.Errorf("commit push %s: %w", c.Module, err)
	}
	v, created, err := commit(ctx, c)
	if err != nil {
		return Version{}, false, fmt.Errorf("commit push %s: %w", c.Module, err)
	}
	if created {
		txhook.Run(ctx, txhook.AfterCommit)
	}
	return v, created, nil
}
