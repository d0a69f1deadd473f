package server

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/auth"
	"github.com/pbregistry/pbregistry/config"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
	"github.com/pbregistry/pbregistry/lakehouse/pgddl"
	"github.com/pbregistry/pbregistry/policies"
	"github.com/pbregistry/pbregistry/registry"
)

// Default bounds of the history the lakehouse RPCs read: the earlier
// versions of a module whose deleted fields and old JSON keys a generated
// model or pbtable keeps. registryd's configuration sets them
// (lakehouse: max_history_versions, max_history_bytes). The newest
// versions are read first; older ones beyond either bound are left out
// and the response says so (history_truncated, and the header
// X-Pbregistry-History-Truncated on downloads), naming the key to raise.
const (
	// MaxLakehouseHistoryVersions is the default of the most earlier
	// versions read.
	MaxLakehouseHistoryVersions = lakehouse.DefaultHistoryVersions
	// MaxLakehouseHistoryBytes is the default of the most descriptor-set
	// bytes read for the earlier versions, all together. Decoding and
	// generating cost tens of bytes allocated per distinct stored byte
	// (TestLakehouseHistoryBound logs the figure).
	MaxLakehouseHistoryBytes = lakehouse.DefaultHistoryBytes
	// maxLakehouseHistoryBytesCap is the largest max_history_bytes
	// accepted: the history is held in memory while a request runs.
	maxLakehouseHistoryBytesCap = 1 << 30
	// maxLakehouseHistoryVersionsCap is the largest max_history_versions
	// accepted.
	maxLakehouseHistoryVersionsCap = 100_000
)

// LakehouseConfig is registryd's lakehouse: section: how much history the
// dbt and pbtable RPCs read. Zero values take the defaults.
type LakehouseConfig struct {
	// MaxHistoryVersions is the most earlier versions read (default
	// MaxLakehouseHistoryVersions).
	MaxHistoryVersions int `yaml:"max_history_versions"`
	// MaxHistoryBytes is the most stored descriptor-set bytes of the
	// earlier versions read, all together (default
	// MaxLakehouseHistoryBytes).
	MaxHistoryBytes int `yaml:"max_history_bytes"`
}

// withDefaults returns c with each zero replaced by its default.
func (c LakehouseConfig) withDefaults() LakehouseConfig {
	if c.MaxHistoryVersions == 0 {
		c.MaxHistoryVersions = MaxLakehouseHistoryVersions
	}
	if c.MaxHistoryBytes == 0 {
		c.MaxHistoryBytes = MaxLakehouseHistoryBytes
	}
	return c
}

// validate returns an error naming the file (name) and the key of a bound
// out of range.
func (c LakehouseConfig) validate(name string) error {
	for _, b := range []struct {
		key      string
		v, limit int
		def      int
	}{
		{"lakehouse.max_history_versions", c.MaxHistoryVersions, maxLakehouseHistoryVersionsCap, MaxLakehouseHistoryVersions},
		{"lakehouse.max_history_bytes", c.MaxHistoryBytes, maxLakehouseHistoryBytesCap, MaxLakehouseHistoryBytes},
	} {
		if b.v < 0 || b.v > b.limit {
			return fmt.Errorf("%s: %s is %d: use a number from 1 to %d, or leave it out for the default (%d)", name, b.key, b.v, b.limit, b.def)
		}
	}
	return nil
}

// dbtTarballModTime is the modification time of every entry of a dbt
// tarball, so that the same version always gives the same bytes.
var dbtTarballModTime = time.Unix(0, 0).UTC()

// lakehouseVersion is a stored version as the lakehouse generators want
// it: its configuration and its message index.
type lakehouseVersion struct {
	version registry.Version
	cfg     *config.Config
	index   *image.Index
}

// loadLakehouseVersion reads a version (LatestVersion: the latest), its
// descriptor set and its configuration.
func (s *Server) loadLakehouseVersion(ctx context.Context, module string, number int64) (*lakehouseVersion, error) {
	if number < 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("version %d is not a version number: versions start at 1 (0 means the latest)", number))
	}
	v, data, err := s.descriptorSet(ctx, module, number)
	if err != nil {
		return nil, connectError(err)
	}
	img, err := image.DecodeWithLimits(data.Data, image.StoredLimits)
	if err != nil {
		return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("%s version %d: decoding its stored descriptor set: %w", module, v.Number, err))
	}
	raw, err := s.store.GetConfig(ctx, module, v.Number)
	if err != nil {
		return nil, connectError(err)
	}
	lv := &lakehouseVersion{version: v, index: image.NewIndex(img)}
	if len(raw) > 0 {
		if lv.cfg, err = config.Parse(registry.ConfigFileName, raw); err != nil {
			return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("%s version %d: reading its stored %s: %w", module, v.Number, registry.ConfigFileName, err))
		}
	}
	return lv, nil
}

