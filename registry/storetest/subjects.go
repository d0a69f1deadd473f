package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// testSubjects: pushes create and update subjects; an admin override wins
// over the pushed configuration and survives later pushes until cleared.
func testSubjects(t *testing.T, s registry.Store) {
	c := ctx(t)
	event := registry.SubjectSpec{
		Name:          "acme.v1.OrderPlaced",
		Kind:          registry.KindEvent,
		Compatibility: registry.Compatibility{Level: registry.LevelFullTransitive, Except: []string{"FIELD_SAME_JSON_NAME"}},
	}
	p1 := Push("acme/commerce", 0, "a")
	p1.Subjects = append(p1.Subjects, event)
	_, _, err := s.CommitPush(c, p1)
	must(t, err)

	got, err := s.GetSubject(c, "acme/commerce", OrderSubject)
	must(t, err)
	want := registry.Subject{
		Module:       "acme/commerce",
		Name:         OrderSubject,
		Kind:         registry.KindPBTable,
		PrimaryKey:   []string{"id"},
		Pushed:       p1.Subjects[0].Compatibility,
		FirstVersion: 1,
		LastVersion:  1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetSubject = %+v, want %+v", got, want)
	}
	list, err := s.ListSubjects(c, "acme/commerce")
	must(t, err)
	if len(list) != 2 || list[0].Name != OrderSubject || list[1].Name != event.Name ||
		list[1].Kind != registry.KindEvent || list[1].PrimaryKey != nil || !reflect.DeepEqual(list[1].Pushed, event.Compatibility) {
		t.Fatalf("ListSubjects = %+v", list)
	}

	before := time.Now().Add(-time.Second)
	override := registry.Compatibility{Level: registry.LevelNone}
	set, err := s.SetSubjectConfig(c, registry.SubjectConfigRequest{
		Module: "acme/commerce", Subject: OrderSubject, Compatibility: override, Principal: "admin@acme.example",
	})
	must(t, err)
	if set.Override == nil || !reflect.DeepEqual(set.Override.Compatibility, override) ||
		set.Override.Principal != "admin@acme.example" || set.Override.SetAt.Before(before) ||
		!reflect.DeepEqual(set.Effective(), override) {
		t.Fatalf("SetSubjectConfig = %+v, override %+v", set, set.Override)
	}

	// A later push changes the pushed configuration, not the override; it
	// does not declare the event subject, which keeps its record.
	p2 := Push("acme/commerce", 1, "b")
	p2.Subjects[0].Compatibility = registry.Compatibility{Level: registry.LevelFull, Use: []string{"WIRE", "FIELD_SAME_TYPE"}}
	_, _, err = s.CommitPush(c, p2)
	must(t, err)
	got, err = s.GetSubject(c, "acme/commerce", OrderSubject)
	must(t, err)
	if !reflect.DeepEqual(got.Pushed, p2.Subjects[0].Compatibility) || got.Override == nil ||
		!reflect.DeepEqual(*got.Override, *set.Override) || got.FirstVersion != 1 || got.LastVersion != 2 {
		t.Fatalf("after a push, subject = %+v, override %+v; want pushed config updated, override kept", got, got.Override)
	}
	ev, err := s.GetSubject(c, "acme/commerce", event.Name)
	must(t, err)
	if ev.FirstVersion != 1 || ev.LastVersion != 1 {
		t.Errorf("undeclared subject = %+v, want versions 1..1", ev)
	}

	cleared, err := s.ClearSubjectConfig(c, "acme/commerce", OrderSubject)
	must(t, err)
	if cleared.Override != nil || !reflect.DeepEqual(cleared.Effective(), p2.Subjects[0].Compatibility) {
		t.Fatalf("ClearSubjectConfig = %+v", cleared)
	}
}

// testSubjectConfigErrors: overriding a subject that does not exist or
// with a malformed configuration fails.
func testSubjectConfigErrors(t *testing.T, s registry.Store) {
	c := ctx(t)
	mustPush(t, s, "acme/commerce", "a")
	valid := registry.SubjectConfigRequest{
		Module: "acme/commerce", Subject: OrderSubject,
		Compatibility: registry.Compatibility{Level: registry.LevelForward}, Principal: "admin",
	}
	tests := []struct {
		name   string
		modify func(r *registry.SubjectConfigRequest)
		want   error
	}{
		{"unknown subject", func(r *registry.SubjectConfigRequest) { r.Subject = "acme.v1.Nope" }, registry.ErrNotFound},
		{"unknown module", func(r *registry.SubjectConfigRequest) { r.Module = "acme/nope" }, registry.ErrNotFound},
		{"bad level", func(r *registry.SubjectConfigRequest) { r.Compatibility.Level = "MOSTLY" }, registry.ErrInvalidArgument},
		{"no principal", func(r *registry.SubjectConfigRequest) { r.Principal = "" }, registry.ErrInvalidArgument},
		{"bad subject", func(r *registry.SubjectConfigRequest) { r.Subject = "1Order" }, registry.ErrInvalidArgument},
	}
	for _, tc := range tests {
		r := valid
		tc.modify(&r)
		_, err := s.SetSubjectConfig(c, r)
		wantErr(t, tc.name, err, tc.want)
	}
	_, err := s.ClearSubjectConfig(c, "acme/commerce", "acme.v1.Nope")
	wantErr(t, "clear unknown subject", err, registry.ErrNotFound)
	got, err := s.GetSubject(c, "acme/commerce", OrderSubject)
	must(t, err)
	if got.Override != nil {
		t.Errorf("failed overrides left %+v", got.Override)
	}
}
