package lakehouse

import "slices"

// Default bounds of the history the generators are given (registryd's
// lakehouse: max_history_versions and max_history_bytes, and the dbt
// stacks' packages).
const (
	// DefaultHistoryVersions is the most earlier versions read.
	DefaultHistoryVersions = 256
	// DefaultHistoryBytes is the most stored descriptor-set bytes of the
	// earlier versions read, in all.
	DefaultHistoryBytes = 16 << 20
)

// HistoryBounds bound the earlier versions read as a history.
type HistoryBounds struct {
	// Versions is the most versions read.
	Versions int
	// Bytes is the most stored bytes read, in all.
	Bytes int
}

// ReadHistory reads versions last down to first as a history, newest
// first within b: read returns a version's stored bytes and decode turns
// them into a T. It stops before the version that would exceed b.Versions
// or b.Bytes, the older ones left out and truncated true. items and their
// numbers are returned oldest first. Errors of read and decode are
// returned as they are, for the caller to wrap.
func ReadHistory[T any](first, last int64, b HistoryBounds, read func(n int64) ([]byte, error), decode func(n int64, data []byte) (T, error)) (items []T, numbers []int64, truncated bool, err error) {
	total := 0
	for n := last; n >= first; n-- {
		if len(items) == b.Versions {
			truncated = true
			break
		}
		data, err := read(n)
		if err != nil {
			return nil, nil, false, err
		}
		if total+len(data) > b.Bytes {
			truncated = true
			break
		}
		total += len(data)
		item, err := decode(n, data)
		if err != nil {
			return nil, nil, false, err
		}
		items = append(items, item)
		numbers = append(numbers, n)
	}
	slices.Reverse(items)
	slices.Reverse(numbers)
	return items, numbers, truncated, nil
}
