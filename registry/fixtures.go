package registry

import (
	"context"
	"fmt"
	"path"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// Fixtures are sample data a module carries for its subjects, pushed and
// stored beside its .proto files at testdata/<subject>/<name>.json
// (protobuf JSON) or testdata/<subject>/<name>.binpb (protobuf binary),
// where <subject> is the subject's fully-qualified message name. The
// check stage parses each pushed fixture against its subject's message in
// the pushed schema: one that does not parse, or one under a directory
// that names no subject in force, refuses the push. The fixtures of the
// baseline version that the push no longer carries must still parse
// under the pushed schema: each that does not is a blocking finding of
// rule RuleFixtureStillParses, which an exception may approve.

// FixtureDir is the directory of a module's fixtures, beside
// pbregistry.yaml.
const FixtureDir = "testdata"

// RuleFixtureStillParses is the rule of a fixture of the baseline version
// that no longer parses under the pushed schema. Its element is the
// fixture's subject (its location the fixture's path), so one exception
// approves the broken fixtures of one subject for one push's content.
const RuleFixtureStillParses = "FIXTURE_STILL_PARSES"

// fixtureExts are the fixtures' file extensions.
var fixtureExts = []string{".json", ".binpb"}

// FixtureSubject returns the subject a fixture path belongs to, and
// whether p is a fixture path at all: testdata/<subject>/<name>.json or
// .binpb, exactly one directory deep.
func FixtureSubject(p string) (string, bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] != FixtureDir || parts[1] == "" || parts[2] == "" {
		return "", false
	}
	ext := path.Ext(parts[2])
	if ext != ".json" && ext != ".binpb" || len(parts[2]) == len(ext) {
		return "", false
	}
	return parts[1], true
}

// parseFixture parses a fixture's content against md: protobuf JSON
// (unknown fields refused) or protobuf binary (unknown fields refused too,
// since a field the schema no longer has is data it cannot read).
func parseFixture(p string, content []byte, md protoreflect.MessageDescriptor) error {
	msg := dynamicpb.NewMessage(md)
	if strings.HasSuffix(p, ".json") {
		return protojson.UnmarshalOptions{}.Unmarshal(content, msg)
	}
	if err := (proto.UnmarshalOptions{}).Unmarshal(content, msg); err != nil {
		return err
	}
	if unknown := firstUnknown(msg.ProtoReflect()); unknown != "" {
		return fmt.Errorf("it holds fields %s does not declare", unknown)
	}
	return nil
}

// firstUnknown returns the name of the first message (m or one nested in
// it) that holds unknown fields, or "".
func firstUnknown(m protoreflect.Message) string {
	if len(m.GetUnknown()) > 0 {
		return string(m.Descriptor().FullName())
	}
	found := ""
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					found = firstUnknown(mv.Message())
					return found == ""
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i := 0; i < v.List().Len() && found == ""; i++ {
					found = firstUnknown(v.List().Get(i).Message())
				}
			}
		case fd.Message() != nil:
			found = firstUnknown(v.Message())
		}
		return found == ""
	})
	return found
}

// checkFixtures checks the fixtures of push p against its image: every
// pushed fixture must parse (else an *InvalidArgumentError naming the
// file), and every fixture of the baseline version the push does not
// carry again must still parse (else a RuleFixtureStillParses finding).
func (s *Service) checkFixtures(ctx context.Context, p *prepared, base baseline, subjects []SubjectSpec) ([]Finding, error) {
	inForce := make(map[string]bool, len(subjects))
	for _, subj := range subjects {
		inForce[subj.Name] = true
	}
	idx := image.NewIndex(p.image)
	pushed := map[string]bool{}
	for i, f := range p.files {
		subject, ok := FixtureSubject(f.Path)
		if !ok {
			if strings.HasPrefix(f.Path, FixtureDir+"/") && !strings.HasSuffix(f.Path, ".proto") {
				return nil, invalid(fmt.Sprintf("files[%d].path", i), "fixture %s is not at %s/<subject>/<name>.json or .binpb: move it there, named by its subject's full message name", f.Path, FixtureDir)
			}
			continue
		}
		pushed[f.Path] = true
		if !inForce[subject] {
			return nil, invalid(fmt.Sprintf("files[%d].path", i), "fixture %s: %s is not a subject of module %s: name the directory after a subject declared in %s (its full message name), or declare %s as a subject", f.Path, Truncate(subject, 256), p.module, ConfigFileName, Truncate(subject, 256))
		}
		md := idx.Message(protoreflect.FullName(subject))
		if md == nil {
			return nil, invalid(fmt.Sprintf("files[%d].path", i), "fixture %s: the pushed schema has no message %s: push the message or remove the fixture", f.Path, subject)
		}
		if err := parseFixture(f.Path, f.Content, md); err != nil {
			return nil, invalid(fmt.Sprintf("files[%d].content", i), "fixture %s does not parse as %s: %v: fix the fixture or the schema", f.Path, subject, err)
		}
	}
	if base.version == 0 {
		return nil, nil
	}
	old, err := s.store.GetFiles(ctx, p.module, base.version)
	if err != nil {
		return nil, fmt.Errorf("check push %s: read the fixtures of version %d: %w", p.module, base.version, err)
	}
	var findings []Finding
	for _, f := range old {
		subject, ok := FixtureSubject(f.Path)
		if !ok || pushed[f.Path] {
			continue
		}
		problem := ""
		if md := idx.Message(protoreflect.FullName(subject)); md == nil {
			problem = fmt.Sprintf("the pushed schema has no message %s", subject)
		} else if err := parseFixture(f.Path, f.Content, md); err != nil {
			problem = err.Error()
		}
		if problem == "" {
			continue
		}
		findings = append(findings, Finding{Subject: subject, Finding: compat.Finding{
			Rule: RuleFixtureStillParses, Element: subject, Severity: compat.SeverityError,
			Location: compat.Location{Path: f.Path},
			Message: fmt.Sprintf("fixture %s of version %d no longer parses as %s: %s: keep the schema able to read it, push an updated fixture at the same path, or ask for an exception",
				f.Path, base.version, subject, problem),
		}})
	}
	return findings, nil
}
