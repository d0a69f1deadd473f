package config_test

import (
	"fmt"

	"github.com/pbregistry/pbregistry/config"
)

// Parse a pbregistry.yaml given inline (as with --config) and convert its
// breaking section for the compatibility engine.
func ExampleParse() {
	cfg, err := config.Parse("pbregistry.yaml", []byte(`version: v1
module: acme/commerce
roots: [proto]
breaking:
  use: [WIRE_JSON]
  ignore: [proto/acme/legacy]
  compatibility: BACKWARD_TRANSITIVE
subjects:
  - message: acme.billing.v1.Invoice
    kind: pbtable
    primary_key: [id]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := cfg.Modules[0]
	c := m.Breaking.CompatConfig()
	fmt.Println(cfg.Name, m.Dir, c.Version, c.Use, c.Ignore, c.Level, m.Breaking.Transitive())
	fmt.Println(cfg.Subjects[0].Message, cfg.Subjects[0].Kind, cfg.Subjects[0].Pos)

	_, err = config.Parse("pbregistry.yaml", []byte("version: v1\nbreaking:\n  compatability: FULL\n"))
	fmt.Println(err)
	// Output:
	// acme/commerce proto v2 [WIRE_JSON] [acme/legacy] BACKWARD true
	// acme.billing.v1.Invoice pbtable pbregistry.yaml:9:5
	// pbregistry.yaml:3:3: unknown key "compatability" in breaking (valid: use, except, ignore, ignore_only, ignore_unstable_packages, compatibility)
}
