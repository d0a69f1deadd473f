package policies_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbregistry/pbregistry/policies"
)

// The probes of issue 8: an anonymous CheckPush carrying one of these took
// registryd from 84 MB to 6 GB, or kept a CPU busy for hours after the
// client left.
const (
	probeMemory = `lists.range(1000000).map(a, lists.range(1000000)).size() > 0`
	probeCPU    = `lists.range(1000000).all(a, lists.range(1000000).all(b, true))`
)

// TestCompileLimits: a policy that cannot fit a limit is refused when
// compiled, naming itself, where it is written, the limit and what to do.
func TestCompileLimits(t *testing.T) {
	many := new(strings.Builder)
	for i := range policies.DefaultLimits.MaxPolicies + 1 {
		fmt.Fprintf(many, "- {name: P%d, target: file, expr: 'true'}\n", i)
	}
	tests := []struct {
		name   string
		config string
		limits policies.Limits
		want   []string
	}{
		{
			name:   "memory probe",
			config: "- {name: PROBE_MEMORY, target: file, expr: '" + probeMemory + "'}",
			want: []string{"pbregistry.yaml:1:44: policy PROBE_MEMORY: expr: its estimated cost on the largest realistic element, 1000024000024, " +
				"exceeds the limit of 1000000 per evaluation (max_eval_cost): make it cheaper"},
		},
		{
			name:   "CPU probe",
			config: "- name: PROBE_CPU\n  target: message\n  expr: " + probeCPU + "\n",
			want:   []string{"pbregistry.yaml:3:9: policy PROBE_CPU: expr: its estimated cost", "4000016000012", "limit of 1000000 per evaluation (max_eval_cost)"},
		},
		{
			name:   "range of a computed size",
			config: "- {name: COMPUTED_RANGE, target: message, expr: 'lists.range(size(message.fields) * 1000).size() > 0'}",
			want:   []string{"policy COMPUTED_RANGE: expr: its estimated cost", "unbounded (it depends on a size or value the estimate cannot bound"},
		},
		{
			name: "three nested comprehensions over fields",
			config: `- name: NO_SUMS
  target: message
  expr: >-
    message.fields.all(a, message.fields.all(b, message.fields.all(c,
      a.number + b.number != c.number)))
`,
			want: []string{"pbregistry.yaml:3:9: policy NO_SUMS: expr: its estimated cost", "max_eval_cost"},
		},
		{
			name:   "message_expr",
			config: "- {name: COSTLY_MESSAGE, target: file, expr: 'true', message_expr: 'lists.range(100000).map(i, file.path).join(\", \")'}",
			want:   []string{"pbregistry.yaml:1:", "policy COSTLY_MESSAGE: message_expr: its estimated cost"},
		},
		{
			name:   "a lower max_eval_cost",
			config: "- {name: EVERY_FIELD_NAMED, target: message, expr: 'message.fields.all(f, f.name != \"\")'}",
			limits: policies.Limits{MaxEvalCost: 100},
			want:   []string{"policy EVERY_FIELD_NAMED: expr:", "exceeds the limit of 100 per evaluation (max_eval_cost)"},
		},
		{
			name:   "expression too long",
			config: "- {name: LONG, target: file, expr: 'file.path != \"" + strings.Repeat("x", 9000) + "\"'}",
			want:   []string{"pbregistry.yaml:1:36: policy LONG: expr is 9015 characters long, more than the limit of 8192 (max_expr_length): simplify it"},
		},
		{
			name:   "expression too deep",
			config: "- {name: DEEP, target: file, expr: 'size(file.path)" + strings.Repeat(" + 1", 150) + " > 0'}",
			want:   []string{"pbregistry.yaml:1:36: policy DEEP: expr: CEL error", "the limit is 100 levels, max_expr_depth"},
		},
		{
			name:   "too many policies",
			config: many.String(),
			want:   []string{"pbregistry.yaml: 201 policies, more than the limit of 200 (max_policies; the first one too many is at pbregistry.yaml:201:3): merge or remove policies"},
		},
		{
			name:   "name too long",
			config: "- {name: " + strings.Repeat("N", 65) + ", target: file, expr: 'true'}",
			want:   []string{"pbregistry.yaml:1:3: policy name NNNN", "is 65 bytes long, more than the limit of 64 (max_policy_name_length): shorten it"},
		},
		{
			name:   "message too long",
			config: "- {name: LONG_MESSAGE, target: file, expr: 'true', message: " + strings.Repeat("m", 3000) + "}",
			want:   []string{"pbregistry.yaml:1:3: policy LONG_MESSAGE: message is 3000 bytes long, more than the limit of 2048 (max_policy_text_length)"},
		},
		{
			name:   "description too long",
			config: "- {name: LONG_DESCRIPTION, target: file, expr: 'true', description: " + strings.Repeat("d", 2049) + "}",
			limits: policies.Limits{MaxTextLength: 2048},
			want:   []string{"policy LONG_DESCRIPTION: description is 2049 bytes long, more than the limit of 2048 (max_policy_text_length)"},
		},
		{
			name:   "a lower max_policies",
			config: "- {name: A, target: file, expr: 'true'}\n- {name: B, target: file, expr: 'true'}\n",
			limits: policies.Limits{MaxPolicies: 1},
			want:   []string{"2 policies, more than the limit of 1 (max_policies; the first one too many is at pbregistry.yaml:2:3)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := policies.Compile(policies.Sources{Module: parse(t, tt.config), Limits: tt.limits})
			if err == nil {
				t.Fatal("compiled")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%.600s\nwant it to contain %q", err, w)
				}
			}
			// A generous guard, not a performance claim: refusing must not
			// evaluate anything.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
}

// TestCompileFitsRealPolicies: the built-in policies and policies like real
// organisations write compile under the default limits, server-wide ones
// included; a module may still define as many policies as the limit allows.
func TestCompileFitsRealPolicies(t *testing.T) {
	real := parse(t, `
- name: PII_MARKED
  target: field
  packages: ["acme.users.**"]
  expr: >-
    !(field.name in ["email", "phone", "address"]) ||
    field.options[?"acme.options.v1.pii"].orValue(false)
  message_expr: '"field " + field.full_name + " holds personal data: mark it [(acme.options.v1.pii) = true]"'
- name: NO_JSON_CLASH
  target: message
  expr: message.fields.map(f, f.json_name.lowerAscii()).distinct().size() == size(message.fields)
- name: FIELD_NUMBERS_UNIQUE_NAMES
  target: message
  expr: message.fields.all(a, message.fields.all(b, a.number == b.number || a.name != b.name))
- name: MESSAGE_DOCUMENTED
  target: message
  expr: message.nested || message.comments.trim() != ""
  message_expr: '"message " + message.full_name + " has no comment: say what it holds"'
- name: OWNER
  target: file
  expr: file.options[?"acme.options.v1.owner"].orValue("") != "" || file.comments.contains("@owner")
- name: ENUM_VALUE_PREFIXED
  target: enum_value
  expr: enum_value.name.startsWith(enum.name.upper_snake() + "_")
  message_expr: '"value " + enum_value.name + " (" + string(enum_value.number) + ") of " + enum_value.enum + ": name it " + enum.name.upper_snake() + "_" + enum_value.name'
- name: KEY_FIELDS_DOCUMENTED
  target: message
  kinds: [pbtable]
  expr: message.full_name != subject.name || subject.primary_key_paths.all(k, k.fields.all(f, f.comments != ""))
  message_expr: >-
    "key fields of " + message.full_name + " without a comment: " +
    subject.primary_key_paths.filter(k, k.fields.exists(f, f.comments == "")).map(k, k.path).join(", ")
- name: SERVICE_METHODS_VERBS
  target: service
  expr: service.methods.all(m, params.verbs.exists(v, m.name.startsWith(v)))
  params: {verbs: [Get, List, Create, Update, Delete, Batch, Watch]}
- name: NO_RETYPE
  target: change
  expr: '!(change.rule == "FIELD_SAME_TYPE" && change.previous.type_name.split(".").size() > 3)'
`)
	if _, err := policies.Compile(policies.Sources{Module: real}); err != nil {
		t.Errorf("real module policies: %v", err)
	}
	if _, err := policies.Compile(policies.Sources{Server: real}); err != nil {
		t.Errorf("real server policies: %v", err)
	}
	many := new(strings.Builder)
	for i := range policies.DefaultLimits.MaxPolicies {
		fmt.Fprintf(many, "- {name: P%d, target: field, expr: 'field.name.matches(\"^[a-z_]+$\")'}\n", i)
	}
	if _, err := policies.Compile(policies.Sources{Module: parse(t, many.String())}); err != nil {
		t.Errorf("%d policies: %v", policies.DefaultLimits.MaxPolicies, err)
	}
}

// wideProto returns a file declaring message acme.wide.v1.Wide with n
// fields, and an event subject on it.
func wideProto(n int) map[string]string {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage acme.wide.v1;\nmessage Wide {\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  string f%d = %d;\n", i, i)
	}
	b.WriteString("}\n")
	return map[string]string{"acme/wide/v1/wide.proto": b.String()}
}

// TestEvalCostLimit: an evaluation that exceeds max_eval_cost — its
// estimate fit, the schema is larger than the estimate's realistic bounds —
// stops the check with a *LimitError naming the policy, the element and the
// limit, rather than running on.
func TestEvalCostLimit(t *testing.T) {
	img := compile(t, wideProto(1000))
	tests := []struct {
		name   string
		config string
		key    string
	}{
		{
			name:   "expr",
			config: "- {name: UNIQUE_NAMES, target: message, expr: 'message.fields.all(a, message.fields.all(b, a.number == b.number || a.name != b.name))'}",
			key:    "expr",
		},
		{
			name: "message_expr",
			config: "- {name: ALWAYS_FAILS, target: message, expr: 'false', " +
				"message_expr: 'message.fields.filter(a, message.fields.exists(b, a.number < b.number && a.name == b.name)).map(f, f.name).join(\", \")'}",
			key: "message_expr",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: parse(t, tt.config)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = set.Lint(context.Background(), img, policies.Context{})
			var limit *policies.LimitError
			if !errors.As(err, &limit) || !errors.Is(err, policies.ErrLimit) {
				t.Fatalf("Lint: %v, want a *LimitError", err)
			}
			if limit.Element != "acme.wide.v1.Wide" || limit.Key != tt.key || limit.Limit != "max_eval_cost" || limit.Value != policies.DefaultLimits.MaxEvalCost {
				t.Errorf("limit error %+v", limit)
			}
			want := "pbregistry.yaml:1:3: policy " + limit.Policy + ": " + tt.key + " on acme.wide.v1.Wide: evaluation exceeded the cost limit of 1000000 per evaluation (max_eval_cost): make the expression cheaper"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error:\n%v\nwant it to start with\n%s", err, want)
			}
		})
	}
	// The same policy on a realistic message fits.
	set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: parse(t, tests[0].config)})
	if err != nil {
		t.Fatal(err)
	}
	if findings := lint(t, set, compile(t, wideProto(100)), policies.Context{}); len(findings) != 0 {
		t.Errorf("findings on 100 fields: %v", findings)
	}
}

