package lakehouse_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pbregistry/pbregistry/lakehouse"
)

// TestReadHistory reads versions whose stored size is their number of
// bytes, and checks which are kept (the newest, oldest first) and whether
// the history says it is truncated.
func TestReadHistory(t *testing.T) {
	tests := []struct {
		name          string
		first, last   int64
		bounds        lakehouse.HistoryBounds
		want          []int64
		wantTruncated bool
	}{
		{"all", 1, 5, lakehouse.HistoryBounds{Versions: 10, Bytes: 100}, []int64{1, 2, 3, 4, 5}, false},
		{"none to read", 1, 0, lakehouse.HistoryBounds{Versions: 10, Bytes: 100}, nil, false},
		{"range", 3, 4, lakehouse.HistoryBounds{Versions: 10, Bytes: 100}, []int64{3, 4}, false},
		{"version bound", 1, 5, lakehouse.HistoryBounds{Versions: 2, Bytes: 100}, []int64{4, 5}, true},
		{"version bound exactly met", 1, 2, lakehouse.HistoryBounds{Versions: 2, Bytes: 100}, []int64{1, 2}, false},
		{"byte bound", 1, 5, lakehouse.HistoryBounds{Versions: 10, Bytes: 9}, []int64{4, 5}, true},
		{"byte bound exactly met", 1, 5, lakehouse.HistoryBounds{Versions: 10, Bytes: 15}, []int64{1, 2, 3, 4, 5}, false},
		{"newest alone too large", 1, 5, lakehouse.HistoryBounds{Versions: 10, Bytes: 4}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, numbers, truncated, err := lakehouse.ReadHistory(tt.first, tt.last, tt.bounds,
				func(n int64) ([]byte, error) { return make([]byte, n), nil },
				func(n int64, data []byte) (string, error) { return fmt.Sprintf("v%d:%d", n, len(data)), nil })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(numbers, tt.want) || truncated != tt.wantTruncated {
				t.Fatalf("numbers %v truncated %v, want %v %v", numbers, truncated, tt.want, tt.wantTruncated)
			}
			for i, n := range numbers {
				if want := fmt.Sprintf("v%d:%d", n, n); items[i] != want {
					t.Errorf("item %d = %q, want %q", i, items[i], want)
				}
			}
		})
	}
}

// TestReadHistoryErrors checks that an error of read or decode comes back
// as it is, with nothing read.
func TestReadHistoryErrors(t *testing.T) {
	boom := errors.New("boom")
	b := lakehouse.HistoryBounds{Versions: 10, Bytes: 100}
	tests := []struct {
		name            string
		readErr, decErr int64 // the version whose read or decode fails
	}{
		{"read", 3, 0},
		{"decode", 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, numbers, _, err := lakehouse.ReadHistory(1, 5, b,
				func(n int64) ([]byte, error) {
					if n == tt.readErr {
						return nil, boom
					}
					return []byte{1}, nil
				},
				func(n int64, _ []byte) (int64, error) {
					if n == tt.decErr {
						return 0, boom
					}
					return n, nil
				})
			if err != boom || items != nil || numbers != nil {
				t.Fatalf("= %v, %v, %v; want boom and nothing", items, numbers, err)
			}
		})
	}
}
