package lakehouse

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Options tune [NewTableWith].
type Options struct {
	// NestedDepth is how many levels of singular message fields are
	// flattened into columns named parent__child: 0 keeps every message
	// field as one JSON column (as [NewTable] does), 1 flattens the fields
	// of top-level messages, 2 those of their messages too, and so on.
	// Well-known types (google.protobuf.*) are never flattened, and a
	// message field deleted in a later version stays one JSON column.
	NestedDepth int
}

// NewTableWith is [NewTable] with options: with a NestedDepth, every
// singular message field of the latest version within the depth is
// replaced by a column per field of the message over its history (fields
// deleted from the nested message stay, deprecated), named parent__child.
func NewTableWith(latest protoreflect.MessageDescriptor, history []protoreflect.MessageDescriptor, key []string, opts Options) (*Table, error) {
	t, err := NewTable(latest, history, key)
	if err != nil || opts.NestedDepth <= 0 {
		return t, err
	}
	versions := compact(append(slices.Clone(history), latest))
	keys := map[string]bool{}
	for _, k := range t.Key {
		keys[numbersOf(k.Path)] = true
	}
	used := map[string]bool{}
	for _, c := range t.Columns {
		used[c.Name] = true
	}
	var cols []*Column
	for _, c := range t.Columns {
		if c.Key || !flattenable(c) {
			cols = append(cols, c)
			continue
		}
		delete(used, c.Name)
		children, err := expand(t, versions, c.Path, c.Deprecated, opts.NestedDepth-1, keys, used)
		if err != nil {
			return nil, err
		}
		cols = append(cols, children...)
	}
	t.Columns = cols
	return t, nil
}

// flattenable reports whether c is a singular message field that is not a
// well-known type, and not deleted.
func flattenable(c *Column) bool {
	f := c.Field
	return !c.Deprecated && c.Kind == KindJSON && !f.IsList() && !f.IsMap() &&
		(f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind) &&
		f.Message().ParentFile().Package() != "google.protobuf"
}

// expand returns the columns of the message at path over versions: the
// latest message's fields in declaration order, then its deleted fields
// by number; message fields are expanded again while depth lasts.
func expand(t *Table, versions []protoreflect.MessageDescriptor, path Path, parentDeprecated bool, depth int, keys, used map[string]bool) ([]*Column, error) {
	msgs := messagesAt(versions, path) // oldest first, nil where absent
	latest := msgs[len(msgs)-1]
	var numbers []protoreflect.FieldNumber
	for i := 0; i < latest.Fields().Len(); i++ {
		numbers = append(numbers, latest.Fields().Get(i).Number())
	}
	byNumber := fieldsByNumber(msgs)
	var deleted []protoreflect.FieldNumber
	for n, fds := range byNumber {
		if fds[0].Parent() != latest {
			deleted = append(deleted, n)
		}
	}
	slices.Sort(deleted)
	var out []*Column
	for _, n := range append(numbers, deleted...) {
		fds := byNumber[n] // newest first
		p := append(slices.Clone(path), stepOf(fds))
		if keys[numbersOf(p)] {
			continue // already a key column
		}
		c := leafColumn(p, fds)
		c.Deprecated = parentDeprecated || fds[0].Parent() != latest
		c.InAllVersions = len(fds) == len(versions)
		if depth > 0 && flattenable(c) {
			children, err := expand(t, versions, p, c.Deprecated, depth-1, keys, used)
			if err != nil {
				return nil, err
			}
			out = append(out, children...)
			continue
		}
		if used[c.Name] {
			if c.Deprecated {
				c.Name = ShortName(c.Name+"__"+numbersOf(p[len(p)-1:]), MaxNameLen)
			}
			if used[c.Name] {
				return nil, errorf(CodeFailedPrecondition, string(t.Message), "flattening the nested field %s gives column %q, which another column has: flatten fewer levels, or rename the field", c.Field.FullName(), c.Name)
			}
		}
		used[c.Name] = true
		out = append(out, c)
	}
	return out, nil
}

// messagesAt returns, for each version (oldest first), the message type of
// the field at path, or nil where the version has no message field there.
func messagesAt(versions []protoreflect.MessageDescriptor, path Path) []protoreflect.MessageDescriptor {
	out := make([]protoreflect.MessageDescriptor, len(versions))
	for i, m := range versions {
		for _, s := range path {
			if m == nil {
				break
			}
			f := m.Fields().ByNumber(s.Number)
			if f == nil || f.IsList() || f.IsMap() || (f.Kind() != protoreflect.MessageKind && f.Kind() != protoreflect.GroupKind) {
				m = nil
				break
			}
			m = f.Message()
		}
		out[i] = m
	}
	return out
}

// numbersOf returns path's field numbers joined by dots.
func numbersOf(path Path) string {
	parts := make([]string, len(path))
	for i, s := range path {
		parts[i] = strconv.Itoa(int(s.Number))
	}
	return strings.Join(parts, ".")
}
