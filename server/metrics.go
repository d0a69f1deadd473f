package server

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// MaxSeriesPerMetric bounds the series of one metric: once a metric has
// that many, observations of new label values count in one series whose
// every label is "other". Callers bound their label values first (see
// observer); this is the last resort.
const MaxSeriesPerMetric = 1000

// OtherLabel is the label value observations outside a metric's bounded
// set of values are counted under.
const OtherLabel = "other"

// Metrics is a small registry of Prometheus counters and histograms,
// written in the Prometheus text exposition format (version 0.0.4) by
// WriteTo. Label values are escaped; series are written sorted; a metric
// has at most MaxSeriesPerMetric series (plus the overflow series).
type Metrics struct {
	mu       sync.Mutex
	families []*family
}

// family is a metric name with its help, type and series.
type family struct {
	name, help, kind string
	labels           []string
	buckets          []float64 // histograms only
	series           map[string]*series
}

// series is one combination of label values.
type series struct {
	values  []string
	count   float64   // counters: the value; histograms: the count
	sum     float64   // histograms
	buckets []float64 // histograms: cumulative counts per bucket
}

// Counter is a family of counters.
type Counter struct {
	m *Metrics
	f *family
}

// Histogram is a family of histograms.
type Histogram struct {
	m *Metrics
	f *family
}

// NewCounter registers a counter family.
func (m *Metrics) NewCounter(name, help string, labels ...string) *Counter {
	return &Counter{m: m, f: m.register(name, help, "counter", labels, nil)}
}

// NewHistogram registers a histogram family with the given upper bounds.
func (m *Metrics) NewHistogram(name, help string, buckets []float64, labels ...string) *Histogram {
	return &Histogram{m: m, f: m.register(name, help, "histogram", labels, slices.Sorted(slices.Values(buckets)))}
}

func (m *Metrics) register(name, help, kind string, labels []string, buckets []float64) *family {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &family{name: name, help: help, kind: kind, labels: labels, buckets: buckets, series: map[string]*series{}}
	m.families = append(m.families, f)
	return f
}

// get returns the series of values, creating it; the caller holds m.mu.
// Past MaxSeriesPerMetric, new label values fold into the series whose
// every label is OtherLabel.
func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metric %s: %d label values for labels %v", f.name, len(values), f.labels))
	}
	key := strings.Join(values, "\xff")
	s, ok := f.series[key]
	if !ok && len(f.series) >= MaxSeriesPerMetric {
		values = slices.Repeat([]string{OtherLabel}, len(values))
		key = strings.Join(values, "\xff")
		s, ok = f.series[key]
	}
	if !ok {
		s = &series{values: slices.Clone(values), buckets: make([]float64, len(f.buckets))}
		f.series[key] = s
	}
	return s
}

// Add adds delta to the counter with the label values.
func (c *Counter) Add(delta float64, values ...string) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.f.get(values).count += delta
}

// Inc adds one to the counter with the label values.
func (c *Counter) Inc(values ...string) { c.Add(1, values...) }

// Observe records v in the histogram with the label values.
func (h *Histogram) Observe(v float64, values ...string) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	s := h.f.get(values)
	s.count++
	s.sum += v
	for i, b := range h.f.buckets {
		if v <= b {
			s.buckets[i]++
		}
	}
}

// WriteTo writes every family in the text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	var b strings.Builder
	for _, f := range m.families {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		keys := make([]string, 0, len(f.series))
		for k := range f.series {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			s := f.series[k]
			if f.kind == "counter" {
				fmt.Fprintf(&b, "%s%s %s\n", f.name, labelSet(f.labels, s.values, "", ""), formatFloat(s.count))
				continue
			}
			for i, ub := range f.buckets {
				fmt.Fprintf(&b, "%s_bucket%s %s\n", f.name, labelSet(f.labels, s.values, "le", formatFloat(ub)), formatFloat(s.buckets[i]))
			}
			fmt.Fprintf(&b, "%s_bucket%s %s\n", f.name, labelSet(f.labels, s.values, "le", "+Inf"), formatFloat(s.count))
			fmt.Fprintf(&b, "%s_sum%s %s\n", f.name, labelSet(f.labels, s.values, "", ""), formatFloat(s.sum))
			fmt.Fprintf(&b, "%s_count%s %s\n", f.name, labelSet(f.labels, s.values, "", ""), formatFloat(s.count))
		}
	}
	m.mu.Unlock()
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// labelSet renders {a="x",b="y"} with an extra label if extraName != "".
func labelSet(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	parts := make([]string, 0, len(names)+1)
	for i, n := range names {
		parts = append(parts, n+`="`+escapeLabel(values[i])+`"`)
	}
	if extraName != "" {
		parts = append(parts, extraName+`="`+extraValue+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
