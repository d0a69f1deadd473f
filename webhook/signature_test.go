package webhook_test

import (
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/webhook"
)

// TestSignVector reproduces the Standard Webhooks test vector.
func TestSignVector(t *testing.T) {
	s, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{testSecret, ""},
		{testSecret + "\n", ""},
		{"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=", `does not start with "whsec_"`},
		{"whsec_not base64!", "not standard base64"},
		{"whsec_c2hvcnQ=", "decodes to 5 bytes"},
	} {
		_, err := webhook.ParseSecret(tc.in)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseSecret(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
}
