package lakehouse

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// NewTable returns the column model of latest, the version to generate
// for, given its history: earlier descriptors of the same message, oldest
// first (nil when there is none). key lists the primary key's fields as
// pbregistry.yaml's primary_key does: field names, or dotted paths through
// singular message fields ("key.id"); it may be empty for models without
// a key.
//
// Fields are matched across versions by number. A number present in some
// version but not in latest becomes a deprecated column.
func NewTable(latest protoreflect.MessageDescriptor, history []protoreflect.MessageDescriptor, key []string) (*Table, error) {
	if latest == nil {
		return nil, errorf(CodeInvalidArgument, "", "no message to generate for")
	}
	subject := string(latest.FullName())
	versions := append(slices.Clone(history), latest)
	for i, h := range history {
		if h == nil {
			return nil, errorf(CodeInvalidArgument, subject, "history entry %d is nil", i)
		}
	}
	t := &Table{Message: latest.FullName(), Descriptor: latest, Name: ShortName(SnakeCase(string(latest.Name())), MaxNameLen), Versions: len(versions)}
	versions = compact(versions)
	history = versions[:len(versions)-1]
	used := map[string]*Column{}
	add := func(c *Column) error {
		if other := used[c.Name]; other != nil {
			return errorf(CodeFailedPrecondition, subject, "columns for field %d and field %d are both named %q: rename one of the fields",
				other.Path[len(other.Path)-1].Number, c.Path[len(c.Path)-1].Number, c.Name)
		}
		used[c.Name] = c
		t.Columns = append(t.Columns, c)
		return nil
	}

	// The primary key first.
	keyPaths := map[protoreflect.FieldNumber]bool{}
	for _, k := range key {
		c, err := keyColumn(subject, versions, k)
		if err != nil {
			return nil, err
		}
		if len(c.Path) == 1 {
			keyPaths[c.Path[0].Number] = true
		}
		if err := add(c); err != nil {
			return nil, err
		}
		t.Key = append(t.Key, c)
	}

	// Then every field of latest, in declaration order.
	byNumber := fieldsByNumber(versions)
	fields := latest.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if keyPaths[f.Number()] {
			continue
		}
		c := leafColumnOf(byNumber[f.Number()])
		c.InAllVersions = len(byNumber[f.Number()]) == len(versions)
		if err := add(c); err != nil {
			return nil, err
		}
	}

	// Then the deleted fields, by number.
	var deleted []protoreflect.FieldNumber
	for n, fds := range byNumber {
		if fds[0].Parent() != latest {
			deleted = append(deleted, n)
		}
	}
	slices.Sort(deleted)
	for _, n := range deleted {
		c := leafColumnOf(byNumber[n])
		c.Deprecated = true
		if used[c.Name] != nil {
			c.Name = ShortName(c.Name+"__"+strconv.Itoa(int(n)), MaxNameLen)
		}
		if err := add(c); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// fieldsByNumber returns the fields of versions (oldest first) by number,
// each list newest first: one pass over every field of every version.
func fieldsByNumber(versions []protoreflect.MessageDescriptor) map[protoreflect.FieldNumber][]protoreflect.FieldDescriptor {
	out := map[protoreflect.FieldNumber][]protoreflect.FieldDescriptor{}
	for i := len(versions) - 1; i >= 0; i-- {
		if versions[i] == nil {
			continue
		}
		fields := versions[i].Fields()
		for j := 0; j < fields.Len(); j++ {
			f := fields.Get(j)
			out[f.Number()] = append(out[f.Number()], f)
		}
	}
	return out
}

// leafColumnOf returns the column of a top-level field over versions, fds
// newest first.
func leafColumnOf(fds []protoreflect.FieldDescriptor) *Column {
	return leafColumn(Path{stepOf(fds)}, fds)
}

// leafColumn returns the column at path whose leaf field is fds, newest
// first.
func leafColumn(path Path, fds []protoreflect.FieldDescriptor) *Column {
	f := fds[0]
	names := make([]string, len(path))
	for i, s := range path {
		names[i] = SnakeCase(s.Names[0])
	}
	c := &Column{
		Name:     ShortName(strings.Join(names, "__"), MaxNameLen),
		Path:     path,
		Field:    f,
		Kind:     KindOf(f),
		Presence: f.HasPresence(),
		Comment:  comment(f),
	}
	if c.Kind == KindEnum {
		c.Enum = enumOf(fds)
	}
	return c
}

// stepOf returns the step of one field over versions, fds newest first.
func stepOf(fds []protoreflect.FieldDescriptor) Step {
	s := Step{Number: fds[0].Number(), Field: fds[0]}
	for i, f := range fds {
		if i > 0 && f.Name() == fds[i-1].Name() && f.JSONName() == fds[i-1].JSONName() {
			continue // as the version before
		}
		if name := string(f.Name()); !slices.Contains(s.Names, name) {
			s.Names = append(s.Names, name)
		}
		for _, k := range []string{f.JSONName(), string(f.Name())} {
			if !slices.Contains(s.JSONKeys, k) {
				s.JSONKeys = append(s.JSONKeys, k)
			}
		}
	}
	return s
}

// enumOf returns the enum of the enum-typed fields among fds (newest
// first) over history.
func enumOf(fds []protoreflect.FieldDescriptor) *Enum {
	e := &Enum{FullName: fds[0].Enum().FullName()}
	byNumber := map[protoreflect.EnumNumber]*EnumValue{}
	for i, f := range fds {
		if f.Kind() != protoreflect.EnumKind {
			continue
		}
		values := f.Enum().Values()
		for j := 0; j < values.Len(); j++ {
			v := values.Get(j)
			ev := byNumber[v.Number()]
			if ev == nil {
				ev = &EnumValue{Number: v.Number(), Name: string(values.ByNumber(v.Number()).Name()), Deprecated: i > 0}
				byNumber[v.Number()] = ev
			}
			if !slices.Contains(ev.Names, string(v.Name())) {
				ev.Names = append(ev.Names, string(v.Name()))
			}
		}
	}
	for _, v := range byNumber {
		e.Values = append(e.Values, *v)
	}
	slices.SortFunc(e.Values, func(a, b EnumValue) int { return int(a.Number) - int(b.Number) })
	return e
}

// keyColumn resolves one primary key path against the latest version and
// follows its field numbers through the history.
func keyColumn(subject string, versions []protoreflect.MessageDescriptor, key string) (*Column, error) {
	latest := versions[len(versions)-1]
	parts := strings.Split(key, ".")
	var numbers []protoreflect.FieldNumber
	msg := latest
	for i, p := range parts {
		f := msg.Fields().ByName(protoreflect.Name(p))
		if f == nil {
			return nil, errorf(CodeNotFound, subject, "primary_key %q: %s has no field %q: use field names of the message, or dotted paths like key.id", key, msg.FullName(), p)
		}
		if f.IsList() || f.IsMap() {
			return nil, errorf(CodeInvalidArgument, subject, "primary_key %q: field %s is repeated: a key must be a singular field", key, f.FullName())
		}
		numbers = append(numbers, f.Number())
		if i == len(parts)-1 {
			if !KindOf(f).Scalar() {
				return nil, errorf(CodeInvalidArgument, subject, "primary_key %q: field %s is a %s, not a scalar: point the key at a scalar field", key, f.FullName(), f.Kind())
			}
			break
		}
		if f.Kind() != protoreflect.MessageKind {
			return nil, errorf(CodeInvalidArgument, subject, "primary_key %q: field %s is not a message, so %q cannot follow it", key, f.FullName(), parts[i+1])
		}
		msg = f.Message()
	}
	// Every step's field over the versions, newest first.
	steps := make([][]protoreflect.FieldDescriptor, len(numbers))
	for v := len(versions) - 1; v >= 0; v-- {
		m := versions[v]
		for i, n := range numbers {
			if m == nil {
				break
			}
			f := m.Fields().ByNumber(n)
			if f == nil {
				break
			}
			steps[i] = append(steps[i], f)
			if i < len(numbers)-1 {
				m = f.Message()
			}
		}
	}
	path := make(Path, len(numbers))
	for i, fds := range steps {
		path[i] = stepOf(fds)
	}
	c := leafColumn(path, steps[len(steps)-1])
	c.Key = true
	c.InAllVersions = len(steps[len(steps)-1]) == len(versions)
	return c, nil
}

// comment returns f's leading comment, trimmed.
func comment(f protoreflect.FieldDescriptor) string {
	loc := f.ParentFile().SourceLocations().ByDescriptor(f)
	return strings.TrimSpace(loc.LeadingComments)
}

// compact drops each version whose descriptor is the same as the one
// before it (a module version that left the message alone): it adds
// nothing to the model, and long histories repeat descriptors.
func compact(versions []protoreflect.MessageDescriptor) []protoreflect.MessageDescriptor {
	out := versions[:0:0]
	for i, v := range versions {
		if i > 0 && v == versions[i-1] {
			continue
		}
		out = append(out, v)
	}
	return out
}
