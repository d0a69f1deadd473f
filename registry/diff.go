package registry

import (
	"context"
	"fmt"

	"github.com/pbregistry/pbregistry/image"
)

// Diff returns what version to of module breaks relative to version from
// (to may be LatestVersion), with the rules of the module and of its
// subjects as the store holds them, every subject checked at FULL: both
// directions, whatever its level, so that the diff shows every reader it
// could break. It returns the two images too, for changelogs.
func (s *Service) Diff(ctx context.Context, module string, from, to int64) (findings []Finding, prev, curr *image.Image, err error) {
	if err := ValidateModuleName(module); err != nil {
		return nil, nil, nil, err
	}
	if from <= 0 {
		return nil, nil, nil, invalid("from", "version %d is not a version number: versions start at 1", from)
	}
	if prev, err = s.loadImage(ctx, module, from); err != nil {
		return nil, nil, nil, err
	}
	if curr, err = s.loadImage(ctx, module, to); err != nil {
		return nil, nil, nil, err
	}
	cfg, err := s.versionConfig(ctx, module, to)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diff %s: read the configuration of version %d: %w", module, to, err)
	}
	stored, err := s.store.ListSubjects(ctx, module)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diff %s: %w", module, err)
	}
	subjects, _ := effectiveSubjects(nil, stored)
	res, err := CheckImages(ctx, prev, curr, CheckSpec{
		Module: cfg.Modules[0].Breaking.CompatConfig(), Subjects: subjects, AtFull: true,
		MaxScopeEntries: s.limits.MaxScopeEntries, MaxSubjectFindings: s.limits.MaxSubjectFindings,
	}, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diff %s: %w", module, err)
	}
	findings = res.Findings
	displayPaths(findings, curr)
	sortFindings(findings)
	attachWitnesses(prev, curr, findings, false)
	return findings, prev, curr, nil
}

// loadImage reads and decodes the descriptor set of a version.
func (s *Service) loadImage(ctx context.Context, module string, number int64) (*image.Image, error) {
	data, err := s.store.GetDescriptorSet(ctx, module, number)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", module, err)
	}
	img, err := image.DecodeWithLimits(data, image.StoredLimits)
	if err != nil {
		return nil, fmt.Errorf("diff %s: decode version %d: %w", module, number, err)
	}
	return img, nil
}
