package labels

import (
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		stored string
	}{
		{"nil", nil, "{}"},
		{"empty", map[string]string{}, "{}"},
		{"two, sorted", map[string]string{"team": "b", "area": "a"}, `{"area":"a","team":"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Encode(tt.labels)
			if s != tt.stored {
				t.Fatalf("Encode = %q, want %q", s, tt.stored)
			}
			got, err := Decode(s)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.labels
			if len(want) == 0 {
				want = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode = %v, want %v", got, want)
			}
		})
	}
	if _, err := Decode(`["a"]`); err == nil || !strings.Contains(err.Error(), `decode labels "[\"a\"]"`) {
		t.Errorf("Decode of a list: err = %v", err)
	}
}
