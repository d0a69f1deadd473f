package registry

import (
	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/witness"
)

// attachWitnesses gives findings between prev and curr their witness (a
// message that proves them with data, or why there is none): the first
// witness.MaxExplained distinct changes among them — the blocking ones
// only when blockingOnly — so that a refused push shows its proof. The
// same change reported for several subjects is searched once. Policy
// findings get none. A nil prev (a module's first version) has nothing
// to witness.
func attachWitnesses(prev, curr *image.Image, findings []Finding, blockingOnly bool) {
	if prev == nil || curr == nil {
		return
	}
	type change struct {
		rule, element string
		dirs          compat.Direction
	}
	var x *witness.Explainer
	seen := map[change]*witness.Explanation{}
	for i := range findings {
		f := &findings[i]
		if f.Policy || (blockingOnly && !f.Blocking()) {
			continue
		}
		c := change{f.Rule, f.Element, f.Directions}
		if e, ok := seen[c]; ok {
			f.Witness = e
			continue
		}
		if len(seen) >= witness.MaxExplained {
			continue
		}
		if x == nil {
			x = witness.NewExplainer(prev, curr)
		}
		e := x.Explain(f.Finding)
		if e.Witness == nil && e.None == "" {
			seen[c] = nil
			continue
		}
		seen[c] = &e
		f.Witness = &e
	}
}
