// Package cel is the registry's policy stage built on package policies,
// whose rules are CEL expressions: a registry.PolicyEngine that evaluates
// the built-in, server-wide and module policies of a push, so that the
// core registry package links no expression language. Compose it into a
// service with registry.ServiceOptions.Policies.
//
// An Engine compiles the policies of each module configuration once and
// keeps the compiled sets of the last 128 configurations: pushes of one
// module repeat the same configuration.
package cel

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
)

// Engine evaluates policies for the registry. It is safe for concurrent
// use.
type Engine struct {
	// server are enforced on every module, which cannot change them.
	server []policies.Spec
	limits policies.Limits
	sets   *setCache
}

// NewEngine returns an Engine enforcing the server-wide policies server
// (registryd's configuration) on top of the built-in ones, bounded by
// limits (each zero field means policies.DefaultLimits' value).
func NewEngine(server []policies.Spec, limits policies.Limits) *Engine {
	return &Engine{server: server, limits: limits, sets: newSetCache()}
}

// Settings implements registry.PolicyEngine: the built-in policies as cfg's
// policies: list overrides them, then the module's own.
func (e *Engine) Settings(cfg *config.Config) ([]registry.PolicySetting, error) {
	return Settings(cfg)
}

// Settings returns how cfg (nil: no pbregistry.yaml) sets the policies a
// module may change: the built-in ones, as its policies: list overrides
// them by name, then its own. pbcheck uses it to govern configuration as a
// push does.
func Settings(cfg *config.Config) ([]registry.PolicySetting, error) {
	var specs []policies.Spec
	if cfg != nil && cfg.Policies != nil {
		var err error
		if specs, err = policies.Parse(cfg.PoliciesFile, cfg.Policies); err != nil {
			return nil, err
		}
	}
	builtins := policies.Builtins()
	out := make([]registry.PolicySetting, 0, len(builtins)+len(specs))
	index := make(map[string]int, len(builtins)+len(specs))
	for _, b := range builtins {
		index[b.Name] = len(out)
		out = append(out, registry.PolicySetting{Name: b.Name, Disabled: b.Disabled, Warning: b.Severity == "warning"})
	}
	for _, s := range specs {
		i, ok := index[s.Name]
		if !ok {
			i = len(out)
			index[s.Name] = i
			out = append(out, registry.PolicySetting{Name: s.Name})
		}
		out[i].Disabled = s.Disabled
		switch s.Severity {
		case "warning":
			out[i].Warning = true
		case "error":
			out[i].Warning = false
		}
	}
	return out, nil
}

// Evaluate implements registry.PolicyEngine. Linting and change policies
// share one budget: the push's.
func (e *Engine) Evaluate(ctx context.Context, ev registry.PolicyEvaluation) ([]compat.Finding, error) {
	set, err := e.set(ev)
	if err != nil {
		return nil, err
	}
	c := policies.Context{Module: ev.Module, Principal: ev.Principal}
	for _, subj := range ev.Subjects {
		c.Subjects = append(c.Subjects, policies.Subject{
			Name: subj.Name, Kind: string(subj.Kind), PrimaryKey: subj.PrimaryKey, Compatibility: string(subj.Compatibility.Level),
		})
	}
	c.Budget = set.NewBudget()
	lint, err := set.Lint(ctx, ev.Image, c)
	if err != nil {
		return nil, evalError(err)
	}
	changes, err := set.Changes(ctx, ev.Baseline, ev.Image, c)
	if err != nil {
		return nil, evalError(err)
	}
	return append(lint, changes...), nil
}

// evalError is the error of policies that could not be evaluated: a
// policy exceeding a cost limit makes the push invalid (naming the policy,
// the element and the limit); another failure is returned as it is.
func evalError(err error) error {
	if errors.Is(err, policies.ErrLimit) {
		return &registry.InvalidArgumentError{Field: "policies", Problem: err.Error()}
	}
	return err
}

// set compiles the policies of ev's configuration, or returns them from
// the cache.
func (e *Engine) set(ev registry.PolicyEvaluation) (*policies.Set, error) {
	key := sha256.Sum256(ev.ConfigBytes)
	if set := e.sets.get(key); set != nil {
		return set, nil
	}
	var module []policies.Spec
	if ev.Config != nil && ev.Config.Policies != nil {
		specs, err := policies.Parse(ev.Config.PoliciesFile, ev.Config.Policies)
		if err != nil {
			return nil, &registry.InvalidArgumentError{Field: "files", Problem: err.Error()}
		}
		module = specs
	}
	set, err := policies.Compile(policies.Sources{Server: e.server, Module: module, Limits: e.limits})
	if err != nil {
		return nil, &registry.InvalidArgumentError{Field: "files", Problem: fmt.Sprint(err)}
	}
	e.sets.put(key, set)
	return set, nil
}

// setCache holds compiled policy sets by configuration digest, up to a
// bound, forgetting the oldest first.
type setCache struct {
	mu    sync.Mutex
	sets  map[[32]byte]*policies.Set
	order [][32]byte
}

const setCacheSize = 128

func newSetCache() *setCache {
	return &setCache{sets: make(map[[32]byte]*policies.Set)}
}

func (c *setCache) get(key [32]byte) *policies.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets[key]
}

func (c *setCache) put(key [32]byte, set *policies.Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sets[key]; ok {
		return
	}
	if len(c.order) >= setCacheSize {
		delete(c.sets, c.order[0])
		c.order = c.order[1:]
	}
	c.sets[key] = set
	c.order = append(c.order, key)
}

var _ registry.PolicyEngine = (*Engine)(nil)
