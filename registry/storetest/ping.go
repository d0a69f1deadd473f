package storetest

import (
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// testPing: every store is a registry.Pinger, and Ping answers while a
// push of a module is paused inside its transaction, holding the module's
// lock.
func testPing(t *testing.T, s registry.Store) {
	c := ctx(t)
	p, ok := s.(registry.Pinger)
	if !ok {
		t.Fatalf("%T does not implement registry.Pinger: health checks cannot tell a down store from a busy one", s)
	}
	must(t, p.Ping(c))
	paused, resume := make(chan struct{}), make(chan struct{})
	pushed := make(chan error, 1)
	go func() {
		hook := registry.WithCommitHook(c, func(stage string) {
			if stage == "after-module-lock" {
				close(paused)
				<-resume
			}
		})
		_, _, err := s.CommitPush(hook, Push("acme/ping", 0, "a"))
		pushed <- err
	}()
	<-paused
	err := p.Ping(c)
	close(resume)
	if err != nil {
		t.Errorf("Ping while a push holds its module's lock: %v", err)
	}
	must(t, <-pushed)
}
