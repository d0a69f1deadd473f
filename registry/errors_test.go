package registry_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want registry.Code
	}{
		{nil, registry.CodeOK},
		{fmt.Errorf("get: %w", &registry.NotFoundError{Kind: "module", Key: "a"}), registry.CodeNotFound},
		{fmt.Errorf("x: %w", registry.ErrAlreadyExists), registry.CodeAlreadyExists},
		{fmt.Errorf("push: %w", &registry.StaleBaselineError{Module: "a", BaseVersion: 1, Latest: 2}), registry.CodeStaleBaseline},
		{&registry.InvalidArgumentError{Field: "f", Problem: "p"}, registry.CodeInvalidArgument},
		{&registry.ExceptionUnavailableError{ID: 1}, registry.CodeConflict},
		{fmt.Errorf("w: %w", registry.ErrReadOnly), registry.CodeReadOnly},
		{errors.New("disk on fire"), registry.CodeInternal},
	}
	for _, tc := range tests {
		if got := registry.ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	c := &registry.PushCommit{Module: "acme/a", Digest: "sha256:new"}
	tests := []struct {
		err  error
		want []string
	}{
		{&registry.StaleBaselineError{Module: "acme/a", BaseVersion: 3, Latest: 5}, []string{"acme/a", "version 3", "latest version is 5", "retry"}},
		{registry.NewExceptionUnavailableError(7, nil, c), []string{"exception 7", "does not exist"}},
		{registry.NewExceptionUnavailableError(7, &registry.Exception{Module: "acme/b"}, c), []string{"module acme/b"}},
		{registry.NewExceptionUnavailableError(7, &registry.Exception{Module: "acme/a", Digest: "sha256:old"}, c), []string{"sha256:old", "sha256:new"}},
		{registry.NewExceptionUnavailableError(7, &registry.Exception{Module: "acme/a", Digest: "sha256:new", UsedVersion: 4}, c), []string{"used by version 4"}},
		{&registry.NotFoundError{Kind: "version", Key: "acme/a@9"}, []string{"version acme/a@9 not found"}},
	}
	for _, tc := range tests {
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%q does not say %q", tc.err, w)
			}
		}
	}
}
