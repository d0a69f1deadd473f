package txhook

import (
	"context"
	"slices"
	"testing"
)

func TestRun(t *testing.T) {
	Run(context.Background(), AfterBegin) // no hook: nothing happens
	var got []Stage
	ctx := With(context.Background(), func(s Stage) { got = append(got, s) })
	for _, s := range Stages {
		Run(ctx, s)
	}
	if !slices.Equal(got, Stages) {
		t.Errorf("hook saw %v, want %v", got, Stages)
	}
}
