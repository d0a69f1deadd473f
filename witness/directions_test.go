package witness_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/witness"
)

// layers are the layers of docs/compatibility.md's direction table, each
// with the rule categories that guard it.
var layers = []struct {
	layer witness.Layer
	use   []string
}{
	{witness.Wire, []string{compat.CategoryWire, compat.CategoryWireLossless}},
	{witness.JSON, []string{compat.CategoryWireJSON, compat.CategoryWireJSONLossless}},
}

// conservativeRules are the rules whose break no message written with one
// of the two schemas shows, with why the engine reports them anyway.
var conservativeRules = map[string]string{
	"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED":      "the break needs a later version that reuses the freed number; between these two schemas data reads the same",
	"FIELD_NO_DELETE_UNLESS_NAME_RESERVED":        "the break needs a later version that reuses the freed name (JSON key); between these two schemas data reads the same",
	"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED": "the break needs a later version that reuses the freed number",
	"ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED":   "the break needs a later version that reuses the freed name",
	"RESERVED_ENUM_NO_DELETE":                     "a reservation removed frees numbers and names for a later version to reuse",
	"RESERVED_MESSAGE_NO_DELETE":                  "a reservation removed frees numbers and names for a later version to reuse",
	"ENUM_SAME_JSON_FORMAT":                       "json_format decides whether the compiler checks JSON name conflicts; the JSON of the data is the same",
	"MESSAGE_SAME_JSON_FORMAT":                    "json_format decides whether the compiler checks JSON name conflicts; the JSON of the data is the same",
	"FILE_SAME_PACKAGE":                           "a new package renames every type: type URLs in Any and RPC paths break, not the bytes of a message of the same shape",
	"RPC_SAME_CLIENT_STREAMING":                   "a change of RPC calls, not of message data",
	"RPC_SAME_SERVER_STREAMING":                   "a change of RPC calls, not of message data",
	"RPC_SAME_REQUEST_TYPE":                       "a change of RPC calls, not of message data",
	"RPC_SAME_RESPONSE_TYPE":                      "a change of RPC calls, not of message data",
	"RPC_SAME_IDEMPOTENCY_LEVEL":                  "a change of RPC calls, not of message data",
}

// conservativeCells are single cells where buf's rule, which pbregistry
// follows, is stricter than the data: fixture, layer, direction and why.
var conservativeCells = map[string]string{
	"field-other-message WIRE BACKWARD":              "buf compares a field's message type by name; the fixture's other message has the same fields, so its data reads the same",
	"field-other-message WIRE FORWARD":               "buf compares a field's message type by name; the fixture's other message has the same fields",
	"field-other-message WIRE_JSON BACKWARD":         "buf compares a field's message type by name; the fixture's other message has the same fields",
	"field-other-message WIRE_JSON FORWARD":          "buf compares a field's message type by name; the fixture's other message has the same fields",
	"field-repeated-to-map WIRE FORWARD":             "readers of repeated entries read a map's entries as written; only the other way, duplicate keys collapse",
	"field-json-name WIRE_JSON BACKWARD":             "protojson readers accept a field's proto name as well as its JSON name, and the old JSON name is the proto name",
	"field-rename-keep-json-name WIRE_JSON BACKWARD": "the renamed field keeps the old name as its JSON name, which new readers accept",
}

// conservative reports why a cell whose rules no data shows is reported,
// or "" when it is not a known conservative cell.
func conservative(key string, rules []string) string {
	if why, ok := conservativeCells[key]; ok {
		return why
	}
	var whys []string
	for _, r := range rules {
		why, ok := conservativeRules[r]
		if !ok {
			return ""
		}
		whys = append(whys, why)
	}
	return strings.Join(whys, "; ")
}

