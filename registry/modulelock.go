package registry

import (
	"context"
	"sync"
)

// moduleLocks serializes the pushes to one module within one process: a
// push holds its module's lock from its check to its commit, so that two
// pushes of one registryd never race each other to the same baseline.
// Waiting honours the push's context. Locks of modules nobody holds are
// forgotten.
type moduleLocks struct {
	mu    sync.Mutex
	locks map[string]*moduleLock
}

// moduleLock is one module's lock: a one-slot channel, held while full,
// and the number of pushes holding or awaiting it.
type moduleLock struct {
	slot  chan struct{}
	users int
}

func newModuleLocks() *moduleLocks {
	return &moduleLocks{locks: make(map[string]*moduleLock)}
}

// lock waits for module's lock and returns the function that releases it,
// or ctx's error if ctx is done first.
func (m *moduleLocks) lock(ctx context.Context, module string) (unlock func(), err error) {
	m.mu.Lock()
	l := m.locks[module]
	if l == nil {
		l = &moduleLock{slot: make(chan struct{}, 1)}
		m.locks[module] = l
	}
	l.users++
	m.mu.Unlock()

	select {
	case l.slot <- struct{}{}:
		return func() {
			<-l.slot
			m.release(module, l)
		}, nil
	case <-ctx.Done():
		m.release(module, l)
		return nil, ctx.Err()
	}
}

// release forgets l when nobody holds or awaits it any more.
func (m *moduleLocks) release(module string, l *moduleLock) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l.users--
	if l.users == 0 {
		delete(m.locks, module)
	}
}
