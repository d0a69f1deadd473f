package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/pbregistry/pbregistry/registry"
)

// Page sizes of the UI's lists.
const (
	modulesPageSize  = 50
	versionsPageSize = 50
	filesPageSize    = 200
	rowsPageSize     = 200
	// maxSourceBytes is the largest file shown as source.
	maxSourceBytes = 4 << 20
)

// modulesData is the modules page's data.
type modulesData struct {
	Query    string
	Modules  []registry.Module
	Next     string
	Search   *searchOutcome
	Searched bool
}

// modulesPage lists the modules, or searches them.
func (h *Handler) modulesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > maxSearchQuery {
		return badRequest("the search is longer than " + strconv.Itoa(maxSearchQuery) + " bytes: shorten it")
	}
	d := modulesData{Query: q}
	if q != "" {
		out, err := h.search(r.Context(), q)
		if err != nil {
			return err
		}
		d.Search, d.Searched = &out, true
	} else {
		page, err := h.store.ListModules(r.Context(), registry.PageRequest{Size: modulesPageSize, Token: r.URL.Query().Get("page")})
		if err != nil {
			return err
		}
		d.Modules, d.Next = page.Items, page.NextPageToken
	}
	v.Title, v.Data = "Modules", d
	h.render(w, http.StatusOK, "modules", v)
	return nil
}

// subjectGroup is the subjects of one kind.
type subjectGroup struct {
	Kind     string
	Subjects []registry.Subject
}

// moduleData is the module page's data.
type moduleData struct {
	Module   registry.Module
	Versions []registry.Version
	Next     string
	Subjects []subjectGroup
	// Shown is the version whose files are listed.
	Shown     int64
	Files     []string
	FilesMore bool
	FilesPage int
	Dialects  []string
}

// modulePage shows a module: versions, subjects, files and downloads.
func (h *Handler) modulePage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	q := r.URL.Query()
	name := q.Get("m")
	m, err := h.store.GetModule(ctx, name)
	if err != nil {
		return err
	}
	d := moduleData{Module: m, Dialects: []string{"postgres", "duckdb", "bigquery", "snowflake"}}
	versions, err := h.store.ListVersions(ctx, name, registry.PageRequest{Size: versionsPageSize, Token: q.Get("page")})
	if err != nil {
		return err
	}
	d.Versions, d.Next = versions.Items, versions.NextPageToken
	subjects, err := h.store.ListSubjects(ctx, name)
	if err != nil {
		return err
	}
	byKind := map[string][]registry.Subject{}
	for _, s := range subjects {
		byKind[string(s.Kind)] = append(byKind[string(s.Kind)], s)
	}
	for _, k := range sortedKeys(byKind) {
		d.Subjects = append(d.Subjects, subjectGroup{Kind: k, Subjects: byKind[k]})
	}
	d.Shown = m.LatestVersion
	if s := q.Get("v"); s != "" {
		if d.Shown, err = parseVersion("v", s); err != nil {
			return err
		}
	}
	if d.Shown > 0 {
		files, err := h.store.GetFiles(ctx, name, d.Shown)
		if err != nil {
			return err
		}
		paths := make([]string, 0, len(files))
		for _, f := range files {
			paths = append(paths, f.Path)
		}
		sort.Strings(paths)
		d.FilesPage, err = parsePage(q.Get("fpage"))
		if err != nil {
			return err
		}
		d.Files, d.FilesMore = pageOf(paths, d.FilesPage, filesPageSize)
	}
	v.Title, v.Data = m.Name, d
	h.render(w, http.StatusOK, "module", v)
	return nil
}

// sourceLine is one numbered line of a file.
type sourceLine struct {
	N    int
	Text string
}

// fileData is the file page's data.
type fileData struct {
	Module  string
	Version int64
	Path    string
	Lines   []sourceLine
}

// filePage shows one file of a version as numbered source lines, each with
// an anchor (#L12).
func (h *Handler) filePage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	name, path := q.Get("m"), q.Get("path")
	n, err := parseVersion("v", q.Get("v"))
	if err != nil {
		return err
	}
	files, err := h.store.GetFiles(r.Context(), name, n)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Path != path {
			continue
		}
		if len(f.Content) > maxSourceBytes {
			return badRequest("the file is larger than 4 MiB: download the version's image instead")
		}
		d := fileData{Module: name, Version: n, Path: path}
		for i, line := range strings.Split(strings.TrimSuffix(string(f.Content), "\n"), "\n") {
			d.Lines = append(d.Lines, sourceLine{N: i + 1, Text: line})
		}
		v.Title, v.Data = path, d
		h.render(w, http.StatusOK, "file", v)
		return nil
	}
	return badRequest("version " + strconv.FormatInt(n, 10) + " of " + name + " has no file " + strconv.Quote(path))
}