// lakehouseHistory reads the descriptor sets of versions first..last of
// module (oldest first), newest first within the configured bounds
// (lakehouse: max_history_versions, max_history_bytes); truncated says
// whether older ones were left out.
func (s *Server) lakehouseHistory(ctx context.Context, dec *historyDecoder, module string, first, last int64) (idx []dbt.Messages, numbers []int64, truncated bool, err error) {
	bounds := s.cfg.Lakehouse.withDefaults()
	return lakehouse.ReadHistory(first, last, lakehouse.HistoryBounds{Versions: bounds.MaxHistoryVersions, Bytes: bounds.MaxHistoryBytes},
		func(n int64) ([]byte, error) {
			data, err := s.store.GetDescriptorSet(ctx, module, n)
			if err != nil {
				return nil, connectError(fmt.Errorf("%s: reading version %d as history: %w", module, n, err))
			}
			return data, nil
		}, func(n int64, data []byte) (dbt.Messages, error) {
			msgs, err := dec.messagesOf(data)
			if err != nil {
				return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("%s version %d: decoding its stored descriptor set: %w", module, n, err))
			}
			return msgs, nil
		})
}

// lakehouseError maps an error of the lakehouse generators to a Connect
// error: its code when it is a *lakehouse.Error, else failed_precondition
// (the stored version cannot be generated for as asked).
func lakehouseError(err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	var le *lakehouse.Error
	if errors.As(err, &le) {
		switch le.Code {
		case lakehouse.CodeInvalidArgument:
			return connect.NewError(connect.CodeInvalidArgument, err)
		case lakehouse.CodeNotFound:
			return connect.NewError(connect.CodeNotFound, err)
		}
	}
	return connect.NewError(connect.CodeFailedPrecondition, err)
}

