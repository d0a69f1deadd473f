package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBreakingExplain: --explain prints, under each finding, the message
// that proves it (text), or puts it in the finding's JSON line; a
// source-only finding says that data does not break.
func TestBreakingExplain(t *testing.T) {
	dir := pairDir(t)
	code, out, stderr := pbcheck(t, dir, nil, "breaking", "current", "--against", "previous", "--use", "WIRE_JSON", "--explain")
	if code != exitFindings {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{
		"changed type from int32 to int64",
		"    witness (WIRE_JSON): acme.billing.v1.Invoice written with the current schema: {\"amount\":\"2147483648\"}",
		// protobuf-go varies the spacing of its errors from build to build.
		"      parse error: proto:",
		"invalid value for int32 field amount: \"2147483648\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}

	code, out, stderr = pbcheck(t, dir, nil, "breaking", "current", "--against", "previous", "--use", "WIRE_JSON", "--explain", "--error-format", "json")
	if code != exitFindings {
		t.Fatalf("json: exit %d, stderr %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var found bool
	for _, l := range lines {
		var f struct {
			Type    string `json:"type"`
			Witness *struct {
				Layer, Direction, Message, Written, Read, Kind, Difference, None string
				WrittenHex                                                       string `json:"written_hex"`
			} `json:"witness"`
		}
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if f.Witness == nil {
			t.Errorf("line without witness: %s", l)
			continue
		}
		w := f.Witness
		switch f.Type {
		case "FIELD_WIRE_JSON_COMPATIBLE_TYPE":
			found = true
			if w.Layer != "WIRE_JSON" || w.Direction != "FORWARD" || w.Message != "acme.billing.v1.Invoice" || w.Written != `{"amount":"2147483648"}` || w.Kind != "parse error" || !strings.Contains(w.Difference, "field amount") {
				t.Errorf("witness %+v", *w)
			}
		case "FIELD_NO_DELETE_UNLESS_NAME_RESERVED":
			// Deleting a field breaks data only once its name is reused.
			if w.Kind != "" || !strings.Contains(w.None, "conservative") {
				t.Errorf("%s: witness %+v", f.Type, *w)
			}
		}
	}
	if !found {
		t.Errorf("no FIELD_WIRE_JSON_COMPATIBLE_TYPE finding:\n%s", out)
	}

	// FILE rules that guard generated code only: no data witness.
	writeTree(t, dir, map[string]string{
		"previous/acme/billing/v1/invoice.proto": "syntax = \"proto3\";\npackage acme.billing.v1;\noption go_package = \"a/b\";\nmessage Invoice { string id = 1; }\n",
		"current/acme/billing/v1/invoice.proto":  "syntax = \"proto3\";\npackage acme.billing.v1;\noption go_package = \"a/c\";\nmessage Invoice { string id = 1; }\n",
	})
	code, out, _ = pbcheck(t, dir, nil, "breaking", "current", "--against", "previous", "--explain")
	if code != exitFindings || !strings.Contains(out, "FILE_SAME_GO_PACKAGE") || !strings.Contains(out, "    no witness at the wire or JSON layer: generated code breaks, data does not") {
		t.Errorf("exit %d, source-only finding:\n%s", code, out)
	}

	if code, _, stderr := pbcheck(t, dir, nil, "breaking", "current", "--against", "previous", "--explain", "--error-format", "junit"); code != exitError || !strings.Contains(stderr, "--explain") {
		t.Errorf("junit: exit %d, stderr %s", code, stderr)
	}
}
