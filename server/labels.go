package server

import (
	"context"
	"sync"
	"time"

	"github.com/pbregistry/pbregistry/compat"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
)

// moduleLookupTimeout bounds asking the store whether a module exists.
const moduleLookupTimeout = 2 * time.Second

// labelSets are the bounded sets metric label values come from; a value
// outside its set is OtherLabel.
type labelSets struct {
	rules      map[string]bool
	procedures map[string]bool
	store      registry.Store

	mu      sync.Mutex
	modules map[string]bool // modules known to exist, at most MaxSeriesPerMetric
}

// newLabelSets returns the label sets of a server over store with the
// server-wide policies serverPolicies.
func newLabelSets(store registry.Store, serverPolicies []policies.Spec) *labelSets {
	l := &labelSets{rules: map[string]bool{}, procedures: map[string]bool{}, store: store, modules: map[string]bool{}}
	for _, v := range []string{"v1beta1", "v1", "v2"} {
		for _, r := range compat.Rules(v) {
			l.rules[r.ID] = true
		}
	}
	for _, r := range registry.Rules() {
		l.rules[r] = true
	}
	for _, specs := range [][]policies.Spec{policies.Builtins(), serverPolicies} {
		for _, p := range specs {
			l.rules[p.Name] = true
		}
	}
	methods := v1.File_pbregistry_v1_registry_proto.Services().ByName("RegistryService").Methods()
	for i := range methods.Len() {
		l.procedures["/"+pbregistryv1connect.RegistryServiceName+"/"+string(methods.Get(i).Name())] = true
	}
	return l
}

// rule returns rule if it is in the catalog, the registry's or a
// built-in or server-wide policy, else OtherLabel.
func (l *labelSets) rule(rule string) string {
	if l.rules[rule] {
		return rule
	}
	return OtherLabel
}

// procedure returns proc if it is an API procedure, else OtherLabel.
func (l *labelSets) procedure(proc string) string {
	if l.procedures[proc] {
		return proc
	}
	return OtherLabel
}

// addModule records that module exists (a version of it was created).
func (l *labelSets) addModule(module string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.modules) < MaxSeriesPerMetric {
		l.modules[module] = true
	}
}

// module returns module if it exists, else OtherLabel. A module not seen
// to exist is looked up in the store.
func (l *labelSets) module(module string) string {
	l.mu.Lock()
	known := l.modules[module]
	l.mu.Unlock()
	if known {
		return module
	}
	if module == "" || l.store == nil {
		return OtherLabel
	}
	ctx, cancel := context.WithTimeout(context.Background(), moduleLookupTimeout)
	defer cancel()
	if _, err := l.store.GetModule(ctx, module); err != nil {
		return OtherLabel
	}
	l.addModule(module)
	return module
}