// GetDbtProject implements RegistryServiceHandler.
func (s *Server) GetDbtProject(ctx context.Context, req *connect.Request[v1.GetDbtProjectRequest]) (*connect.Response[v1.GetDbtProjectResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	resp, _, err := s.dbtProject(ctx, req.Msg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}

// dbtProject generates the dbt project req asks for.
func (s *Server) dbtProject(ctx context.Context, req *v1.GetDbtProjectRequest) (*v1.GetDbtProjectResponse, []dbt.File, error) {
	if req.GetDialect() == "" {
		return nil, nil, connect.NewError(connect.CodeInvalidArgument, errors.New("dialect is required: postgres, duckdb, bigquery or snowflake"))
	}
	dialect, err := dbt.ParseDialect(req.GetDialect())
	if err != nil {
		return nil, nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	opts := dbt.ModuleOptions{Source: req.GetSource()}
	if req.NestedDepth != nil {
		d := int(req.GetNestedDepth())
		if d < 0 || d > config.MaxNestedDepth {
			return nil, nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("nested_depth must be from 0 to %d, not %d", config.MaxNestedDepth, d))
		}
		opts.NestedDepth = &d
	}
	latest, err := s.loadLakehouseVersion(ctx, req.GetModule(), req.GetVersion())
	if err != nil {
		return nil, nil, err
	}
	if latest.cfg == nil {
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("%s version %d was pushed without a %s: it has no subjects to generate models for", req.GetModule(), latest.version.Number, registry.ConfigFileName))
	}
	opts.Version = strconv.FormatInt(latest.version.Number, 10)
	if opts.Required, err = s.requiredFields(latest.cfg); err != nil {
		return nil, nil, connect.NewError(connect.CodeInternal, fmt.Errorf("%s version %d: reading its stored policies: %w", req.GetModule(), latest.version.Number, err))
	}
	history, numbers, truncated, err := s.lakehouseHistory(ctx, newHistoryDecoder(), req.GetModule(), 1, latest.version.Number-1)
	if err != nil {
		return nil, nil, err
	}
	if truncated {
		s.logger.WarnContext(ctx, "dbt project generated over a truncated history", "module", req.GetModule(), "version", latest.version.Number,
			"note", historyTruncatedNote(numbers, latest.version.Number, int32(s.cfg.Lakehouse.withDefaults().MaxHistoryVersions), int64(s.cfg.Lakehouse.withDefaults().MaxHistoryBytes)))
	}
	p, err := dbt.NewProjectFrom(latest.cfg, latest.index, history, dialect, opts)
	if err != nil {
		return nil, nil, lakehouseError(fmt.Errorf("%s version %d: %w", req.GetModule(), latest.version.Number, err))
	}
	files, err := dbt.Generate(*p)
	if err != nil {
		return nil, nil, lakehouseError(fmt.Errorf("%s version %d: %w", req.GetModule(), latest.version.Number, err))
	}
	slices.SortFunc(files, func(a, b dbt.File) int { return strings.Compare(a.Path, b.Path) })
	resp := &v1.GetDbtProjectResponse{
		Version:            versionToProto(latest.version),
		HistoryVersions:    numbers,
		HistoryTruncated:   truncated,
		MaxHistoryVersions: int32(s.cfg.Lakehouse.withDefaults().MaxHistoryVersions),
		MaxHistoryBytes:    int64(s.cfg.Lakehouse.withDefaults().MaxHistoryBytes),
	}
	for _, f := range files {
		resp.Files = append(resp.Files, &v1.File{Path: f.Path, Content: f.Data})
	}
	return resp, files, nil
}

// requiredFields returns, by subject message, the fields the policies in
// force for cfg (the server's and the module's over the built-in ones)
// require: the generated models test them with not_null.
func (s *Server) requiredFields(cfg *config.Config) (map[string][]dbt.Required, error) {
	by, err := policies.RequiredBySubject(s.cfg.Policies, cfg)
	if err != nil {
		return nil, err
	}
	out := map[string][]dbt.Required{}
	for subject, fields := range by {
		for _, f := range fields {
			out[subject] = append(out[subject], dbt.Required{Field: f.Field, Why: "policy " + f.Policy})
		}
	}
	return out, nil
}

// pbtableSubject finds a pbtable subject of a version's configuration:
// the one named, or the only one.
func pbtableSubject(module string, v *lakehouseVersion, name string) (config.Subject, error) {
	var subjects []config.Subject
	if v.cfg != nil {
		subjects = v.cfg.Subjects
	}
	var tables []string
	for _, s := range subjects {
		if s.Kind == config.KindPBTable {
			tables = append(tables, s.Message)
		}
	}
	if name == "" {
		if len(tables) == 0 {
			return config.Subject{}, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("%s version %d has no pbtable subjects: declare one (kind: pbtable, primary_key) under subjects: in its %s", module, v.version.Number, registry.ConfigFileName))
		}
		if len(tables) != 1 {
			return config.Subject{}, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s version %d has %d pbtable subjects (%s): name one in subject",
				module, v.version.Number, len(tables), strings.Join(tables, ", ")))
		}
		name = tables[0]
	}
	name = strings.TrimPrefix(name, ".")
	for _, s := range subjects {
		if s.Message != name {
			continue
		}
		if s.Kind != config.KindPBTable {
			return config.Subject{}, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("subject %s of %s version %d has kind %s, not pbtable: only pbtables have tables", name, module, v.version.Number, s.Kind))
		}
		if len(s.PrimaryKey) == 0 {
			return config.Subject{}, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("pbtable %s of %s version %d has no primary_key in its %s: push a version that sets one", name, module, v.version.Number, registry.ConfigFileName))
		}
		return s, nil
	}
	return config.Subject{}, connect.NewError(connect.CodeNotFound, fmt.Errorf("%s version %d has no subject %s: its pbtable subjects are %s", module, v.version.Number, name, orNone(tables)))
}

// orNone joins list, or says "none".
func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// subjectMessage returns the message of subject in v.
func subjectMessage(module string, v *lakehouseVersion, subject string) (protoreflect.MessageDescriptor, error) {
	msg := v.index.Message(protoreflect.FullName(subject))
	if msg == nil {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("message %s is not in %s version %d", subject, module, v.version.Number))
	}
	return msg, nil
}

// pgddlOptions converts the request's options.
func pgddlOptions(o *v1.PbtableOptions, noRewrite bool) pgddl.Options {
	return pgddl.Options{Schema: o.GetSchema(), Table: o.GetTable(), View: o.GetView(), RowColumn: o.GetRowColumn(), NoRewrite: noRewrite}
}

