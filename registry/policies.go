package registry

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/policies"
)

// checkPolicies evaluates the policies in force for a push — built-in,
// server-wide and the module's pbregistry.yaml policies: — on the pushed
// schema and, when there is a baseline, on its changes. Error-severity
// findings block the push exactly like incompatibilities. ctx bounds the
// evaluation: when it is done, evaluation stops.
func (s *Service) checkPolicies(ctx context.Context, p *prepared, baseline *image.Image, subjects []SubjectSpec) ([]Finding, error) {
	set, err := s.policySet(p)
	if err != nil {
		return nil, err
	}
	c := policies.Context{Module: p.module, Principal: p.req.Principal}
	for _, subj := range subjects {
		c.Subjects = append(c.Subjects, policies.Subject{
			Name: subj.Name, Kind: string(subj.Kind), PrimaryKey: subj.PrimaryKey, Compatibility: string(subj.Compatibility.Level),
		})
	}
	// Lint and Changes share one budget: the push's.
	c.Budget = set.NewBudget()
	lint, err := set.Lint(ctx, p.image, c)
	if err != nil {
		return nil, policyError(p.module, err)
	}
	var out []Finding
	for _, f := range lint {
		out = append(out, Finding{Finding: f, Policy: true})
	}
	changes, err := set.Changes(ctx, baseline, p.image, c)
	if err != nil {
		return nil, policyError(p.module, err)
	}
	for _, f := range changes {
		out = append(out, Finding{Finding: f, Policy: true})
	}
	return out, nil
}

// policyError is the error of a push whose policies could not be
// evaluated: a policy exceeding a cost limit makes the push invalid (an
// *InvalidArgumentError naming the policy, the element and the limit); a
// done context or another failure is wrapped as it is.
func policyError(module string, err error) error {
	if errors.Is(err, policies.ErrLimit) {
		return invalid("policies", "%v", err)
	}
	return fmt.Errorf("check push %s: %w", module, err)
}

// policySet compiles the policies of a push, or returns them from the
// cache: pushes of one module repeat the same configuration.
func (s *Service) policySet(p *prepared) (*policies.Set, error) {
	key := sha256.Sum256(p.config)
	if set := s.policySets.get(key); set != nil {
		return set, nil
	}
	var module []policies.Spec
	if p.cfg != nil && p.cfg.Policies != nil {
		specs, err := policies.Parse(p.cfg.PoliciesFile, p.cfg.Policies)
		if err != nil {
			return nil, invalid("files", "%v", err)
		}
		module = specs
	}
	set, err := policies.Compile(policies.Sources{Server: s.serverPolicies, Module: module, Limits: s.policyLimits})
	if err != nil {
		return nil, invalid("files", "%v", err)
	}
	s.policySets.put(key, set)
	return set, nil
}

// policyCache holds compiled policy sets by configuration digest, up to a
// bound, forgetting the oldest first.
type policyCache struct {
	mu    sync.Mutex
	sets  map[[32]byte]*policies.Set
	order [][32]byte
}

const policyCacheSize = 128

func newPolicyCache() *policyCache {
	return &policyCache{sets: make(map[[32]byte]*policies.Set)}
}

func (c *policyCache) get(key [32]byte) *policies.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets[key]
}

func (c *policyCache) put(key [32]byte, set *policies.Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sets[key]; ok {
		return
	}
	if len(c.order) >= policyCacheSize {
		delete(c.sets, c.order[0])
		c.order = c.order[1:]
	}
	c.sets[key] = set
	c.order = append(c.order, key)
}
