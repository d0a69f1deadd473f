package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRejectedPushShowsWitness: a push the registry refuses shows, under
// the finding, the message that proves it — in the rejection's text and
// in each finding's JSON line — and registry diff --explain shows the same
// witness between two stored versions.
func TestRejectedPushShowsWitness(t *testing.T) {
	url := startRegistry(t)
	t.Setenv(envRegistryURL, url)
	v1dir, v2dir := registryModule(t, "int64"), registryModule(t, "string")
	approve := refusedPush(t, v1dir, v2dir)

	witnessText := []string{
		"(FIELD_WIRE_JSON_COMPATIBLE_TYPE, FULL_TRANSITIVE)\n  witness (WIRE): acme.billing.v1.Invoice written with the previous schema: {\"amount\":\"1\"} (binary 3801)\n" +
			"    read with the current schema: {}\n" +
			"    field lost: field amount: written 1, the reader sees it unset\n",
	}
	checkRun(t, v2dir, []string{"push"}, exitFindings, witnessText, nil)

	code, stdout, stderr := pbcheck(t, v2dir, nil, "push", "--error-format", "json")
	if code != exitFindings {
		t.Fatalf("json push: exit %d\n%s%s", code, stdout, stderr)
	}
	var f struct {
		Type    string `json:"type"`
		Witness struct {
			Layer, Direction, Message, Written, Kind, Difference string
			WrittenHex                                           string `json:"written_hex"`
		} `json:"witness"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &f); err != nil {
		t.Fatalf("json push: %v\n%s", err, stdout)
	}
	if w := f.Witness; f.Type != "FIELD_WIRE_JSON_COMPATIBLE_TYPE" || w.Layer != "WIRE" || w.Direction != "BACKWARD" ||
		w.Message != "acme.billing.v1.Invoice" || w.WrittenHex == "" || w.Kind != "field lost" || !strings.Contains(w.Difference, "amount") {
		t.Errorf("json push: %s", stdout)
	}

	// breaking --against-registry --explain: the registry's witness.
	checkRun(t, v2dir, []string{"breaking", "--against-registry", "--explain"}, exitFindings, []string{
		"(FIELD_WIRE_JSON_COMPATIBLE_TYPE)\n    witness (WIRE): acme.billing.v1.Invoice written with the previous schema: {\"amount\":\"1\"}",
	}, nil)

	// Let v2 in with an exception, then diff the two versions.
	checkRun(t, v2dir, append([]string{"registry", "approve", "--reason", "test"}, approve...), exitOK, nil, nil)
	checkRun(t, v2dir, []string{"push"}, exitOK, []string{"version 2 created"}, nil)
	checkRun(t, v2dir, []string{"registry", "diff", "acme/commerce", "1", "2", "--explain"}, exitFindings, []string{
		"(FIELD_WIRE_JSON_COMPATIBLE_TYPE)\n    witness (WIRE): acme.billing.v1.Invoice written with the previous schema",
	}, nil)
	checkRun(t, v2dir, []string{"registry", "diff", "acme/commerce", "1", "2"}, exitFindings, nil, []string{"witness ("})
}
