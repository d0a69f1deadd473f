package dbt

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/lakehouse"
)

// DefaultNestedDepth is how many levels of nested messages are flattened
// when neither the configuration nor the caller says.
const DefaultNestedDepth = 1

// ModuleOptions tune [NewProject].
type ModuleOptions struct {
	// Source overrides the configuration's source name.
	Source string
	// Version names the module version in descriptions and meta.
	Version string
	// NestedDepth, when not nil, overrides the configuration's
	// nested_depth.
	NestedDepth *int
	// Required lists, by subject message, the fields the policies in
	// force require (the caller computes them: policies.RequiredFields).
	Required map[string][]Required
}

// NewProject returns the project of a module version: every subject of
// cfg (pbtables, events and logs) as a model, its message taken from
// latest and its history from the images of earlier versions, oldest first
// (a version without the message is skipped). Landing tables, source,
// database, schema and nesting come from cfg's lakehouse: section.
func NewProject(cfg *config.Config, latest *image.Index, history []*image.Index, dialect Dialect, opts ModuleOptions) (*Project, error) {
	hist := make([]Messages, len(history))
	for i, h := range history {
		hist[i] = h
	}
	return NewProjectFrom(cfg, latest, hist, dialect, opts)
}

// Messages finds the messages of a module version by full name;
// *image.Index is one. A history whose unchanged messages are the same
// descriptors in every version (as the registry's history decoder gives
// them) is merged once per change, not once per version.
type Messages interface {
	// Message returns the message named name, or nil.
	Message(name protoreflect.FullName) protoreflect.MessageDescriptor
}

// NewProjectFrom is [NewProject] over any [Messages] of the versions.
func NewProjectFrom(cfg *config.Config, latest Messages, history []Messages, dialect Dialect, opts ModuleOptions) (*Project, error) {
	if cfg == nil || len(cfg.Subjects) == 0 {
		return nil, fmt.Errorf("dbt: the module has no subjects: list the messages whose rows land in the warehouse under subjects: in pbregistry.yaml")
	}
	lh := cfg.Lakehouse
	p := &Project{Module: cfg.Name, Version: opts.Version, Dialect: dialect, Source: lh.Source, Database: lh.Database, Schema: lh.Schema}
	if opts.Source != "" {
		p.Source = opts.Source
	}
	if p.Source == "" {
		p.Source = DefaultSource(p.Module)
	}
	if p.Source == "" {
		return nil, fmt.Errorf("dbt: the module has no name: set module: in pbregistry.yaml, or give a source name")
	}
	depth := DefaultNestedDepth
	if lh.NestedDepthSet {
		depth = lh.NestedDepth
	}
	if opts.NestedDepth != nil {
		depth = *opts.NestedDepth
	}
	for _, s := range cfg.Subjects {
		name := protoreflect.FullName(s.Message)
		msg := latest.Message(name)
		if msg == nil {
			return nil, fmt.Errorf("dbt: subject %s (%s) is not a message of the module: fix subjects: in pbregistry.yaml", s.Message, s.Pos)
		}
		var hist []protoreflect.MessageDescriptor
		for _, h := range history {
			if m := h.Message(name); m != nil {
				hist = append(hist, m)
			}
		}
		t, err := lakehouse.NewTableWith(msg, hist, s.PrimaryKey, lakehouse.Options{NestedDepth: depth})
		if err != nil {
			return nil, fmt.Errorf("dbt: %w", err)
		}
		land := lh.Landing(s.Message)
		p.Models = append(p.Models, Model{
			Table: t, Kind: string(s.Kind),
			Description: strings.TrimSpace(msg.ParentFile().SourceLocations().ByDescriptor(msg).LeadingComments),
			Landing:     Landing{Table: land.Table, JSONColumn: land.JSONColumn, LoadedAtColumn: land.LoadedAtColumn},
			Required:    required(opts.Required[s.Message], lh.NotNull[s.Message]),
		})
	}
	return p, nil
}

// required returns the fields policies require, then those pbregistry.yaml's
// lakehouse.tables not_null: lists, which must exist.
func required(byPolicy []Required, notNull []string) []Required {
	out := slices.Clone(byPolicy)
	for _, f := range notNull {
		out = append(out, Required{Field: f, Why: "pbregistry.yaml lakehouse.tables not_null", Strict: true})
	}
	return out
}
