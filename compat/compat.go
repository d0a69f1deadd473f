// Package compat is pbregistry's compatibility engine: two images in,
// findings out. It performs no I/O.
//
// A Check runs in four stages:
//
//  1. resolve: the Config's use/except lists are expanded against the rule
//     catalog of its configuration version (buf's rule IDs and categories,
//     plus pbregistry's LOSSLESS categories);
//  2. index: each image is indexed once — messages, enums, services and
//     extensions by full name, packages by name;
//  3. pair: every element of the previous image is paired with the
//     element of the current image that has the same identity (files by
//     path, types by full name, fields and enum values by number, methods
//     by name), and each selected rule runs on the pairs of its kind;
//  4. filter: findings located in imports (when excluded), under ignored paths, in unstable
//     packages (when asked) or not breaking the Config's Level are dropped,
//     and the rest are sorted.
//
// Every rule of buf's breaking catalog is implemented with buf's semantics
// and locations, so a finding has the same path, line, column and rule ID
// as buf's. Rules also declare the directions they break (see Direction):
// a BACKWARD check keeps only findings that break readers of old data on the
// new schema, a FORWARD check only those that break readers on the old
// schema of new data; FULL keeps every finding, as buf does.
package compat

import (
	"fmt"
	"sync"

	"github.com/pbregistry/pbregistry/image"
)

// Check compares current against previous with the rules cfg selects and
// returns the findings, sorted with Compare. The error is non-nil only for
// an invalid Config (e.g. an unknown rule ID).
func Check(previous, current *image.Image, cfg Config) ([]Finding, error) {
	sel, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Level == LevelNone {
		return nil, nil
	}
	var prev, curr *schema
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		prev = newSchema(previous)
	}()
	curr = newSchema(current)
	wg.Wait()

	p := &pass{prev: prev, curr: curr, sel: sel}
	p.run()
	return Sort(p.findings), nil
}

// MustRule returns the description of rule id, read with the configuration
// version the rule exists in (v2 when it exists in both). It panics if id is
// unknown; it is meant for tests and documentation generators.
func MustRule(id string) RuleInfo {
	r, ok := ruleByID[id]
	if !ok {
		panic(fmt.Sprintf("compat: unknown rule %q", id))
	}
	v := "v2"
	if r.onlyV1 {
		v = "v1"
	}
	return r.info(v)
}