// TestCheckBudget: the evaluations of one check share max_check_cost, Lint
// and Changes given one Budget together.
func TestCheckBudget(t *testing.T) {
	prev := compile(t, wideProto(300))
	curr := compile(t, wideProto(200)) // 100 fields deleted: 100 changes
	config := parse(t, `
- {name: FIELD_NAMED, target: field, expr: 'field.name.startsWith("f")'}
- {name: DELETION_OK, target: change, expr: 'change.rule.size() > 0 && change.element != ""'}
`)
	spent := func(limits policies.Limits) (lint, changes uint64, err error) {
		set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: config, Limits: limits})
		if err != nil {
			t.Fatal(err)
		}
		budget := set.NewBudget()
		c := policies.Context{Budget: budget}
		if _, err := set.Lint(context.Background(), curr, c); err != nil {
			return budget.Spent(), 0, err
		}
		lint = budget.Spent()
		_, err = set.Changes(context.Background(), prev, curr, c)
		return lint, budget.Spent() - lint, err
	}
	lint, changes, err := spent(policies.Limits{})
	if err != nil || lint == 0 || changes == 0 {
		t.Fatalf("default limits: lint spent %d, changes %d, err %v", lint, changes, err)
	}
	// A budget each fits alone but not together: Lint passes, Changes stops.
	_, _, err = spent(policies.Limits{MaxCheckCost: lint + changes - 1})
	var limit *policies.LimitError
	if !errors.As(err, &limit) || limit.Limit != "max_check_cost" || limit.Policy != "DELETION_OK" || limit.Key != "expr" {
		t.Fatalf("shared budget of %d: %v, want DELETION_OK to exceed max_check_cost", lint+changes-1, err)
	}
	if want := "policies of this check together exceeded the cost limit of " + fmt.Sprint(lint+changes-1) + " per check (max_check_cost)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	// Without a shared Budget each call has its own.
	set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: config, Limits: policies.Limits{MaxCheckCost: lint + changes - 1}})
	if err != nil {
		t.Fatal(err)
	}
	lint2 := policies.Context{}
	if _, err := set.Lint(context.Background(), curr, lint2); err != nil {
		t.Errorf("Lint alone: %v", err)
	}
	if _, err := set.Changes(context.Background(), prev, curr, lint2); err != nil {
		t.Errorf("Changes alone: %v", err)
	}
	// Lint alone over a small budget stops at the field that spends it.
	_, _, err = spent(policies.Limits{MaxCheckCost: lint / 2})
	if !errors.As(err, &limit) || limit.Limit != "max_check_cost" || limit.Policy != "FIELD_NAMED" || !strings.HasPrefix(limit.Element, "acme.wide.v1.Wide.f") {
		t.Errorf("budget of %d: %v", lint/2, err)
	}
}