// diffData is the diff page's data.
type diffData struct {
	Module   string
	From, To int64
	Findings []registry.Finding
	More     bool
	Page     int
}

// diffPage shows the findings between two versions, per subject.
func (h *Handler) diffPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	name := q.Get("m")
	from, err := parseVersion("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, err := parseVersion("to", q.Get("to"))
	if err != nil {
		return err
	}
	page, err := parsePage(q.Get("page"))
	if err != nil {
		return err
	}
	findings, _, _, err := h.svc.Diff(r.Context(), name, from, to)
	if err != nil {
		return err
	}
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Subject < findings[j].Subject })
	d := diffData{Module: name, From: from, To: to, Page: page}
	d.Findings, d.More = pageOf(findings, page, rowsPageSize)
	v.Title, v.Data = name+" "+strconv.FormatInt(from, 10)+"→"+strconv.FormatInt(to, 10), d
	h.render(w, http.StatusOK, "diff", v)
	return nil
}

// ledgerRow is one ledger entry and whether the latest version still
// uses its key.
type ledgerRow struct {
	registry.LedgerEntry
	// State is "in use", "gone" or "" when unknown.
	State string
}

// subjectData is the subject page's data.
type subjectData struct {
	Subject   registry.Subject
	Effective registry.Compatibility
	Latest    int64
	Ledger    []ledgerRow
	More      bool
	Page      int
}

// subjectPage shows a subject: kind, rules in force, override and ledger.
func (h *Handler) subjectPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	q := r.URL.Query()
	name, subject := q.Get("m"), q.Get("s")
	s, err := h.store.GetSubject(ctx, name, subject)
	if err != nil {
		return err
	}
	m, err := h.store.GetModule(ctx, name)
	if err != nil {
		return err
	}
	page, err := parsePage(q.Get("page"))
	if err != nil {
		return err
	}
	entries, err := h.store.Ledger(ctx, registry.LedgerQuery{Module: name, Subject: subject})
	if err != nil {
		return err
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return lessKey(a.Key, b.Key)
	})
	shown, more := pageOf(entries, page, rowsPageSize)
	live, err := h.liveKeys(ctx, name, m.LatestVersion)
	if err != nil {
		return err
	}
	d := subjectData{Subject: s, Effective: s.Effective(), Latest: m.LatestVersion, More: more, Page: page}
	for _, e := range shown {
		row := ledgerRow{LedgerEntry: e}
		if live != nil {
			row.State = "gone"
			if live.has(e) {
				row.State = "in use"
			}
		}
		d.Ledger = append(d.Ledger, row)
	}
	v.Title, v.Data = s.Name, d
	h.render(w, http.StatusOK, "subject", v)
	return nil
}

// downloadImage serves a version's image through Options.Image with the
// reader's principal.
func (h *Handler) downloadImage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	n, err := parseVersion("v", q.Get("v"))
	if err != nil {
		return err
	}
	if h.image == nil {
		return badRequest("this registry serves no image downloads")
	}
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: "/modules/" + q.Get("m") + "/versions/" + strconv.FormatInt(n, 10) + "/image.binpb"}
	h.image.ServeHTTP(w, r2)
	return nil
}

// downloadDbt serves a version's dbt project through Options.Dbt.
func (h *Handler) downloadDbt(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	n, err := parseVersion("v", q.Get("v"))
	if err != nil {
		return err
	}
	if h.dbt == nil {
		return badRequest("this registry serves no dbt projects")
	}
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: "/dbt/" + q.Get("m") + "/" + strconv.FormatInt(n, 10) + ".tar.gz", RawQuery: url.Values{"dialect": {q.Get("dialect")}}.Encode()}
	h.dbt.ServeHTTP(w, r2)
	return nil
}

// parseVersion reads a version number parameter.
func parseVersion(param, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest(param + " must be a version number (1, 2, …), not " + strconv.Quote(truncate(s, 40)))
	}
	return n, nil
}

// parsePage reads a page number parameter; "" is the first page, 0.
func parsePage(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, badRequest("page must be a page number, not " + strconv.Quote(truncate(s, 40)))
	}
	return n, nil
}

// pageOf returns page p of items and whether more follow.
func pageOf[T any](items []T, p, size int) ([]T, bool) {
	start := p * size
	if start >= len(items) {
		return nil, false
	}
	end := min(start+size, len(items))
	return items[start:end], end < len(items)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lessKey orders numeric keys numerically, others as strings.
func lessKey(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

// truncate cuts s to n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
