package registry

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Page sizes.
const (
	// DefaultPageSize is the page size of a PageRequest with Size 0.
	DefaultPageSize = 100
	// MaxPageSize is the largest page size.
	MaxPageSize = 1000
)

// PageRequest asks for one page of a list.
type PageRequest struct {
	// Size is the most items to return; 0 means DefaultPageSize.
	Size int
	// Token is the NextPageToken of the previous page, empty for the
	// first page.
	Token string
}

// Limit returns the page size to use, or an *InvalidArgumentError.
func (p PageRequest) Limit() (int, error) {
	switch {
	case p.Size < 0 || p.Size > MaxPageSize:
		return 0, invalid("page_size", "page size %d is not between 0 and %d", p.Size, MaxPageSize)
	case p.Size == 0:
		return DefaultPageSize, nil
	}
	return p.Size, nil
}

// Page is one page of a list.
type Page[T any] struct {
	// Items are the page's items.
	Items []T
	// NextPageToken fetches the next page; it is empty on the last page.
	NextPageToken string
}

// EncodePageToken returns the opaque page token for a list of kind kind
// (e.g. "modules") that resumes after cursor. Stores use it for keyset
// pagination.
func EncodePageToken(kind, cursor string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + cursor))
}

// DecodePageToken returns the cursor of a token EncodePageToken made for
// kind. An empty token yields an empty cursor; a token of another kind or
// a corrupt one yields an *InvalidArgumentError.
func DecodePageToken(kind, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", invalid("page_token", "page token %q is corrupt: pass the NextPageToken of the previous page", Truncate(token, 128))
	}
	cursor, ok := strings.CutPrefix(string(b), kind+":")
	if !ok {
		return "", invalid("page_token", "page token %q belongs to another list", Truncate(token, 128))
	}
	return cursor, nil
}

// DecodePageTokenInt is DecodePageToken for integer cursors, such as
// version numbers. An empty token yields 0.
func DecodePageTokenInt(kind, token string) (int64, error) {
	cursor, err := DecodePageToken(kind, token)
	if err != nil || cursor == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid("page_token", "page token %q is corrupt: pass the NextPageToken of the previous page", Truncate(token, 128))
	}
	return n, nil
}

// ListPage reads one page of a list of kind (e.g. "modules") paginated by
// a string key, for a store: it checks page's size and token, calls fetch
// with the token's cursor ("" on the first page) and the number of rows to
// read — one more than the page size, so that the extra row tells whether
// another page follows — and cuts what fetch returned to the page, whose
// NextPageToken resumes after the key of its last item. Errors of page and
// of fetch are returned as they are, for the store to wrap.
func ListPage[T any](kind string, page PageRequest, fetch func(cursor string, rows int) ([]T, error), key func(T) string) (Page[T], error) {
	limit, err := page.Limit()
	if err != nil {
		return Page[T]{}, err
	}
	cursor, err := DecodePageToken(kind, page.Token)
	if err != nil {
		return Page[T]{}, err
	}
	items, err := fetch(cursor, limit+1)
	if err != nil {
		return Page[T]{}, err
	}
	return cutPage(kind, items, limit, key), nil
}

// ListPageInt is ListPage for lists paginated by an integer key, such as
// version numbers; the first page's cursor is 0.
func ListPageInt[T any](kind string, page PageRequest, fetch func(cursor int64, rows int) ([]T, error), key func(T) int64) (Page[T], error) {
	limit, err := page.Limit()
	if err != nil {
		return Page[T]{}, err
	}
	cursor, err := DecodePageTokenInt(kind, page.Token)
	if err != nil {
		return Page[T]{}, err
	}
	items, err := fetch(cursor, limit+1)
	if err != nil {
		return Page[T]{}, err
	}
	return cutPage(kind, items, limit, func(t T) string { return strconv.FormatInt(key(t), 10) }), nil
}

// cutPage returns the first limit items as a page, with a NextPageToken
// after the last one's key when there are more.
func cutPage[T any](kind string, items []T, limit int, key func(T) string) Page[T] {
	out := Page[T]{Items: items}
	if len(items) > limit {
		out.Items = items[:limit]
		out.NextPageToken = EncodePageToken(kind, key(out.Items[limit-1]))
	}
	return out
}
