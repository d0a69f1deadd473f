package server

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pbregistry/pbregistry/compat"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/witness"
)

// filesFromProto converts a request's files.
func filesFromProto(files []*v1.File) []registry.File {
	out := make([]registry.File, len(files))
	for i, f := range files {
		out[i] = registry.File{Path: f.GetPath(), Content: f.GetContent()}
	}
	return out
}

// filesToProto converts a version's files.
func filesToProto(files []registry.File) []*v1.File {
	out := make([]*v1.File, len(files))
	for i, f := range files {
		out[i] = &v1.File{Path: f.Path, Content: f.Content}
	}
	return out
}

// buildFromProto converts build metadata.
func buildFromProto(b *v1.BuildInfo) registry.BuildInfo {
	return registry.BuildInfo{Commit: b.GetGitCommit(), Branch: b.GetGitBranch(), CIURL: b.GetCiUrl(), Labels: b.GetLabels()}
}

// versionToProto converts a version.
func versionToProto(v registry.Version) *v1.Version {
	return &v1.Version{
		Module:   v.Module,
		Number:   v.Number,
		Digest:   v.Digest,
		PushedBy: v.Principal,
		PushedAt: timestamppb.New(v.CreatedAt),
		Build: &v1.BuildInfo{
			GitCommit: v.Build.Commit,
			GitBranch: v.Build.Branch,
			CiUrl:     v.Build.CIURL,
			Labels:    v.Build.Labels,
		},
		Deleted:       deletionToProto(v.Deleted),
		PromotedFrom:  v.PromotedFrom,
		PromoteReason: v.PromoteReason,
	}
}

// moduleToProto converts a module.
func moduleToProto(m registry.Module) *v1.Module {
	return &v1.Module{
		Name:          m.Name,
		LatestVersion: m.LatestVersion,
		CreatedAt:     timestamppb.New(m.CreatedAt),
		UpdatedAt:     timestamppb.New(m.UpdatedAt),
		Deprecation:   deprecationToProto(m.Deprecation),
	}
}

// kindToProto and kindFromProto convert subject kinds.
var kindToProto = map[registry.SubjectKind]v1.SubjectKind{
	registry.KindPBTable: v1.SubjectKind_SUBJECT_KIND_PBTABLE,
	registry.KindEvent:   v1.SubjectKind_SUBJECT_KIND_EVENT,
	registry.KindLog:     v1.SubjectKind_SUBJECT_KIND_LOG,
}

// levelToProto converts a level; "" is UNSPECIFIED.
func levelToProto(l registry.Level) v1.CompatibilityLevel {
	if l == "" {
		return v1.CompatibilityLevel_COMPATIBILITY_LEVEL_UNSPECIFIED
	}
	return v1.CompatibilityLevel(v1.CompatibilityLevel_value["COMPATIBILITY_LEVEL_"+string(l)])
}

// levelFromProto converts a level; UNSPECIFIED is "" (the kind's default).
func levelFromProto(l v1.CompatibilityLevel) registry.Level {
	if l == v1.CompatibilityLevel_COMPATIBILITY_LEVEL_UNSPECIFIED {
		return ""
	}
	name := v1.CompatibilityLevel_name[int32(l)]
	if name == "" {
		return registry.Level(l.String())
	}
	return registry.Level(name[len("COMPATIBILITY_LEVEL_"):])
}

// compatibilityToProto converts a compatibility configuration.
func compatibilityToProto(c registry.Compatibility) *v1.Compatibility {
	return &v1.Compatibility{Level: levelToProto(c.Level), Use: c.Use, Except: c.Except}
}

// subjectToProto converts a subject; the configuration in force is
// completed with its kind's defaults.
func subjectToProto(s registry.Subject) *v1.Subject {
	eff := s.Effective()
	def := registry.KindDefaults[s.Kind]
	if eff.Level == "" {
		eff.Level = def.Level
	}
	if len(eff.Use) == 0 {
		eff.Use = def.Use
	}
	out := &v1.Subject{
		Module:        s.Module,
		Message:       s.Name,
		Kind:          kindToProto[s.Kind],
		PrimaryKey:    s.PrimaryKey,
		Compatibility: compatibilityToProto(eff),
		Declared:      compatibilityToProto(s.Pushed),
		FirstVersion:  s.FirstVersion,
		LastVersion:   s.LastVersion,
		Retired:       retirementToProto(s.Retired),
	}
	if s.Override != nil {
		out.Override = compatibilityToProto(s.Override.Compatibility)
		out.OverrideBy = s.Override.Principal
		out.OverrideAt = timestamppb.New(s.Override.SetAt)
	}
	return out
}

// directionToProto converts the directions a finding breaks.
func directionToProto(d compat.Direction) v1.Direction {
	switch d {
	case compat.Backward:
		return v1.Direction_DIRECTION_BACKWARD
	case compat.Forward:
		return v1.Direction_DIRECTION_FORWARD
	case compat.Both:
		return v1.Direction_DIRECTION_FULL
	}
	return v1.Direction_DIRECTION_UNSPECIFIED
}

// findingToProto converts a finding of a push checked against baseline;
// its message says whom it breaks, in versions.
func findingToProto(f registry.Finding, baseline int64) *v1.Finding {
	sev := v1.Severity_SEVERITY_ERROR
	if f.Severity == compat.SeverityWarning {
		sev = v1.Severity_SEVERITY_WARNING
	}
	return &v1.Finding{
		Rule:        f.Rule,
		Path:        f.Location.Path,
		StartLine:   int32(f.Location.StartLine),
		StartColumn: int32(f.Location.StartColumn),
		EndLine:     int32(f.Location.EndLine),
		EndColumn:   int32(f.Location.EndColumn),
		Message:     f.Explain(baseline),
		Element:     f.Element,
		Direction:   directionToProto(f.Directions),
		Severity:    sev,
		Subject:     f.Subject,
		Level:       string(f.Level),
		ExceptionId: f.ExceptionID,
		Witness:     witnessToProto(f.Witness),
	}
}

// witnessToProto converts a finding's witness; nil when it has none.
func witnessToProto(e *witness.Explanation) *v1.Witness {
	if e == nil {
		return nil
	}
	w := e.Witness
	if w == nil {
		return &v1.Witness{None: e.None}
	}
	return &v1.Witness{
		Layer: w.Layer.String(), Direction: directionToProto(w.Direction), Message: string(w.Message),
		Written: w.Written, WrittenHex: w.WrittenHex, Read: w.Read, Kind: string(w.Kind), Difference: w.Difference,
	}
}

// findingsToProto converts findings of a push checked against baseline.
func findingsToProto(fs []registry.Finding, baseline int64) []*v1.Finding {
	out := make([]*v1.Finding, len(fs))
	for i, f := range fs {
		out[i] = findingToProto(f, baseline)
	}
	return out
}

// exceptionToProto converts an exception.
func exceptionToProto(e registry.Exception) *v1.Exception {
	return &v1.Exception{
		Id:            e.ID,
		Module:        e.Module,
		Digest:        e.Digest,
		Rule:          e.Rule,
		Element:       e.Element,
		Reason:        e.Reason,
		ApprovedBy:    e.Principal,
		ApprovedAt:    timestamppb.New(e.CreatedAt),
		UsedByVersion: e.UsedVersion,
	}
}