// GetPbtableDDL implements RegistryServiceHandler.
func (s *Server) GetPbtableDDL(ctx context.Context, req *connect.Request[v1.GetPbtableDDLRequest]) (*connect.Response[v1.GetPbtableDDLResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	module := req.Msg.GetModule()
	v, err := s.loadLakehouseVersion(ctx, module, req.Msg.GetVersion())
	if err != nil {
		return nil, err
	}
	sub, err := pbtableSubject(module, v, req.Msg.GetSubject())
	if err != nil {
		return nil, err
	}
	msg, err := subjectMessage(module, v, sub.Message)
	if err != nil {
		return nil, err
	}
	t, err := lakehouse.NewTable(msg, nil, sub.PrimaryKey)
	if err != nil {
		return nil, lakehouseError(fmt.Errorf("%s version %d: %w", module, v.version.Number, err))
	}
	script, err := pgddl.Create(t, pgddlOptions(req.Msg.GetOptions(), false))
	if err != nil {
		return nil, lakehouseError(err)
	}
	return connect.NewResponse(&v1.GetPbtableDDLResponse{Version: versionToProto(v.version), Subject: sub.Message, Script: script.String()}), nil
}

// GetPbtableMigration implements RegistryServiceHandler. The table's rows
// may hold the field names of every version up to to: the versions before
// from (bounded as for GetDbtProject) are history of both ends, and those
// between from and to are history of the target.
func (s *Server) GetPbtableMigration(ctx context.Context, req *connect.Request[v1.GetPbtableMigrationRequest]) (*connect.Response[v1.GetPbtableMigrationResponse], error) {
	if err := canRead(ctx); err != nil {
		return nil, err
	}
	module := req.Msg.GetModule()
	if req.Msg.GetFrom() <= 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("from is required: the version the table's columns were made for (1, 2, …), not %d", req.Msg.GetFrom()))
	}
	to, err := s.loadLakehouseVersion(ctx, module, req.Msg.GetTo())
	if err != nil {
		return nil, err
	}
	if req.Msg.GetFrom() >= to.version.Number {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("from (%d) must be earlier than to (%d)", req.Msg.GetFrom(), to.version.Number))
	}
	from, err := s.loadLakehouseVersion(ctx, module, req.Msg.GetFrom())
	if err != nil {
		return nil, err
	}
	sub, err := pbtableSubject(module, to, req.Msg.GetSubject())
	if err != nil {
		return nil, err
	}
	toMsg, err := subjectMessage(module, to, sub.Message)
	if err != nil {
		return nil, err
	}
	fromMsg, err := subjectMessage(module, from, sub.Message)
	if err != nil {
		return nil, err
	}
	dec := newHistoryDecoder()
	earlier, numbers, truncated, err := s.lakehouseHistory(ctx, dec, module, 1, from.version.Number-1)
	if err != nil {
		return nil, err
	}
	between, _, _, err := s.lakehouseHistory(ctx, dec, module, from.version.Number+1, to.version.Number-1)
	if err != nil {
		return nil, err
	}
	name := protoreflect.FullName(sub.Message)
	var history []protoreflect.MessageDescriptor
	for _, h := range earlier {
		if m := h.Message(name); m != nil {
			history = append(history, m)
		}
	}
	fromT, err := lakehouse.NewTable(fromMsg, history, sub.PrimaryKey)
	if err != nil {
		return nil, lakehouseError(fmt.Errorf("%s version %d: %w", module, from.version.Number, err))
	}
	toHistory := append(slices.Clone(history), fromMsg)
	for _, h := range between {
		if m := h.Message(name); m != nil {
			toHistory = append(toHistory, m)
		}
	}
	toT, err := lakehouse.NewTable(toMsg, toHistory, sub.PrimaryKey)
	if err != nil {
		return nil, lakehouseError(fmt.Errorf("%s version %d: %w", module, to.version.Number, err))
	}
	script, err := pgddl.Migrate(fromT, toT, pgddlOptions(req.Msg.GetOptions(), req.Msg.GetNoRewrite()))
	if err != nil {
		return nil, lakehouseError(err)
	}
	return connect.NewResponse(&v1.GetPbtableMigrationResponse{
		From: versionToProto(from.version), To: versionToProto(to.version), Subject: sub.Message,
		Script: script.String(), HistoryVersions: numbers, HistoryTruncated: truncated,
	}), nil
}

