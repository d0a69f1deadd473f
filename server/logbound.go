package server

import (
	"context"
	"fmt"
	"log/slog"
	"unicode/utf8"
)

// MaxLogValueBytes bounds every string a log record of the server carries
// (its message and each attribute: module names, user agents, error texts
// quoting what a client sent); longer ones are cut, saying how much was
// left out.
const MaxLogValueBytes = 1024

// BoundedLogger returns a logger writing to l's handler with every string
// cut to MaxLogValueBytes: a client cannot make a log line longer than a
// few kilobytes, whatever it sends.
func BoundedLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(*boundedHandler); ok {
		return l
	}
	return slog.New(&boundedHandler{next: l.Handler()})
}

// boundedHandler is a slog.Handler cutting strings to MaxLogValueBytes.
type boundedHandler struct{ next slog.Handler }

// Enabled implements slog.Handler.
func (h *boundedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h *boundedHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, truncate(r.Message, MaxLogValueBytes), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *boundedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	bounded := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		bounded[i] = boundAttr(a)
	}
	return &boundedHandler{next: h.next.WithAttrs(bounded)}
}

// WithGroup implements slog.Handler.
func (h *boundedHandler) WithGroup(name string) slog.Handler {
	return &boundedHandler{next: h.next.WithGroup(name)}
}

// boundAttr returns a with its strings cut.
func boundAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, truncate(v.String(), MaxLogValueBytes))
	case slog.KindGroup:
		group := v.Group()
		bounded := make([]slog.Attr, len(group))
		for i, g := range group {
			bounded[i] = boundAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(bounded...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, truncate(x.Error(), MaxLogValueBytes))
		case fmt.Stringer:
			return slog.String(a.Key, truncate(x.String(), MaxLogValueBytes))
		case []byte:
			return slog.String(a.Key, truncate(string(x), MaxLogValueBytes))
		case []string:
			total, out := 0, make([]string, 0, len(x))
			for _, s := range x {
				if total >= MaxLogValueBytes {
					out = append(out, fmt.Sprintf("…(%d more)", len(x)-len(out)))
					break
				}
				s = truncate(s, MaxLogValueBytes-total)
				total += len(s)
				out = append(out, s)
			}
			return slog.Any(a.Key, out)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// truncate cuts s to at most n bytes, on a rune boundary, saying how many
// bytes it left out.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := max(n, 0)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%s…(%d more bytes)", s[:i], len(s)-i)
}
