package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/pbregistry/pbregistry/image"
)

// errNoPolicyEngine is returned by pushes of a Service composed without a
// PolicyEngine: skipping the policies would weaken every module silently.
var errNoPolicyEngine = errors.New("registry: the service has no policy engine (ServiceOptions.Policies): compose it with registry/cel")

// checkPolicies evaluates the policies in force for a push — built-in,
// server-wide and the module's pbregistry.yaml policies: — on the pushed
// schema and, when there is a baseline, on its changes. Error-severity
// findings block the push exactly like incompatibilities. ctx bounds the
// evaluation: when it is done, evaluation stops.
func (s *Service) checkPolicies(ctx context.Context, p *prepared, baseline *image.Image, subjects []SubjectSpec) ([]Finding, error) {
	if s.policies == nil {
		return nil, errNoPolicyEngine
	}
	found, err := s.policies.Evaluate(ctx, PolicyEvaluation{
		Module: p.module, Principal: p.req.Principal, Config: p.cfg, ConfigBytes: p.config,
		Baseline: baseline, Image: p.image, Subjects: subjects,
	})
	if err != nil {
		var invalidErr *InvalidArgumentError
		if errors.As(err, &invalidErr) {
			return nil, err
		}
		return nil, fmt.Errorf("check push %s: %w", p.module, err)
	}
	out := make([]Finding, 0, len(found))
	for _, f := range found {
		out = append(out, Finding{Finding: f, Policy: true})
	}
	return out, nil
}
