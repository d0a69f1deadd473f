package main

import (
	"context"
	"github.com/pbregistry/pbregistry/internal/pgtest"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSoakAndVerify runs a short soak of two real registryd on PostgreSQL
// with faults: every acknowledged push is kept. Then it alters the soak's
// records so that they disagree with what the registry holds, one way at
// a time, and verify must report each.
func TestSoakAndVerify(t *testing.T) {
	dsn := freshSchema(t)
	bin := filepath.Join(t.TempDir(), "registryd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/pbregistry/pbregistry/cmd/registryd").CombinedOutput(); err != nil {
		t.Fatalf("go build registryd: %v\n%s", err, out)
	}
	o := options{
		registryd: bin, databaseURL: dsn, logDir: t.TempDir(), logLevel: "info",
		pushers: 2, readers: 2, duration: 5 * time.Second,
		attemptTimeout: 2 * time.Second, chaosEvery: time.Second, stopMax: time.Second, grace: time.Minute, seed: 1,
	}
	s, err := start(o)
	t.Cleanup(s.close)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.load(ctx); err != nil {
		t.Fatal(err)
	}
	v := s.verify(ctx)
	if v.failed() {
		t.Fatalf("the soak lost %d pushes; problems: %s", v.lost, strings.Join(v.problems, "; "))
	}
	own := ownModule(0)
	if len(s.acked[own]) < 2 || len(s.acked[sharedModule]) < 2 || v.versions < len(s.acked[own])+len(s.acked[sharedModule]) {
		t.Fatalf("too little happened to check: %d versions stored, %d acknowledged in %s, %d in %s",
			v.versions, len(s.acked[own]), own, len(s.acked[sharedModule]), sharedModule)
	}
	t.Logf("%d pushes, %d reads, %d kills, %d stops; %d versions", len(s.pushes), len(s.reads), s.kills, s.stops, v.versions)

	tests := []struct {
		name        string
		alter       func(s *soak)
		wantLost    int
		wantProblem string
	}{
		{
			name:     "an acknowledged version is missing",
			alter:    func(s *soak) { s.acked[sharedModule][int64(v.versions)+1] = s.acked[sharedModule][1] },
			wantLost: 1, wantProblem: "was acknowledged with digest",
		},
		{
			name:     "a version was acknowledged with another digest",
			alter:    func(s *soak) { s.acked[own][1] = s.acked[own][2] },
			wantLost: 1, wantProblem: "version 1 was acknowledged with digest",
		},
		{
			name:        "a version holds content no pusher sent",
			alter:       func(s *soak) { delete(s.digests, s.acked[own][1]) },
			wantProblem: "which no pusher sent",
		},
		{
			name: "an own module's versions are out of their pusher's order",
			alter: func(s *soak) {
				d1, d2 := s.acked[own][1], s.acked[own][2]
				s.digests[d1], s.digests[d2] = s.digests[d2], s.digests[d1]
			},
			wantProblem: "a push landed on a baseline newer than it was checked against",
		},
		{
			name:        "a read saw another digest",
			alter:       func(s *soak) { s.checkDigest("GetModule", own, 1, s.acked[own][2]) },
			wantProblem: "acknowledged as",
		},
	}
	digests, acked, inconsistent := maps.Clone(s.digests), map[string]map[int64]string{}, s.inconsistentReads
	for m, vs := range s.acked {
		acked[m] = maps.Clone(vs)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.digests, s.acked, s.inconsistentReads = maps.Clone(digests), map[string]map[int64]string{}, inconsistent
			for m, vs := range acked {
				s.acked[m] = maps.Clone(vs)
			}
			tt.alter(s)
			got := s.verify(ctx)
			if got.lost != tt.wantLost {
				t.Errorf("lost = %d, want %d", got.lost, tt.wantLost)
			}
			if len(got.problems) == 0 || !strings.Contains(strings.Join(got.problems, "\n"), tt.wantProblem) {
				t.Errorf("problems = %q, want one saying %q", got.problems, tt.wantProblem)
			}
		})
	}
}

// freshSchema returns the URL of a new schema of the test database,
// dropped at the end of the test (see pgtest.Schema).
func freshSchema(t *testing.T) string {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "bench_soak_test_")
	return dsn
}
