package registry

import "time"

// LatestVersion, passed as a version number, selects a module's latest
// version.
const LatestVersion int64 = 0

// Version is one accepted push of a module. It holds the push's metadata;
// its files, descriptor set and config are read separately (GetFiles,
// GetDescriptorSet, GetConfig) so that listing versions stays cheap.
type Version struct {
	// Module is the module's name.
	Module string
	// Number is the version's number: 1, 2, 3… per module, with no gaps.
	Number int64
	// Digest identifies the pushed content; see Digest.
	Digest string
	// Principal is who pushed it.
	Principal string
	// CreatedAt is when it was accepted.
	CreatedAt time.Time
	// Build is the build metadata the push carried.
	Build BuildInfo
	// FileCount is the number of files of the version.
	FileCount int
	// Deleted is an admin's deletion of the version from serving, or nil.
	// A deleted version keeps its content, ledger and place in history.
	Deleted *VersionDeletion
	// PromotedFrom is, for a version made by promoting an earlier one
	// (Service.Promote), the number of that version, whose content this
	// one carries again; 0 for a pushed version.
	PromotedFrom int64
	// PromoteReason is why the promotion was made, as its principal said.
	PromoteReason string
}

// BuildInfo is optional metadata about the build that pushed a version.
type BuildInfo struct {
	// Commit is the git commit the build was made from.
	Commit string
	// Branch is the git branch.
	Branch string
	// CIURL links to the CI run.
	CIURL string
	// Labels are free key/value labels.
	Labels map[string]string
}
