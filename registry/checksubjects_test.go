package registry

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
)

// compileImage compiles one .proto file in memory.
func compileImage(t *testing.T, src string) *image.Image {
	t.Helper()
	in, err := input.LoadFS(context.Background(), fstest.MapFS{"a.proto": {Data: []byte(src)}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return in.Image
}

// TestCheckSubjectsMatchesOneCheckPerSubject: running the union of the
// subjects' rules once and keeping each finding for the subjects whose
// rules, level and scope cover it gives exactly the findings of one
// compat.Check per subject with its own configuration — what the check
// did before it was made linear.
func TestCheckSubjectsMatchesOneCheckPerSubject(t *testing.T) {
	prev := compileImage(t, `syntax = "proto3";
package acme.v1;
message Order { string id = 1; int32 count = 2; Line line = 3; Status status = 4; string note = 5; }
message Line { int64 amount = 1; string sku = 2; }
message Event { string event_id = 1; Line line = 2; int32 n = 3; }
message Audit { string who = 1; int64 at = 2; }
message Free { string a = 1; }
enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; STATUS_DONE = 2; }
`)
	curr := compileImage(t, `syntax = "proto3";
package acme.v1;
message Order { string key = 1; int64 count = 2; Line line = 3; Status status = 4; }
message Line { string amount = 1; string stock_unit = 2; }
message Event { string event_id = 1; Line line = 2; int64 n = 3; }
message Audit { string whom = 1; int32 at = 2; }
message Free { int32 a = 1; }
enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; STATUS_CLOSED = 2; }
`)
	subjects := []SubjectSpec{
		{Name: "acme.v1.Audit", Compatibility: Compatibility{Level: LevelBackward, Use: []string{"WIRE_JSON"}}},
		{Name: "acme.v1.Event", Compatibility: Compatibility{Level: LevelForwardTransitive, Use: []string{"WIRE"}}},
		{Name: "acme.v1.Free", Compatibility: Compatibility{Level: LevelNone, Use: []string{"WIRE"}}},
		{Name: "acme.v1.Order", Compatibility: Compatibility{Level: LevelFull, Use: []string{"FILE", "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT"}, Except: []string{"FIELD_SAME_NAME", "WIRE"}}},
		{Name: "acme.v1.Missing", Compatibility: Compatibility{Level: LevelFullTransitive, Use: []string{"WIRE_JSON"}}},
	}
	currNames, prevNames := image.NewIndex(curr), image.NewIndex(prev)
	for _, atFull := range []bool{false, true} {
		t.Run(fmt.Sprintf("atFull=%v", atFull), func(t *testing.T) {
			scopes, err := newSubjectScopes(subjects, currNames, prevNames, newScopeWork(0))
			if err != nil {
				t.Fatal(err)
			}
			got, err := checkSubjects(prev, curr, subjects, scopes, atFull, 0)
			if err != nil {
				t.Fatal(err)
			}
			var want []Finding
			for i, subj := range subjects {
				c := subj.Compatibility.compatConfig()
				level := subj.Compatibility.Level
				if atFull {
					c.Level, level = compat.LevelFull, LevelFull
				}
				if level == LevelNone {
					continue
				}
				fs, err := compat.Check(prev, curr, c)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					if slices.Contains(scopes.ownersOf(f), i) {
						want = append(want, Finding{Finding: f, Subject: subj.Name, Level: level})
					}
				}
			}
			t.Logf("%d findings", len(want))
			if len(want) < 5 {
				t.Fatalf("only %d findings one check per subject: the fixture does not exercise the rules", len(want))
			}
			key := func(f Finding) string {
				return fmt.Sprintf("%s %s %s %s %s %d", f.Subject, f.Level, f.Rule, f.Element, f.Location.Path, f.Location.StartLine) + " " + f.Message
			}
			gotKeys, wantKeys := make([]string, len(got)), make([]string, len(want))
			for i, f := range got {
				gotKeys[i] = key(f)
			}
			for i, f := range want {
				wantKeys[i] = key(f)
			}
			slices.Sort(gotKeys)
			slices.Sort(wantKeys)
			if !slices.Equal(gotKeys, wantKeys) {
				t.Errorf("one check for all subjects:\n%s\n\none check per subject:\n%s", join(gotKeys), join(wantKeys))
			}
			// The bound on findings: exactly as many pass, one fewer is
			// refused with the limit named.
			if _, err := checkSubjects(prev, curr, subjects, scopes, atFull, len(got)); err != nil {
				t.Errorf("%d findings within a bound of %d: %v", len(got), len(got), err)
			}
			if _, err := checkSubjects(prev, curr, subjects, scopes, atFull, len(got)-1); err == nil || !strings.Contains(err.Error(), "limits.max_subject_findings") {
				t.Errorf("%d findings within a bound of %d: %v, want the limit named", len(got), len(got)-1, err)
			}
		})
	}
}

func join(lines []string) string { return "  " + strings.Join(lines, "\n  ") }

// TestScopeBudget: scopes that together exceed Limits.MaxScopeEntries are
// refused with the limit named, before the ledger is computed.
func TestScopeBudget(t *testing.T) {
	img := compileImage(t, `syntax = "proto3";
package acme.v1;
message A { B b = 1; }
message B { C c = 1; }
message C { string s = 1; }
`)
	names := image.NewIndex(img)
	subjects := []SubjectSpec{{Name: "acme.v1.A"}, {Name: "acme.v1.B"}, {Name: "acme.v1.C"}}
	if _, err := newSubjectScopes(subjects, names, image.NewIndex(nil), newScopeWork(6)); err != nil {
		t.Errorf("3+2+1 members within a budget of 6: %v", err)
	}
	_, err := newSubjectScopes(subjects, names, image.NewIndex(nil), newScopeWork(5))
	if err == nil || !strings.Contains(err.Error(), "limits.max_scope_entries") {
		t.Errorf("3+2+1 members within a budget of 5: %v, want the limit named", err)
	}
}

// TestModuleLockHonoursContext: a push waiting for its module's lock gives
// up when its context is done, and locks nobody holds are forgotten.
func TestModuleLockHonoursContext(t *testing.T) {
	m := newModuleLocks()
	unlock, err := m.lock(context.Background(), "acme/a")
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.lock(context.Background(), "acme/b")
	if err != nil {
		t.Fatalf("another module's lock waits: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.lock(ctx, "acme/a"); err != context.Canceled {
		t.Errorf("lock of a held module with a cancelled context = %v, want context.Canceled", err)
	}
	unlock(nil)
	other(nil)
	if n := len(m.locks); n != 0 {
		t.Errorf("%d locks remembered after every lock was released", n)
	}
}

// TestModuleLockSharesUnavailable: pushes queued behind a holder that found
// its module unavailable (a stalled peer holds the row) fail with that
// error as soon as they get the lock, instead of each waiting out the
// database's lock timeout again; a push that arrives afterwards tries
// again, and a holder that failed for another reason passes nothing on.
func TestModuleLockSharesUnavailable(t *testing.T) {
	m := newModuleLocks()
	holder, err := m.lock(context.Background(), "acme/a")
	if err != nil {
		t.Fatal(err)
	}
	const waiters = 5
	errs := make(chan error, waiters)
	for range waiters {
		go func() {
			unlock, err := m.lock(context.Background(), "acme/a")
			if err == nil {
				unlock(nil)
			}
			errs <- err
		}()
	}
	// Wait until every waiter is queued (users counts the holder too).
	for {
		m.mu.Lock()
		n := m.locks["acme/a"].users
		m.mu.Unlock()
		if n == waiters+1 {
			break
		}
		runtime.Gosched()
	}
	busy := fmt.Errorf("module acme/a is locked by another push: %w", ErrUnavailable)
	holder(busy)
	for range waiters {
		if err := <-errs; !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "queued ahead of this one") {
			t.Errorf("queued push: %v, want the holder's ErrUnavailable", err)
		}
	}
	later, err := m.lock(context.Background(), "acme/a")
	if err != nil {
		t.Fatalf("a push arriving after the failure: %v, want the lock", err)
	}
	later(errors.New("some other failure"))
	again, err := m.lock(context.Background(), "acme/a")
	if err != nil {
		t.Fatalf("after a holder's other failure: %v, want the lock", err)
	}
	again(nil)
	if n := len(m.locks); n != 0 {
		t.Errorf("%d locks remembered after every lock was released", n)
	}
}