// TestDirectionsWitnessed proves every cell of the direction table with
// data: for each change of testdata/directions, each layer and each
// direction, the engine reports a break exactly when witness finds a
// message that the writer writes and the reader reads differently —
// except for the conservative rules listed above, with their reason.
func TestDirectionsWitnessed(t *testing.T) {
	fixtures, _ := filepath.Glob("../testdata/directions/*.txtar")
	if len(fixtures) == 0 {
		t.Fatal("no fixtures in testdata/directions")
	}
	// witnessed collects the rules of the cells a message proves; doc is
	// docs/witnesses.md as the tool writes it.
	witnessed := map[string]bool{}
	var doc strings.Builder
	doc.WriteString(witnessesHeader)
	for _, path := range fixtures {
		id := strings.TrimSuffix(filepath.Base(path), ".txtar")
		fmt.Fprintf(&doc, "\n## %s\n\n", id)
		t.Run(id, func(t *testing.T) {
			prev, curr := loadTxtar(t, path)
			for _, l := range layers {
				for _, dir := range []compat.Direction{compat.Backward, compat.Forward} {
					level := compat.LevelBackward
					writer, reader := prev, curr
					if dir == compat.Forward {
						level, writer, reader = compat.LevelForward, curr, prev
					}
					rules := ruleSet(t, prev, curr, l.use, level)
					w := findAny(writer, reader, l.layer, dir)
					if w == nil && l.layer == witness.JSON {
						// WIRE_JSON guards the binary encoding too.
						w = findAny(writer, reader, witness.Wire, dir)
					}
					key := fmt.Sprintf("%s %s %s", id, l.layer, dir)
					writeCell(&doc, l.layer, dir, rules, w, conservative(key, rules))
					switch {
					case len(rules) > 0 && w == nil:
						if conservative(key, rules) == "" {
							t.Errorf("%s: the engine reports %v, but no message shows the break (if buf's rule is stricter than the data here, list the cell in conservativeCells with why)", key, rules)
						}
					case len(rules) == 0 && w != nil:
						t.Errorf("%s: the engine reports no break, but this message breaks:\n%s", key, w)
					case w != nil:
						for _, r := range rules {
							witnessed[r] = true
						}
						if testing.Verbose() {
							t.Logf("%s: %v\n%s", key, rules, w)
						}
					}
				}
			}
		})
	}
	checkWitnessesDoc(t, doc.String())
	// Every rule of the WIRE and WIRE_JSON categories is proven by a
	// message in some fixture, or is conservative with a reason.
	for _, r := range compat.Rules("v2") {
		if !slices.Contains(r.Categories, compat.CategoryWire) && !slices.Contains(r.Categories, compat.CategoryWireJSON) {
			continue
		}
		if !witnessed[r.ID] && conservativeRules[r.ID] == "" {
			t.Errorf("rule %s (%v) has no witness in testdata/directions: add a fixture whose change it reports", r.ID, r.Categories)
		}
	}
}

var updateWitnesses = flag.Bool("witness.update", false, "rewrite docs/witnesses.md from what the tool finds")

const witnessesHeader = `# Witnesses of the direction table

Each change of [the direction table](compatibility.md#change--layer--direction) —
a fixture under [testdata/directions](../testdata/directions) — with, per
layer and direction, what the engine reports and a message that proves it:
written with one schema, read with the other by google.golang.org/protobuf,
and how the reading differs. Where the engine reports nothing, no message
tried (each field alone with values at the edges of its type, then every
field at once) reads differently. Where the engine reports a break that no
message between these two schemas can show, the reason is given.

Written by the tool itself: ` + "`go test ./witness -run TestDirectionsWitnessed -witness.update`" + `;
the test fails when this file and the tool disagree.
`

// writeCell writes one layer × direction of a fixture to the doc.
func writeCell(doc *strings.Builder, layer witness.Layer, dir compat.Direction, rules []string, w *witness.Witness, why string) {
	name := "BACKWARD"
	if dir == compat.Forward {
		name = "FORWARD"
	}
	switch {
	case len(rules) == 0:
		fmt.Fprintf(doc, "- %s %s: compatible.\n", layer, name)
	case w == nil:
		fmt.Fprintf(doc, "- %s %s: %s — no message shows it: %s.\n", layer, name, strings.Join(rules, ", "), why)
	default:
		fmt.Fprintf(doc, "- %s %s: %s\n\n  ```\n  %s\n  ```\n\n", layer, name, strings.Join(rules, ", "), strings.ReplaceAll(w.String(), "\n", "\n  "))
	}
}

