package registry_test

import (
	"errors"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// TestNotFoundConstructors pins the words both store backends use for
// what they did not find: clients and tests match on them.
func TestNotFoundConstructors(t *testing.T) {
	tests := []struct {
		err  *registry.NotFoundError
		want string
	}{
		{registry.ModuleNotFound("acme/shop"), "module acme/shop not found"},
		{registry.VersionNotFound("acme/shop", 3), "version acme/shop@3 not found"},
		{registry.VersionNotFound("acme/shop", registry.LatestVersion), "version acme/shop@latest not found"},
		{registry.DigestNotFound("acme/shop", "sha256:ab"), "version acme/shop@sha256:ab not found"},
		{registry.NoServedVersion("acme/shop"), "version acme/shop@latest (every version is deleted) not found"},
		{registry.SubjectNotFound("acme/shop", "acme.shop.v1.Order"), "subject acme/shop:acme.shop.v1.Order not found"},
		{registry.ExceptionNotFound(42), "exception 42 not found"},
		{registry.SchemaBindingNotFound("acme/shop", 2), "schema binding acme/shop@2 not found"},
		{registry.SchemaSettingNotFound("acme/shop", "compatibility"), "schema setting acme/shop:compatibility not found"},
		{registry.OutboxConsumerNotFound("hooks"), "outbox consumer hooks not found"},
		{registry.OutboxDeliveryNotFound("hooks", 7), "outbox delivery hooks/7 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, registry.ErrNotFound) {
				t.Error("does not match registry.ErrNotFound")
			}
		})
	}
}
