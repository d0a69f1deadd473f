package confluent_test

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentRegistrations: producers starting at once register the
// same new schemas under several subjects: one id per content, one version
// per subject and content, on both stores.
func TestConcurrentRegistrations(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			d := serveOn(t, b.open(t), nil, nil)
			const producers = 6
			schemas := []string{moneyV1, moneyV1 + "message Extra { string a = 1; }\n"}
			type result struct {
				subject string
				schema  int
				id      int64
				err     string
			}
			results := make(chan result, producers*len(schemas))
			var wg sync.WaitGroup
			for p := range producers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					subject := fmt.Sprintf("s%d", p%3)
					for i, text := range schemas {
						r := d.do(t, "POST", "/subjects/"+subject+"/versions", schemaBody(text))
						var out struct{ ID int64 }
						if r.status == 200 {
							r.json(t, &out)
						}
						res := result{subject: subject, schema: i, id: out.ID}
						if r.status != 200 {
							res.err = fmt.Sprintf("%d %s", r.status, r.body)
						}
						results <- res
					}
				}()
			}
			wg.Wait()
			close(results)
			ids := map[int]int64{}
			for r := range results {
				if r.err != "" {
					t.Errorf("%s schema %d: %s", r.subject, r.schema, r.err)
					continue
				}
				if prev, ok := ids[r.schema]; ok && prev != r.id {
					t.Errorf("schema %d got ids %d and %d", r.schema, prev, r.id)
				}
				ids[r.schema] = r.id
			}
			if ids[0] == ids[1] {
				t.Errorf("two contents share id %d", ids[0])
			}
			for _, s := range []string{"s0", "s1", "s2"} {
				want(t, s+" versions", d.do(t, "GET", "/subjects/"+s+"/versions", nil), 200, `[1,2]`)
			}
		})
	}
}
