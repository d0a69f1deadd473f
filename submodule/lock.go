package submodule

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lock is pbregistry.lock, the manifest of a publication: what the
// stack's tree holds, module by module. The publisher reads the previous
// publication's lock to know the version of every other module.
type Lock struct {
	// Registry is the registry's public URL.
	Registry string `yaml:"registry"`
	// Stack is the stack's name.
	Stack string `yaml:"stack"`
	// Modules are the modules published, by name.
	Modules []LockModule `yaml:"modules"`
}

// LockModule is one module of a Lock.
type LockModule struct {
	// Name is the module's name.
	Name string `yaml:"name"`
	// Version is the module's version in the tree.
	Version int64 `yaml:"version"`
	// Digest is that version's digest.
	Digest string `yaml:"digest"`
	// Subjects are the module's subjects at that version, by name.
	Subjects []LockSubject `yaml:"subjects,omitempty"`
}

// LockSubject is one subject of a LockModule.
type LockSubject struct {
	// Name is the subject's fully-qualified message name.
	Name string `yaml:"name"`
	// Kind is pbtable, event or log.
	Kind string `yaml:"kind"`
	// Version is the module version that first declared the subject.
	Version int64 `yaml:"version"`
}

const lockHeader = "# pbregistry.lock: what this repository holds, written by the registry on every publication. Do not edit.\n"

// Marshal returns the lock's file content.
func (l *Lock) Marshal() []byte {
	slices.SortFunc(l.Modules, func(a, b LockModule) int { return strings.Compare(a.Name, b.Name) })
	var buf bytes.Buffer
	buf.WriteString(lockHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(l); err != nil {
		// A struct of strings, integers and slices always encodes.
		panic(fmt.Sprintf("encode %s: %v", LockFile, err))
	}
	return buf.Bytes()
}

// ParseLock parses a pbregistry.lock.
func ParseLock(data []byte) (*Lock, error) {
	var l Lock
	if err := yaml.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("parse %s: %w", LockFile, err)
	}
	return &l, nil
}

// Module returns the lock's entry for module, or nil.
func (l *Lock) Module(name string) *LockModule {
	for i := range l.Modules {
		if l.Modules[i].Name == name {
			return &l.Modules[i]
		}
	}
	return nil
}
