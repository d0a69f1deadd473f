package input

import (
	"context"
	"io/fs"

	"github.com/pbregistry/pbregistry/config"
)

// LoadFS loads the tree rooted at "." of fsys as a directory input: its
// pbregistry.yaml, buf.yaml or buf.work.yaml shape the modules, and every
// .proto file under the module roots is compiled. name is how messages name
// the tree (e.g. "push acme/commerce"); file paths in errors are shown as
// they are in fsys. It is how the registry compiles the files of a push.
//
// Each file is checked against the default Limits before it is parsed. The
// compile honours ctx: once ctx is done, no further file is read or
// compiled and LoadFS returns an error wrapping ctx.Err() (test it with
// errors.Is(err, context.DeadlineExceeded)), so a caller bounds the time
// of a compile with context.WithTimeout.
func LoadFS(ctx context.Context, fsys fs.FS, name string) (*Input, error) {
	return LoadFSWithLimits(ctx, fsys, name, Limits{})
}

// LoadFSWithLimits is LoadFS with the given limits; its zero value means
// the defaults.
func LoadFSWithLimits(ctx context.Context, fsys fs.FS, name string, limits Limits) (*Input, error) {
	cfg, err := config.Load(fsys, ".", "")
	if err != nil {
		return nil, err
	}
	l := &loader{ref: Ref{Raw: name, Path: ".", Format: FormatDir}, opts: Options{Limits: limits}}
	in, err := l.loadTree(ctx, fsys, cfg, pathFilter{}, func(p string) string { return joinDisplay("", p) })
	if err != nil {
		return nil, err
	}
	in.Ref = l.ref
	return in, nil
}
