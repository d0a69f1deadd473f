package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// moduleLocks serializes the pushes to one module within one process: a
// push holds its module's lock from its check to its commit, so that two
// pushes of one registryd never race each other to the same baseline.
// Waiting honours the push's context. Locks of modules nobody holds are
// forgotten.
//
// When the holder finds the module unavailable (ErrUnavailable: another
// process holds its row past the database's lock_timeout, e.g. a stalled
// registryd), the pushes that were already waiting behind it fail with the
// same error as soon as they get the lock, instead of each waiting out the
// lock timeout again in turn: a queue of N pushes behind a stalled peer
// fails in one lock timeout, not N. Pushes that arrive later try again.
type moduleLocks struct {
	mu    sync.Mutex
	locks map[string]*moduleLock
}

// moduleLock is one module's lock: a one-slot channel, held while full,
// and the number of pushes holding or awaiting it.
type moduleLock struct {
	slot  chan struct{}
	users int
	// unavailable counts the holders that found the module unavailable;
	// lastUnavailable is the latest one's error.
	unavailable     uint64
	lastUnavailable error
}

func newModuleLocks() *moduleLocks {
	return &moduleLocks{locks: make(map[string]*moduleLock)}
}

// lock waits for module's lock and returns the function that releases it,
// to be called with the holder's outcome (nil or its error); or ctx's
// error if ctx is done first; or the ErrUnavailable error of a holder
// that released the lock while this push waited.
func (m *moduleLocks) lock(ctx context.Context, module string) (unlock func(outcome error), err error) {
	m.mu.Lock()
	l := m.locks[module]
	if l == nil {
		l = &moduleLock{slot: make(chan struct{}, 1)}
		m.locks[module] = l
	}
	l.users++
	seen := l.unavailable
	m.mu.Unlock()

	select {
	case l.slot <- struct{}{}:
	case <-ctx.Done():
		m.release(module, l)
		return nil, ctx.Err()
	}
	unlock = func(outcome error) {
		if errors.Is(outcome, ErrUnavailable) {
			m.mu.Lock()
			l.unavailable++
			l.lastUnavailable = outcome
			m.mu.Unlock()
		}
		<-l.slot
		m.release(module, l)
	}
	m.mu.Lock()
	failed, last := l.unavailable != seen, l.lastUnavailable
	m.mu.Unlock()
	if failed {
		unlock(nil)
		return nil, fmt.Errorf("a push queued ahead of this one found the module unavailable: %w", last)
	}
	return unlock, nil
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
