package confluent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"testing/fstest"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/input"
	"github.com/pbregistry/pbregistry/registry"
)

// schemaTypeProtobuf is the one schema type pbregistry stores.
const schemaTypeProtobuf = "PROTOBUF"

// compileTimeout bounds the compile of one registration's files.
const compileTimeout = 30 * time.Second

// schemaRequest is the body of register, lookup and compatibility
// requests.
type schemaRequest struct {
	Schema     string          `json:"schema"`
	SchemaType *string         `json:"schemaType"`
	References []referenceJSON `json:"references"`
	// ID and Version ask for an id and a version, in IMPORT mode.
	ID      *int64 `json:"id,omitempty"`
	Version *int64 `json:"version,omitempty"`
	// Subject, GUID, Metadata and RuleSet are accepted as clients send them;
	// metadata and rule sets are not supported and must be empty.
	Subject  string          `json:"subject,omitempty"`
	GUID     string          `json:"guid,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	RuleSet  json.RawMessage `json:"ruleSet,omitempty"`
}

// referenceJSON is a schema reference as the API writes it.
type referenceJSON struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int64  `json:"version"`
}

// schemaJSON is a subject version as GET …/versions/{v} and lookup
// answer.
type schemaJSON struct {
	Subject    string          `json:"subject,omitempty"`
	Version    int64           `json:"version,omitempty"`
	ID         int64           `json:"id"`
	SchemaType string          `json:"schemaType,omitempty"`
	References []referenceJSON `json:"references,omitempty"`
	Schema     string          `json:"schema"`
}

// candidate is a schema a request carries, checked and resolved.
type candidate struct {
	subject string
	module  string
	text    string
	// refs are the direct references, resolved to module versions.
	refs []registry.SchemaReference
	// files are the imported files, by name: every reference, direct or
	// not, but the well-known types.
	files map[string]string
	// normalize selects the digest of the compiled schema.
	normalize bool
	// img and file are the compiled schema, once compiled.
	img  *image.Image
	file *image.File
	// digest identifies the content, once computed.
	digest string
}

// checkRequest checks what every schema request needs: the type, the
// size, metadata and rule sets.
func (h *Handler) checkRequest(req *schemaRequest) error {
	if req.SchemaType == nil || *req.SchemaType == "" || strings.EqualFold(*req.SchemaType, "AVRO") {
		return fail(codeInvalidSchema, "the schema has no schemaType, which means AVRO, and this registry stores PROTOBUF schemas only: set \"schemaType\": \"PROTOBUF\"")
	}
	if *req.SchemaType != schemaTypeProtobuf {
		return fail(codeInvalidSchema, "schemaType %q is not stored here: this registry stores PROTOBUF schemas only", *req.SchemaType)
	}
	if req.Schema == "" {
		return fail(codeInvalidSchema, "the schema is empty: send the .proto file's text as \"schema\"")
	}
	if len(req.Schema) > h.cfg.MaxSchemaBytes {
		return fail(codeSchemaTooLarge, "the schema is %d bytes, more than the limit of %d (confluent.max_schema_bytes)", len(req.Schema), h.cfg.MaxSchemaBytes)
	}
	for name, raw := range map[string]json.RawMessage{"metadata": req.Metadata, "ruleSet": req.RuleSet} {
		if s := strings.TrimSpace(string(raw)); s != "" && s != "null" && s != "{}" {
			return fail(codeInvalidSchema, "%s is not supported by this registry: leave it out", name)
		}
	}
	if len(req.References) > h.cfg.MaxReferences {
		return fail(codeInvalidSchema, "the schema has %d references, more than the limit of %d (confluent.max_references)", len(req.References), h.cfg.MaxReferences)
	}
	return nil
}

// prepare checks req and resolves its references: the candidate of
// registering req under subject.
func (h *Handler) prepare(ctx context.Context, subject string, req *schemaRequest, normalize bool) (*candidate, error) {
	module, ae := h.moduleOf(subject)
	if ae != nil {
		return nil, ae
	}
	if err := h.checkRequest(req); err != nil {
		return nil, err
	}
	c := &candidate{subject: subject, module: module, text: req.Schema, files: map[string]string{}, normalize: normalize}
	res := &resolver{h: h, main: schemaPath(module), files: c.files, onPath: map[string]bool{}}
	refs, err := res.resolve(ctx, req.References, 1, nil)
	if err != nil {
		return nil, err
	}
	c.refs = refs
	if !normalize {
		c.digest = digestOf(c.text, nil, c.refs)
	}
	return c, nil
}

// compile compiles the candidate with its imports, and computes its
// normalized digest if asked to.
func (h *Handler) compile(ctx context.Context, c *candidate) error {
	if c.img != nil {
		return nil
	}
	main := schemaPath(c.module)
	fsys := fstest.MapFS{main: {Data: []byte(c.text), Mode: 0o444}}
	for name, text := range c.files {
		fsys[name] = &fstest.MapFile{Data: []byte(text), Mode: 0o444}
	}
	cctx, cancel := context.WithTimeout(ctx, compileTimeout)
	defer cancel()
	in, err := input.LoadFS(cctx, fsys, "schema of subject "+c.subject)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cctx.Err() != nil {
			return fail(codeInvalidSchema, "the schema did not compile within %s", compileTimeout)
		}
		var ce *input.CompileError
		if errors.As(err, &ce) {
			return fail(codeInvalidSchema, "Invalid schema: the schema does not compile:\n%s", ce.Error())
		}
		return fail(codeInvalidSchema, "Invalid schema: %v", err)
	}
	c.img = in.Image
	c.file = in.Image.File(main)
	if c.file == nil {
		return fail(codeInvalidSchema, "Invalid schema: the schema compiled to no file")
	}
	if c.normalize {
		fdp := protodesc.ToFileDescriptorProto(c.file.Descriptor)
		fdp.Name = nil
		fdp.SourceCodeInfo = nil
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(fdp)
		if err != nil {
			return fmt.Errorf("normalize the schema: %w", err)
		}
		c.digest = digestOf("", b, c.refs)
	}
	return nil
}

// digestOf is the identity of a schema: its type, its text (or, when
// normalized, its compiled descriptor without names of files, comments
// and layout) and its references.
func digestOf(text string, normalized []byte, refs []registry.SchemaReference) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", schemaTypeProtobuf)
	if normalized != nil {
		fmt.Fprintf(h, "normalized %d\n", len(normalized))
		h.Write(normalized)
	} else {
		fmt.Fprintf(h, "text %d\n", len(text))
		h.Write([]byte(text))
	}
	for _, r := range refs {
		fmt.Fprintf(h, "\nref %d:%s %d:%s %d", len(r.Name), r.Name, len(r.Module), r.Module, r.Version)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resolver resolves the references of a schema: each names a subject
// version whose schema is the imported file, recursively.
type resolver struct {
	h     *Handler
	main  string
	files map[string]string
	// onPath are the module versions on the current chain, for cycles.
	onPath map[string]bool
	count  int
}

// resolve resolves refs at depth (1 for a request's own), chain naming
// the references that led there.
func (r *resolver) resolve(ctx context.Context, refs []referenceJSON, depth int, chain []string) ([]registry.SchemaReference, error) {
	if depth > r.h.cfg.MaxReferenceDepth {
		return nil, fail(codeInvalidSchema, "references nest deeper than %d (confluent.max_reference_depth): %s", r.h.cfg.MaxReferenceDepth, strings.Join(chain, " → "))
	}
	out := make([]registry.SchemaReference, 0, len(refs))
	for i, ref := range refs {
		field := fmt.Sprintf("references[%d]", i)
		if depth > 1 {
			field = "reference " + strings.Join(chain, " → ")
		}
		if err := r.checkName(field, ref.Name); err != nil {
			return nil, err
		}
		module, ae := r.h.moduleOf(ref.Subject)
		if ae != nil {
			return nil, fail(codeInvalidSchema, "%s (%s): %s", field, ref.Name, ae.message)
		}
		b, err := r.h.binding(ctx, module, ref.Version, false)
		if err != nil {
			var e *apiError
			if errors.As(err, &e) && (e.code == codeSubjectNotFound || e.code == codeVersionNotFound || e.code == codeInvalidVersion) {
				return nil, fail(codeInvalidSchema, "Invalid schema: %s %q names subject %q version %d, which does not exist (%s): register the referenced schema first", field, ref.Name, ref.Subject, ref.Version, e.message)
			}
			return nil, err
		}
		resolved := registry.SchemaReference{Name: ref.Name, Module: module, Version: b.Version}
		out = append(out, resolved)
		if err := r.add(ctx, resolved, depth, append(chain, fmt.Sprintf("%s (%s v%d)", ref.Name, ref.Subject, b.Version)), b.SchemaID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// add adds the file of a resolved reference, and its own references.
func (r *resolver) add(ctx context.Context, ref registry.SchemaReference, depth int, chain []string, id int64) error {
	key := fmt.Sprintf("%s@%d", ref.Module, ref.Version)
	if r.onPath[key] {
		return fail(codeInvalidSchema, "Invalid schema: reference cycle: %s", strings.Join(chain, " → "))
	}
	sc, err := r.h.schema(ctx, id)
	if err != nil {
		return fmt.Errorf("read schema %d of %s: %w", id, key, err)
	}
	if have, ok := r.files[ref.Name]; ok {
		if have != sc.Text {
			return fail(codeInvalidSchema, "Invalid schema: two references name the file %q with different schemas (%s): give them distinct names", ref.Name, strings.Join(chain, " → "))
		}
	} else if !isWellKnown(ref.Name) {
		r.count++
		if r.count > r.h.cfg.MaxReferences {
			return fail(codeInvalidSchema, "the schema imports more than %d schemas, directly or not (confluent.max_references)", r.h.cfg.MaxReferences)
		}
		r.files[ref.Name] = sc.Text
	}
	r.onPath[key] = true
	defer delete(r.onPath, key)
	for _, sub := range sc.References {
		if r.onPath[fmt.Sprintf("%s@%d", sub.Module, sub.Version)] {
			subject, _ := r.h.subjectOf(sub.Module)
			return fail(codeInvalidSchema, "Invalid schema: reference cycle: %s → %s (%s v%d)", strings.Join(chain, " → "), sub.Name, subject, sub.Version)
		}
	}
	if depth+1 > r.h.cfg.MaxReferenceDepth && len(sc.References) > 0 {
		return fail(codeInvalidSchema, "references nest deeper than %d (confluent.max_reference_depth): %s", r.h.cfg.MaxReferenceDepth, strings.Join(chain, " → "))
	}
	for _, sub := range sc.References {
		subject, _ := r.h.subjectOf(sub.Module)
		b, err := r.h.ids.GetSchemaBinding(ctx, sub.Module, sub.Version)
		if err != nil {
			return fail(codeInvalidSchema, "Invalid schema: %s imports %q from subject %q version %d, which is gone: %v", strings.Join(chain, " → "), sub.Name, subject, sub.Version, err)
		}
		next := append(chain[:len(chain):len(chain)], fmt.Sprintf("%s (%s v%d)", sub.Name, subject, sub.Version))
		if err := r.checkName("reference "+strings.Join(next, " → "), sub.Name); err != nil {
			return err
		}
		if err := r.add(ctx, sub, depth+1, next, b.SchemaID); err != nil {
			return err
		}
	}
	return nil
}

// checkName refuses a reference name that cannot be an imported file.
func (r *resolver) checkName(field, name string) error {
	switch {
	case name == "":
		return fail(codeInvalidSchema, "%s has no name: name the file the schema imports, e.g. \"acme/common.proto\"", field)
	case !strings.HasSuffix(name, ".proto"):
		return fail(codeInvalidSchema, "%s: name %q is not a .proto file the schema imports", field, name)
	case name == r.main:
		return fail(codeInvalidSchema, "%s: name %q is the name this registry gives the subject's own schema: import it under another name", field, name)
	}
	if err := registry.ValidateFilePath(field+".name", name); err != nil {
		return fail(codeInvalidSchema, "%v", err)
	}
	return nil
}

// isWellKnown reports a file the compiler has built in.
func isWellKnown(name string) bool {
	return strings.HasPrefix(name, "google/protobuf/") && path.Ext(name) == ".proto"
}
