package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/server"
)

// TestParseLimitsConfig: every key of registry.Limits and policies.Limits
// is a key of registryd's limits: section, and the server enforces what
// the file says.
func TestParseLimitsConfig(t *testing.T) {
	c, err := server.ParseConfig("registryd.yaml", []byte(`limits:
  max_request_bytes: 9000000
  max_files: 10
  max_git_commit_bytes: 12
  max_labels: 3
  max_subjects: 7
  max_compile_time: 5s
  max_stale_retry_time: 1m
  max_eval_cost: 5000
  max_policies: 4
  max_policy_name_length: 20
`))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.MaxRequestBytes != 9000000 || l.MaxFiles != 10 || l.MaxGitCommitBytes != 12 || l.MaxLabels != 3 || l.MaxSubjects != 7 ||
		l.MaxCompileTime != 5*time.Second || l.MaxStaleRetryTime != time.Minute {
		t.Errorf("limits = %+v", l.Limits)
	}
	if p := l.Policies; p.MaxEvalCost != 5000 || p.MaxPolicies != 4 || p.MaxNameLength != 20 {
		t.Errorf("policy limits = %+v", p)
	}
	if got := l.PushLimits(); got.MaxFileBytes != 4<<20 || got.MaxGitCommitBytes != 12 {
		t.Errorf("PushLimits() = %+v: want the configured values and the defaults", got)
	}

	for _, bad := range []struct{ name, yaml, want string }{
		{"duration without unit", "limits:\n  max_compile_time: 60\n", "line 2: cannot unmarshal !!int `60` into time.Duration: write a number for counts, bytes and rates, a duration such as 30s"},
		{"unknown limit", "limits:\n  max_git_comit_bytes: 1\n", "field max_git_comit_bytes not found"},
		{"server policies over max_policies", "limits:\n  max_policies: 1\npolicies:\n  - {name: A, target: file, expr: 'true'}\n  - {name: B, target: file, expr: 'true'}\n", "more than the limit of 1 (max_policies"},
		{"server policy over max_eval_cost", "limits:\n  max_eval_cost: 10\npolicies:\n  - {name: A, target: message, expr: 'message.fields.all(f, f.name != \"\")'}\n", "exceeds the limit of 10 per evaluation (max_eval_cost)"},
	} {
		_, err := server.ParseConfig("registryd.yaml", []byte(bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want it to contain %q", bad.name, err, bad.want)
		}
	}

	// The server enforces the configured limits.
	in := start(t, "", server.Options{Config: c})
	req := connect.NewRequest(&v1.PushRequest{Files: files("int64", ""), Build: &v1.BuildInfo{GitCommit: strings.Repeat("a", 13)}})
	_, err = in.client("").Push(context.Background(), req)
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "limit of 12 (limits.max_git_commit_bytes)") {
		t.Errorf("push with a 13-byte commit under max_git_commit_bytes 12: %v", err)
	}
	withPolicy := files("int64", "")
	withPolicy[0].Content = append(withPolicy[0].Content, []byte("policies:\n  - {name: A_POLICY_NAME_OF_30_BYTES_LONG, target: file, expr: 'true'}\n")...)
	_, err = in.client("").CheckPush(context.Background(), connect.NewRequest(&v1.CheckPushRequest{Files: withPolicy}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "limit of 20 (max_policy_name_length)") {
		t.Errorf("CheckPush with a 30-byte policy name under max_policy_name_length 20: %v", err)
	}
}
