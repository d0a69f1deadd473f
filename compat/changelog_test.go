package compat_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
)

// compileFiles compiles files (path → content) into an image.
func compileFiles(t *testing.T, files map[string]string) *image.Image {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	in, err := input.LoadFS(context.Background(), fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	return in.Image
}

func TestChangelog(t *testing.T) {
	prev := compileFiles(t, map[string]string{
		"acme/v1/invoice.proto": `syntax = "proto3";
package acme.v1;
message Invoice {
  string id = 1;
  int64 amount = 7;
  string note = 8;
  repeated string tags = 9;
  oneof payer { string card = 10; }
  enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; STATUS_PAID = 2; }
}
service Billing {
  rpc Get(Invoice) returns (Invoice);
  rpc Old(Invoice) returns (Invoice);
}
`,
		"acme/v1/gone.proto": `syntax = "proto3";
package acme.v1;
message Gone {}
`,
	})
	curr := compileFiles(t, map[string]string{
		"acme/v1/invoice.proto": `syntax = "proto3";
package acme.v1;
message Invoice {
  string id = 1;
  string amount = 7;
  string remark = 8;
  string tags = 9;
  string card = 10;
  map<string, int64> totals = 11;
  enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPENED = 1; STATUS_NEW = 3; }
  message Line { int32 qty = 1; }
}
service Billing {
  rpc Get(Invoice) returns (stream Invoice);
}
`,
	})
	var got []string
	for _, c := range compat.Changelog(prev, curr) {
		got = append(got, fmt.Sprintf("%s %s: %s", c.Kind, c.Element, c.Description))
	}
	wantLines := []string{
		`changed acme.v1.Billing.Get: method "Get" on service "Billing" changed from acme.v1.Invoice → acme.v1.Invoice to acme.v1.Invoice → stream acme.v1.Invoice`,
		`removed acme.v1.Billing.Old: method "Old" on service "Billing" (acme.v1.Invoice → acme.v1.Invoice) removed`,
		`removed acme.v1.Gone: message "Gone" removed`,
		`added acme.v1.Invoice.Line: message "Invoice.Line" added`,
		`added acme.v1.Invoice.Line.qty: field 1 "qty" on message "Invoice.Line" (int32) added`,
		`changed acme.v1.Invoice.STATUS_OPENED: enum value 1 "STATUS_OPEN" on enum "Invoice.Status" renamed to "STATUS_OPENED"`,
		`removed acme.v1.Invoice.STATUS_PAID: enum value 2 "STATUS_PAID" on enum "Invoice.Status" removed`,
		`added acme.v1.Invoice.STATUS_NEW: enum value 3 "STATUS_NEW" on enum "Invoice.Status" added`,
		`changed acme.v1.Invoice.amount: field 7 "amount" on message "Invoice" changed type from int64 to string`,
		`changed acme.v1.Invoice.card: field 10 "card" on message "Invoice" moved from oneof "payer" to no oneof`,
		`removed acme.v1.Invoice.payer: oneof "payer" on message "Invoice" removed`,
		`changed acme.v1.Invoice.remark: field 8 "note" on message "Invoice" renamed to "remark"`,
		`changed acme.v1.Invoice.tags: field 9 "tags" on message "Invoice" changed from repeated to singular`,
		`added acme.v1.Invoice.totals: field 11 "totals" on message "Invoice" (map<string, int64>) added`,
		`removed acme/v1/gone.proto: file acme/v1/gone.proto removed`,
	}
	if !sameLines(got, wantLines) {
		t.Errorf("changelog:\n%s\n\nwant these lines:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	changes := compat.Changelog(prev, curr)
	if !slices.IsSortedFunc(changes, func(a, b compat.Change) int { return strings.Compare(a.Element, b.Element) }) {
		t.Errorf("changes are not sorted by element")
	}
	if c := compat.Changelog(prev, prev); len(c) != 0 {
		t.Errorf("changelog of an image with itself: %v", c)
	}
}

// sameLines reports whether got and want hold the same lines.
func sameLines(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}
