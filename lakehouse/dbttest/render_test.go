package dbttest

import (
	"fmt"
	"testing"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// render renders a staging model with Jinja as dbt would, with source()
// resolving to relation(source, table), ref() to relation("", model) and
// config() recording its keyword arguments into configs.
func render(t *testing.T, sql string, relation func(source, table string) string, configs map[string]string) string {
	t.Helper()
	tpl, err := gonja.FromString(sql)
	if err != nil {
		t.Fatalf("parsing the model as Jinja: %v\n%s", err, sql)
	}
	str := func(v *exec.Value) string { return v.String() }
	out, err := tpl.ExecuteToString(exec.NewContext(map[string]any{
		"source": func(va *exec.VarArgs) (any, error) {
			if len(va.Args) != 2 {
				return nil, fmt.Errorf("source() wants 2 arguments, got %d", len(va.Args))
			}
			return relation(str(va.Args[0]), str(va.Args[1])), nil
		},
		"ref": func(va *exec.VarArgs) (any, error) {
			if len(va.Args) != 1 {
				return nil, fmt.Errorf("ref() wants 1 argument, got %d", len(va.Args))
			}
			return relation("", str(va.Args[0])), nil
		},
		"config": func(va *exec.VarArgs) (any, error) {
			for k, v := range va.KwArgs {
				configs[k] = v.String()
			}
			return "", nil
		},
	}))
	if err != nil {
		t.Fatalf("rendering the model: %v", err)
	}
	return out
}
