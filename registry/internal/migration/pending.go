package migration

import (
	"fmt"
	"io/fs"
)

// MustLoad is Load for a store's embedded migrations: a malformed file
// name is a build mistake, so it panics.
func MustLoad(fsys fs.FS, dir string) []Migration {
	ms, err := Load(fsys, dir)
	if err != nil {
		panic(err)
	}
	return ms
}

// Pending returns the migrations of ms a database at schema version
// current has yet to apply, or an error when the database is newer than
// ms (written by a newer binary).
func Pending(ms []Migration, current int) ([]Migration, error) {
	if latest := Latest(ms); current > latest {
		return nil, fmt.Errorf("the database's schema version %d is newer than this binary's %d: upgrade pbregistry", current, latest)
	}
	return ms[current:], nil
}
