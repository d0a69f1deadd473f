package server

import "github.com/pbregistry/pbregistry/webhook"

// WebhooksConfig is the webhooks: section of registryd's configuration:
// the HTTP endpoints every outbox event is POSTed to, signed per the
// Standard Webhooks specification. Its keys, validated as the file is
// parsed:
//
//	webhooks:
//	  dir: /var/lib/pbregistry/webhooks   # dead letters; default: <data-dir>/webhooks
//	  public_url: https://registry.acme.com
//	  poll_interval: 2s
//	  lease: 1m
//	  endpoints:
//	    - name: ci
//	      url: https://ci.acme.com/hooks/pbregistry
//	      modules: ["acme/**"]
//	      events: [module.version.accepted]
//	      secret_env: PBREGISTRY_WEBHOOK_CI   # or secret_file: /run/secrets/ci
//	      timeout: 10s
//	      max_attempts: 10
//	      max_age: 24h
//	      retry_initial: 1s
//	      retry_max: 5m
//	      breaker_failures: 5
//	      breaker_cooldown: 1m
//
// See webhook.Config.
type WebhooksConfig = webhook.Config