// checkWitnessesDoc compares docs/witnesses.md with got, or writes it
// with -witness.update.
func checkWitnessesDoc(t *testing.T, got string) {
	t.Helper()
	const path = "../docs/witnesses.md"
	if *updateWitnesses {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: write it with go test ./witness -run TestDirectionsWitnessed -witness.update", err)
	}
	if string(want) != got {
		t.Errorf("docs/witnesses.md is not what the tool finds: run go test ./witness -run TestDirectionsWitnessed -witness.update and review the diff")
	}
}

// findAny looks for a witness in every message both images declare.
func findAny(writer, reader *image.Image, layer witness.Layer, dir compat.Direction) *witness.Witness {
	wi, ri := image.NewIndex(writer), image.NewIndex(reader)
	var names []string
	for _, f := range writer.Files() {
		if f.IsImport {
			continue
		}
		collect(f.Descriptor.Messages(), &names)
	}
	sort.Strings(names)
	for _, n := range names {
		wm, rm := wi.Message(protoreflect.FullName(n)), ri.Message(protoreflect.FullName(n))
		if wm == nil || rm == nil || wm.IsMapEntry() {
			continue
		}
		if w := witness.Find(wm, rm, layer, dir, witness.Options{Lossless: true}); w != nil {
			return w
		}
	}
	// Enums through carriers: a field of the writer's enum read as a
	// field of the reader's.
	for _, f := range writer.Files() {
		if f.IsImport {
			continue
		}
		enums := f.Descriptor.Enums()
		for i := 0; i < enums.Len(); i++ {
			re, ok := ri.Lookup(enums.Get(i).FullName()).(protoreflect.EnumDescriptor)
			if !ok {
				continue
			}
			wc, err := witness.Carrier(enums.Get(i))
			if err != nil {
				panic(err)
			}
			rc, err := witness.Carrier(re)
			if err != nil {
				panic(err)
			}
			if w := witness.Find(wc, rc, layer, dir, witness.Options{Lossless: true}); w != nil {
				return w
			}
		}
	}
	return nil
}

func collect(msgs protoreflect.MessageDescriptors, out *[]string) {
	for i := 0; i < msgs.Len(); i++ {
		*out = append(*out, string(msgs.Get(i).FullName()))
		collect(msgs.Get(i).Messages(), out)
	}
}

func ruleSet(t *testing.T, prev, curr *image.Image, use []string, level compat.Level) []string {
	t.Helper()
	findings, err := compat.Check(prev, curr, compat.Config{Use: use, Level: level})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.Rule)
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// loadTxtar compiles the previous/ and current/ files of a txtar archive
// with the built-in compiler.
func loadTxtar(t *testing.T, path string) (prev, curr *image.Image) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sides := map[string]fstest.MapFS{"previous/": {}, "current/": {}}
	var name string
	var content strings.Builder
	flush := func() {
		for prefix, fsys := range sides {
			if rel, ok := strings.CutPrefix(name, prefix); ok {
				fsys[rel] = &fstest.MapFile{Data: []byte(content.String())}
			}
		}
		content.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") {
			flush()
			name = strings.TrimSuffix(strings.TrimPrefix(trimmed, "-- "), " --")
			continue
		}
		content.WriteString(line)
	}
	flush()
	load := func(prefix string) *image.Image {
		in, err := input.LoadFS(context.Background(), sides[prefix], path+" "+prefix)
		if err != nil {
			t.Fatalf("compile %s: %v", prefix, err)
		}
		return in.Image
	}
	return load("previous/"), load("current/")
}
