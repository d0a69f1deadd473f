// Package migration loads a backend's versioned schema migrations from an
// embedded file system. Each backend applies them in order, recording each
// in its schema_migrations table.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema change.
type Migration struct {
	// Version is the migration's number, from its file name; versions
	// start at 1 and have no gaps.
	Version int
	// Name is the file name, e.g. "0001_init.sql".
	Name string
	// SQL is the script.
	SQL string
}

// Load reads the migrations of dir in fsys: files named
// "<version>_<description>.sql", e.g. "0001_init.sql", ordered by version.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("load migrations: file %s is not named <version>_<description>.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("load migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("load migrations: expected version %d, found %s", i+1, m.Name)
		}
	}
	return out, nil
}

// Latest returns the version of the last migration, 0 if there is none.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
