package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/compat"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/report"
	"github.com/pbregistry/pbregistry/witness"
)

// writeFindings prints findings in format, their paths as img's files
// display them (as buf prints them), and returns the exit code they make.
func writeFindings(e *env, format report.Format, findings []compat.Finding, img *image.Image) (int, error) {
	displayPath := func(p string) string {
		if file := img.File(p); file != nil {
			return file.DisplayPath()
		}
		return p
	}
	if err := report.Write(e.stdout, format, findings, displayPath); err != nil {
		return exitError, err
	}
	return exitCodeOf(findings), nil
}

// exitCodeOf returns 100 when a finding has error severity, else 0.
func exitCodeOf(findings []compat.Finding) int {
	for _, f := range findings {
		if f.Severity == compat.SeverityError {
			return exitFindings
		}
	}
	return exitOK
}

// foldedForReport turns the findings of a subject-aware check and the
// change policies' findings into the report's findings as the registry
// makes them at push: each policy finding folded into the finding of the
// change it judges (registry.FoldPolicies), each message saying whom the
// change breaks (registry.Finding.Explain: relative to the baseline
// version from --history, else to the previous schema), and naming the
// subject and its level as pbcheck prints the registry's findings.
func foldedForReport(fs []registry.Finding, policyFindings []compat.Finding, baseline int64) []compat.Finding {
	for _, p := range policyFindings {
		fs = append(fs, registry.Finding{Finding: p, Policy: true})
	}
	fs = registry.FoldPolicies(fs)
	out := make([]compat.Finding, len(fs))
	for i, f := range fs {
		out[i] = f.Finding
		out[i].Message = f.Explain(baseline)
		if f.Subject != "" {
			out[i].Message += fmt.Sprintf(" [subject %s, %s]", f.Subject, f.Level)
		}
	}
	return out
}

// writeExplained prints findings like writeFindings, each followed by its
// witness (--explain): in text, indented lines under the finding; in
// JSON, a "witness" object in the finding's line. explanations[i] belongs
// to findings[i]; other formats have no place for a witness.
func writeExplained(e *env, format report.Format, findings []compat.Finding, explanations []witness.Explanation, displayPath func(string) string) error {
	if format != report.FormatText && format != report.FormatJSON {
		return usagef("--explain prints witnesses with --error-format text or json, not %s", format)
	}
	for i, f := range findings {
		var line bytes.Buffer
		if err := report.Write(&line, format, []compat.Finding{f}, displayPath); err != nil {
			return err
		}
		var x witness.Explanation
		if i < len(explanations) {
			x = explanations[i]
		}
		out := line.Bytes()
		switch {
		case x.Witness == nil && x.None == "":
		case format == report.FormatJSON:
			obj, err := json.Marshal(witnessJSONOf(x))
			if err != nil {
				return fmt.Errorf("witness of %s: %w", f.Rule, err)
			}
			trimmed := bytes.TrimRight(out, "\n")
			if len(trimmed) > 0 && trimmed[len(trimmed)-1] == '}' {
				out = append(append(append(trimmed[:len(trimmed)-1:len(trimmed)-1], `,"witness":`...), obj...), "}\n"...)
			}
		default:
			out = append(out, indent(x.String(), "    ")...)
			out = append(out, '\n')
		}
		if _, err := e.stdout.Write(out); err != nil {
			return err
		}
	}
	return nil
}

// indent prefixes every line of s with prefix.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// witnessJSON is a witness in --error-format json: the message, how the
// writer wrote it and the reader read it; or, in None, why there is none.
type witnessJSON struct {
	Layer      string `json:"layer,omitempty"`
	Direction  string `json:"direction,omitempty"`
	Message    string `json:"message,omitempty"`
	Written    string `json:"written,omitempty"`
	WrittenHex string `json:"written_hex,omitempty"`
	Read       string `json:"read,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Difference string `json:"difference,omitempty"`
	None       string `json:"none,omitempty"`
}

func witnessJSONOf(x witness.Explanation) witnessJSON {
	w := x.Witness
	if w == nil {
		return witnessJSON{None: x.None}
	}
	return witnessJSON{
		Layer: w.Layer.String(), Direction: w.Direction.String(), Message: string(w.Message),
		Written: w.Written, WrittenHex: w.WrittenHex, Read: w.Read, Kind: string(w.Kind), Difference: w.Difference,
	}
}

// writeWitnessed prints findings between previous and current with their
// witnesses (breaking --explain), and returns the exit code they make.
func writeWitnessed(e *env, format report.Format, findings []compat.Finding, previous, current *image.Image) (int, error) {
	displayPath := func(p string) string {
		if file := current.File(p); file != nil {
			return file.DisplayPath()
		}
		return p
	}
	explanations := witness.NewExplainer(previous, current).ExplainAll(findings)
	if err := writeExplained(e, format, findings, explanations, displayPath); err != nil {
		return exitError, err
	}
	return exitCodeOf(findings), nil
}

// explanationsFromProto returns the witnesses the registry sent with
// findings, in their order (the zero Explanation where there is none).
func explanationsFromProto(fs []*v1.Finding) []witness.Explanation {
	out := make([]witness.Explanation, len(fs))
	for i, f := range fs {
		w := f.GetWitness()
		switch {
		case w == nil:
		case w.GetKind() == "":
			out[i] = witness.Explanation{None: w.GetNone()}
		default:
			layer := witness.Wire
			if w.GetLayer() == witness.JSON.String() {
				layer = witness.JSON
			}
			dir := compat.Backward
			if w.GetDirection() == v1.Direction_DIRECTION_FORWARD {
				dir = compat.Forward
			}
			out[i] = witness.Explanation{Witness: &witness.Witness{
				Layer: layer, Direction: dir, Message: protoreflect.FullName(w.GetMessage()),
				Written: w.GetWritten(), WrittenHex: w.GetWrittenHex(), Read: w.GetRead(),
				Kind: witness.Kind(w.GetKind()), Difference: w.GetDifference(),
			}}
		}
	}
	return out
}