// doneWatch is a context that reports when something first waits on it:
// CEL's ContextEval does, as it starts an evaluation.
type doneWatch struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

// Done implements context.Context.
func (d *doneWatch) Done() <-chan struct{} {
	d.once.Do(func() { close(d.waiting) })
	return d.Context.Done()
}

// TestCancelStopsEvaluation: cancelling the context of a check stops an
// evaluation in progress — one that would run for many minutes, under
// limits raised for it — and returns context.Canceled.
func TestCancelStopsEvaluation(t *testing.T) {
	huge := policies.Limits{MaxEvalCost: 1 << 62, MaxCheckCost: 1 << 62}
	img := compile(t, wideProto(1))
	tests := []struct {
		name string
		run  func(ctx context.Context, set *policies.Set) error
		cfg  string
	}{
		{
			name: "Lint", cfg: "- {name: FOREVER, target: message, expr: '" + probeCPU + "'}",
			run: func(ctx context.Context, set *policies.Set) error {
				_, err := set.Lint(ctx, img, policies.Context{})
				return err
			},
		},
		{
			name: "Changes", cfg: "- {name: FOREVER, target: change, expr: '" + probeCPU + "'}",
			run: func(ctx context.Context, set *policies.Set) error {
				_, err := set.Changes(ctx, compile(t, wideProto(2)), img, policies.Context{})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: parse(t, tt.cfg), Limits: huge})
			if err != nil {
				t.Fatal(err)
			}
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx := &doneWatch{Context: parent, waiting: make(chan struct{})}
			done := make(chan error, 1)
			go func() { done <- tt.run(ctx, set) }()
			<-ctx.waiting // the evaluation has started
			cancelled := time.Now()
			cancel()
			select {
			case err := <-done:
				t.Logf("returned %v after the cancel", time.Since(cancelled).Round(time.Microsecond))
				if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "policy FOREVER on acme.wide.v1.") {
					t.Errorf("err = %v, want context.Canceled naming the policy and the element", err)
				}
			case <-time.After(30 * time.Second): // a guard: uninterrupted, it runs for hours
				t.Fatal("the evaluation did not stop when its context was cancelled")
			}
		})
	}
	// A context done before the check starts stops it before any evaluation.
	set, err := policies.Compile(policies.Sources{NoBuiltins: true, Module: parse(t, tests[0].cfg), Limits: huge})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := set.Lint(ctx, img, policies.Context{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Lint with a done context: %v", err)
	}
}
