package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
	"github.com/pbregistry/pbregistry/report"
)

const pbtableSynopsis = `pbtable ddl <input> [--subject <message>] [flags]
       pbcheck pbtable migrate <from-input> <to-input> [--subject <message>] [--no-rewrite] [flags]

Writes the Postgres DDL of a pbtable — the message as proto-JSON in a jsonb
column, its key and top-level scalar fields as stored generated columns, a
validation trigger and a writable view — to standard output. "migrate"
writes the script from the version of <from-input> (the version the table's
columns were made for) to that of <to-input>. Inputs are the same as for
pbcheck breaking. The subject's primary_key comes from pbregistry.yaml, or
from --primary-key. The same inputs always give the same bytes.`

// pbtableFlags are the flags of pbcheck pbtable.
type pbtableFlags struct {
	subject, schema, table, view, row, config, from, to string
	key, history                                        stringList
	noRewrite                                           bool
}

func runPbtable(ctx context.Context, e *env, args []string) (int, error) {
	fs := newFlagSet("pbtable", pbtableSynopsis, e.stderr)
	var f pbtableFlags
	fs.StringVar(&f.subject, "subject", "", "the pbtable's message, fully qualified (default: the input's only pbtable subject)")
	fs.Var(&f.key, "primary-key", "the primary key's fields, e.g. tenant_id,key.id (default: the subject's primary_key)")
	fs.StringVar(&f.schema, "schema", "", "qualify every object with this schema (default: unqualified, resolved by search_path)")
	fs.StringVar(&f.table, "table", "", "the table's name (default: the message's name in snake_case)")
	fs.StringVar(&f.view, "view", "", "the view's name (default: the table's name + _view)")
	fs.StringVar(&f.row, "row-column", "", `the jsonb column holding the row (default "row")`)
	fs.StringVar(&f.config, "config", "", "configuration file or inline YAML/JSON (pbregistry.yaml)")
	fs.StringVar(&f.from, "from", "", "migrate: the version the table has (instead of <from-input>)")
	fs.StringVar(&f.to, "to", "", "migrate: the version to migrate to (instead of <to-input>)")
	fs.Var(&f.history, "history", "migrate: an earlier version still in the table's rows, oldest first (repeatable)")
	fs.BoolVar(&f.noRewrite, "no-rewrite", false, "migrate: add new fields as view expressions with indexes built concurrently, without rewriting the table")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError, err
	}
	if len(positional) == 0 {
		return exitError, usagef("want ddl or migrate")
	}
	opts := pgddl.Options{Schema: f.schema, Table: f.table, View: f.view, RowColumn: f.row, NoRewrite: f.noRewrite}
	var script *pgddl.Script
	switch positional[0] {
	case "ddl":
		if f.noRewrite || f.from != "" || f.to != "" || len(f.history) > 0 {
			return exitError, usagef("--no-rewrite, --from, --to and --history are for migrate")
		}
		ref, err := optionalArg(positional[1:], "input")
		if err != nil {
			return exitError, err
		}
		v, err := loadPbtable(ctx, e, ref, &f)
		if err != nil {
			return exitError, err
		}
		t, err := lakehouse.NewTable(v.msg, nil, v.key)
		if err != nil {
			return exitError, fmt.Errorf("pbtable %s: %w", ref, err)
		}
		if script, err = pgddl.Create(t, opts); err != nil {
			return exitError, err
		}
	case "migrate":
		refs := positional[1:]
		if f.from != "" || f.to != "" {
			if f.from == "" || f.to == "" || len(refs) > 0 {
				return exitError, usagef("give the versions as <from-input> <to-input>, or as --from and --to, not both")
			}
			refs = []string{f.from, f.to}
		}
		if len(refs) != 2 {
			return exitError, usagef("migrate wants two inputs, <from-input> <to-input>, got %d", len(refs))
		}
		var history []protoreflect.MessageDescriptor
		for _, ref := range f.history {
			v, err := loadPbtable(ctx, e, ref, &f)
			if err != nil {
				return exitError, err
			}
			history = append(history, v.msg)
		}
		from, err := loadPbtable(ctx, e, refs[0], &f)
		if err != nil {
			return exitError, err
		}
		to, err := loadPbtable(ctx, e, refs[1], &f)
		if err != nil {
			return exitError, err
		}
		fromT, err := lakehouse.NewTable(from.msg, history, to.key)
		if err != nil {
			return exitError, fmt.Errorf("pbtable %s: %w", refs[0], err)
		}
		toT, err := lakehouse.NewTable(to.msg, append(history, from.msg), to.key)
		if err != nil {
			return exitError, fmt.Errorf("pbtable %s: %w", refs[1], err)
		}
		if script, err = pgddl.Migrate(fromT, toT, opts); err != nil {
			return exitError, err
		}
	default:
		return exitError, usagef("unknown pbtable command %q: want ddl or migrate", positional[0])
	}
	fmt.Fprint(e.stdout, script.String())
	return exitOK, nil
}

// pbtableVersion is one version of a pbtable subject.
type pbtableVersion struct {
	msg protoreflect.MessageDescriptor
	key []string
}

// loadPbtable loads ref and finds the subject's message and primary key,
// choosing the subject when f names none and the input has one pbtable.
func loadPbtable(ctx context.Context, e *env, ref string, f *pbtableFlags) (*pbtableVersion, error) {
	in, err := input.Load(ctx, ref, input.Options{Config: f.config, Stdin: e.stdin})
	if err != nil {
		var compileErr *input.CompileError
		if errors.As(err, &compileErr) {
			printDiagnostics(e, report.FormatText, compileErr)
			return nil, fmt.Errorf("pbtable: %s does not compile", ref)
		}
		return nil, err
	}
	var subjects []config.Subject
	if in.Config != nil {
		subjects = in.Config.Subjects
	}
	if f.subject == "" {
		var tables []string
		for _, s := range subjects {
			if s.Kind == config.KindPBTable {
				tables = append(tables, s.Message)
			}
		}
		if len(tables) != 1 {
			return nil, usagef("%s has %d pbtable subjects (%s): name one with --subject", ref, len(tables), strings.Join(tables, ", "))
		}
		f.subject = tables[0]
	}
	v := &pbtableVersion{key: slices.Clone(f.key)}
	for _, s := range subjects {
		if s.Message != f.subject {
			continue
		}
		if s.Kind != config.KindPBTable {
			return nil, fmt.Errorf("pbtable: subject %s of %s has kind %s, not pbtable: only pbtables have tables", s.Message, ref, s.Kind)
		}
		if len(v.key) == 0 {
			v.key = s.PrimaryKey
		}
	}
	if len(v.key) == 0 {
		return nil, fmt.Errorf("pbtable: %s has no primary key in %s: set primary_key on its subject in pbregistry.yaml, or pass --primary-key", f.subject, ref)
	}
	v.msg = image.NewIndex(in.Image).Message(protoreflect.FullName(strings.TrimPrefix(f.subject, ".")))
	if v.msg == nil {
		return nil, fmt.Errorf("pbtable: message %s is not in %s: check --subject (a fully-qualified message name)", f.subject, ref)
	}
	return v, nil
}
