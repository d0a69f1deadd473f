package submodule_test

import (
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/submodule"
)

// A publication's commit message is a changelog ending in trailers that
// the publisher reads back to stay idempotent.
func ExampleChangelog() {
	v := registry.Version{Module: "acme/commerce", Number: 2, Digest: "sha256:ab12", Principal: "ci@acme",
		Build: registry.BuildInfo{Commit: "c0ffee", Branch: "main"}}
	prev := &submodule.Lock{Modules: []submodule.LockModule{{Name: "acme/commerce", Version: 1,
		Subjects: []submodule.LockSubject{{Name: "acme.billing.v1.Invoice", Kind: "pbtable", Version: 1}}}}}
	next := &submodule.Lock{Modules: []submodule.LockModule{{Name: "acme/commerce", Version: 2, Subjects: []submodule.LockSubject{
		{Name: "acme.billing.v1.Invoice", Kind: "pbtable", Version: 1},
		{Name: "acme.billing.v1.InvoicePaid", Kind: "event", Version: 2},
	}}}}
	msg := submodule.Changelog(v, 7, prev, next)
	fmt.Print(msg)
	fmt.Println(submodule.Trailers(msg)[submodule.TrailerRelease])
	// Output:
	// acme/commerce v2
	//
	// Moves module acme/commerce from version 1 to 2.
	//
	// Subjects:
	//   added   acme.billing.v1.InvoicePaid (event)
	//
	// Pushed by ci@acme from commit c0ffee on main.
	//
	// Pbregistry-Module: acme/commerce
	// Pbregistry-Version: 2
	// Pbregistry-Digest: sha256:ab12
	// Pbregistry-Release: 7
	// Pbregistry-Pushed-By: ci@acme
	// Pbregistry-Source-Commit: c0ffee
	// 7
}