// downloadDbt serves GET /dbt/{module}/{n|latest}.tar.gz?dialect=…: the
// version's dbt project as a gzip'd tar, entries sorted by path with fixed
// times and modes, so that the same version gives the same bytes. Its
// entries are the project's files at the archive's root.
func (s *Server) downloadDbt(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/dbt/"), ".tar.gz")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i <= 0 {
		http.Error(w, "not found: download dbt projects at /dbt/{module}/{version number or latest}.tar.gz?dialect=postgres|duckdb|bigquery|snowflake", http.StatusNotFound)
		return
	}
	module, num := rest[:i], rest[i+1:]
	if p := auth.FromContext(r.Context()); p.CanRead() != nil {
		if p.Anonymous {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pbregistry"`)
			http.Error(w, p.CanRead().Error(), http.StatusUnauthorized)
			return
		}
		http.Error(w, p.CanRead().Error(), http.StatusForbidden)
		return
	}
	n, err := pathVersion(num)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &v1.GetDbtProjectRequest{Module: module, Version: n, Dialect: r.URL.Query().Get("dialect"), Source: r.URL.Query().Get("source")}
	if d := r.URL.Query().Get("nested_depth"); d != "" {
		depth, err := strconv.ParseInt(d, 10, 32)
		if err != nil {
			http.Error(w, fmt.Sprintf("nested_depth %q is not a whole number from 0 to %d", d, config.MaxNestedDepth), http.StatusBadRequest)
			return
		}
		req.NestedDepth = new(int32)
		*req.NestedDepth = int32(depth)
	}
	resp, files, err := s.dbtProject(r.Context(), req)
	if err != nil {
		status := httpStatus(connect.CodeOf(err))
		if status == http.StatusInternalServerError {
			s.logger.ErrorContext(r.Context(), "download dbt project", "module", module, "version", num, "error", err)
		}
		var ce *connect.Error
		msg := err.Error()
		if errors.As(err, &ce) {
			msg = ce.Message()
		}
		http.Error(w, msg, status)
		return
	}
	data, err := dbtTarball(files)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "download dbt project", "module", module, "version", num, "error", err)
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	v := resp.GetVersion()
	if resp.GetHistoryTruncated() {
		w.Header().Set("X-Pbregistry-History-Truncated", historyTruncatedNote(resp.GetHistoryVersions(), v.GetNumber(), resp.GetMaxHistoryVersions(), resp.GetMaxHistoryBytes()))
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Pbregistry-Version", strconv.FormatInt(v.GetNumber(), 10))
	w.Header().Set("X-Pbregistry-Digest", v.GetDigest())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d-%s-dbt.tar.gz"`, strings.ReplaceAll(module, "/", "_"), v.GetNumber(), req.GetDialect()))
	_, _ = w.Write(data)
}

// historyTruncatedNote says which earlier versions a model read when the
// history bounds left older ones out, and which keys of registryd's
// configuration to raise.
func historyTruncatedNote(read []int64, latest int64, maxVersions int32, maxBytes int64) string {
	from := latest
	if len(read) > 0 {
		from = read[0]
	}
	return fmt.Sprintf("versions before %d left out (bounds: %d versions, %d bytes): rows they wrote may hold fields or JSON keys the models do not read; raise lakehouse.max_history_versions or lakehouse.max_history_bytes in registryd's configuration", from, maxVersions, maxBytes)
}

// httpStatus is the HTTP status of a Connect code, for plain downloads.
func httpStatus(code connect.Code) int {
	switch code {
	case connect.CodeInvalidArgument:
		return http.StatusBadRequest
	case connect.CodeNotFound:
		return http.StatusNotFound
	case connect.CodeFailedPrecondition:
		return http.StatusUnprocessableEntity
	case connect.CodeUnauthenticated:
		return http.StatusUnauthorized
	case connect.CodePermissionDenied:
		return http.StatusForbidden
	case connect.CodeUnavailable:
		return http.StatusServiceUnavailable
	case connect.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// dbtTarball writes files, sorted by path, as a gzip'd tar with fixed
// times, owners and modes: the same files always give the same bytes.
func dbtTarball(files []dbt.File) ([]byte, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b dbt.File) int { return strings.Compare(a.Path, b.Path) })
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.ModTime = dbtTarballModTime
	tw := tar.NewWriter(zw)
	dirs := map[string]bool{}
	for _, f := range files {
		// Parent directories first, once each, so that every extractor
		// creates them with the same mode.
		parts := strings.Split(f.Path, "/")
		for i := 1; i < len(parts); i++ {
			dir := strings.Join(parts[:i], "/") + "/"
			if dirs[dir] {
				continue
			}
			dirs[dir] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: dbtTarballModTime, Format: tar.FormatPAX}); err != nil {
				return nil, fmt.Errorf("dbt tarball: %w", err)
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.Path, Mode: 0o644, Size: int64(len(f.Data)), ModTime: dbtTarballModTime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("dbt tarball: %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("dbt tarball: %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("dbt tarball: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("dbt tarball: %w", err)
	}
	return buf.Bytes(), nil
}
