package webhook_test

import (
	"fmt"

	"github.com/pbregistry/pbregistry/webhook"
)

// A receiver verifies a webhook by recomputing its webhook-signature from
// the webhook-id, webhook-timestamp and raw body headers with the
// endpoint's secret; the registry signs the same way.
func ExampleSecret_Sign() {
	secret, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	fmt.Println(secret.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)))
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

// Dead letters are named <endpoint>/<event id> in `registryd webhooks
// deliveries` and `registryd webhooks redrive`.
func ExampleParseID() {
	endpoint, event, err := webhook.ParseID("ci/42")
	fmt.Println(endpoint, event, err)
	_, _, err = webhook.ParseID("42")
	fmt.Println(err)
	// Output:
	// ci 42 <nil>
	// dead letter id "42": write <endpoint>/<event id>, as `registryd webhooks deliveries` lists them
}
