package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// TestKillMidPush: for each stage of the push transaction, a registryd
// whose pushes pause there (PBREGISTRY_TEST_PAUSE_AT) is SIGKILLed while a
// push waits in it. Restarted, the registry holds the whole version (killed
// after commit) or nothing of it, and the next push works.
func TestKillMidPush(t *testing.T) {
	for name, storeFlags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			flags := storeFlags(t)
			ctx := context.Background()
			base := int64(0)
			for i, stage := range registry.CommitStages {
				t.Run(stage, func(t *testing.T) {
					files := moduleFiles("int64", fields(0, i+1))
					p := startRegistryd(t, []string{pauseEnv + "=" + stage}, flags...)
					pushed := make(chan error, 1)
					go func() {
						_, err := p.client("").Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files}))
						pushed <- err
					}()
					if _, err := p.await("pause at "+stage, func(l string) bool { return l == "PAUSED "+stage }); err != nil {
						t.Fatal(err)
					}
					p.kill()
					select {
					case err := <-pushed:
						if err == nil {
							t.Fatalf("the push returned before the kill")
						}
					case <-time.After(30 * time.Second):
						t.Fatal("the push did not fail when registryd was killed")
					}

					q := startRegistryd(t, nil, flags...)
					c := q.client("")
					check, err := c.CheckPush(ctx, connect.NewRequest(&v1.CheckPushRequest{Files: files}))
					if err != nil {
						t.Fatal(err)
					}
					committed := stage == "after-commit"
					want := base
					if committed {
						want = base + 1
						if check.Msg.ExistingVersion != base+1 {
							t.Fatalf("killed after commit: the content is version %d, want %d", check.Msg.ExistingVersion, base+1)
						}
					} else if check.Msg.ExistingVersion != 0 {
						t.Fatalf("killed at %s: the content is version %d, want no version", stage, check.Msg.ExistingVersion)
					}
					if want > 0 {
						checkContiguous(t, versions(t, c, "acme/commerce"), want)
						checkWhole(t, c, want)
					} else if _, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce"})); connect.CodeOf(err) != connect.CodeNotFound {
						t.Fatalf("killed in the first push: GetModule = %v, want NotFound", err)
					}
					resp, err := c.Push(ctx, connect.NewRequest(&v1.PushRequest{Files: files}))
					if err != nil {
						t.Fatalf("push after the restart: %v", err)
					}
					if resp.Msg.Version.Number != base+1 || resp.Msg.Created == committed {
						t.Fatalf("push after the restart = version %d, created %v; want version %d, created %v", resp.Msg.Version.Number, resp.Msg.Created, base+1, !committed)
					}
					base++
					checkContiguous(t, versions(t, c, "acme/commerce"), base)
					checkWhole(t, c, base)
					q.kill()
				})
			}
		})
	}
}

// checkWhole fails t unless versions 1..n each have their files, their
// descriptor set and subjects, and the module's latest version is n.
func checkWhole(t *testing.T, c interface {
	GetModule(context.Context, *connect.Request[v1.GetModuleRequest]) (*connect.Response[v1.GetModuleResponse], error)
	GetDescriptorSet(context.Context, *connect.Request[v1.GetDescriptorSetRequest]) (*connect.Response[v1.GetDescriptorSetResponse], error)
	ListSubjects(context.Context, *connect.Request[v1.ListSubjectsRequest]) (*connect.Response[v1.ListSubjectsResponse], error)
}, n int64) {
	t.Helper()
	ctx := context.Background()
	for v := int64(1); v <= n; v++ {
		m, err := c.GetModule(ctx, connect.NewRequest(&v1.GetModuleRequest{Module: "acme/commerce", Version: v, IncludeFiles: true}))
		if err != nil || len(m.Msg.Files) != 2 || m.Msg.Module.LatestVersion != n {
			t.Fatalf("version %d: %v, %v", v, m, err)
		}
		want := fmt.Sprintf("f_%d = ", v-1)
		if !strings.Contains(string(m.Msg.Files[0].Content)+string(m.Msg.Files[1].Content), want) {
			t.Errorf("version %d does not hold its field %q", v, want)
		}
		ds, err := c.GetDescriptorSet(ctx, connect.NewRequest(&v1.GetDescriptorSetRequest{Module: "acme/commerce", Version: v}))
		if err != nil || len(ds.Msg.FileDescriptorSet) == 0 {
			t.Fatalf("descriptor set of version %d: %v", v, err)
		}
	}
	subs, err := c.ListSubjects(ctx, connect.NewRequest(&v1.ListSubjectsRequest{Module: "acme/commerce"}))
	if err != nil || len(subs.Msg.Subjects) != 2 {
		t.Fatalf("subjects: %v, %v", subs, err)
	}
}
