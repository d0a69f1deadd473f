package compat

import "testing"

func TestSummary(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Message: "Field 1 changed type from int32 to int64: " + breaks(Forward) + ".", Directions: Forward}, "Field 1 changed type from int32 to int64."},
		{Finding{Message: "Moved into oneof \"o\": data loses one, so " + breaks(Backward) + ".", Directions: Backward}, "Moved into oneof \"o\": data loses one."},
		{Finding{Message: "File \"a.proto\" was deleted.", Directions: Both}, "File \"a.proto\" was deleted."},
		{Finding{Message: "Odd: " + breaks(Both) + ".", Directions: 0}, "Odd: " + breaks(Both) + "."},
	}
	for _, tt := range tests {
		if got := tt.f.Summary(); got != tt.want {
			t.Errorf("Summary(%q) = %q, want %q", tt.f.Message, got, tt.want)
		}
	}
}
