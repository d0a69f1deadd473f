package registry

import (
	"fmt"
	"slices"
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
	// PromotedFrom, for a promotion (Service.Promote), is the version
	// whose content the new version carries again; 0 for a push. A
	// module may hold a promoted version's digest on several versions.
	PromotedFrom int64
	// PromoteReason is why the promotion was made.
	PromoteReason string
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
	if c.PromotedFrom < 0 || c.PromotedFrom > c.BaseVersion {
		return invalid("promoted_from", "version %d cannot be promoted over version %d: name an earlier version of the module", c.PromotedFrom, c.BaseVersion)
	}
	if c.PromoteReason != "" && c.PromotedFrom == 0 {
		return invalid("promote_reason", "a reason is given but no version is promoted")
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
