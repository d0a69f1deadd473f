package main

import "testing"

func TestReplaceSection(t *testing.T) {
	const b, e = "<!-- x:begin -->", "<!-- x:end -->"
	tests := []struct {
		name, doc, want string
	}{
		{"empty file", "", "# Benchmarks\n\nResults of the benchmarks under `bench/`. Each section is written by its script; edit the scripts, not the sections.\n\n" + b + "\nNEW\n" + e + "\n"},
		{"append", "# B\n\nother\n", "# B\n\nother\n\n" + b + "\nNEW\n" + e + "\n"},
		{"replace keeps the rest", "top\n" + b + "\nOLD\nOLD2\n" + e + "\nbottom\n", "top\n" + b + "\nNEW\n" + e + "\nbottom\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replaceSection(tc.doc, b, e, "NEW")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	if _, err := replaceSection(b+"\nno end\n", b, e, "NEW"); err == nil {
		t.Error("a begin marker without an end marker must be an error")
	}
}
