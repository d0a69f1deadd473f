package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/input"
)

// pbcheck breaking compiles inputs without source info and loads it only
// for the files with findings (deferSourceInfo, loadFindingsSourceInfo),
// and compiles the files identical on both sides once (loadPair): every
// rule fixture of testdata/breaking must give the same output, in every
// format that prints locations, and as binary images, as with
// --eager-source-info, which loads every file with source info up front,
// and as with --compile-separately, which compiles each input on its own.
func TestDeferredSourceInfoSameFindings(t *testing.T) {
	fixtures, err := filepath.Glob("../../testdata/breaking/*/current")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures under testdata/breaking: %v", err)
	}
	located := 0
	for _, cur := range fixtures {
		dir := filepath.Dir(cur)
		name := filepath.Base(dir)
		for _, format := range []string{"text", "json", "images"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				args := []string{"breaking", "current", "--against", "previous", "--error-format", format}
				runDir := dir
				if format == "images" {
					// The same pair as binary images (source info kept
					// serialized until a finding needs it).
					runDir = t.TempDir()
					for _, side := range []string{"current", "previous"} {
						in, err := input.Load(context.Background(), filepath.Join(dir, side), input.Options{})
						if err != nil {
							t.Fatal(err)
						}
						data, err := in.Image.Encode()
						if err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(filepath.Join(runDir, side+".binpb"), data, 0o644); err != nil {
							t.Fatal(err)
						}
					}
					args = []string{"breaking", "current.binpb", "--against", "previous.binpb", "--error-format", "text"}
				}
				lazyCode, lazyOut, lazyErr := pbcheck(t, runDir, nil, args...)
				for _, flag := range []string{"--eager-source-info", "--compile-separately"} {
					eagerCode, eagerOut, eagerErr := pbcheck(t, runDir, nil, append(slices.Clone(args), flag)...)
					if lazyCode != eagerCode || lazyOut != eagerOut || lazyErr != eagerErr {
						t.Fatalf("the default changes the result:\n--- default (exit %d)\n%s%s\n--- with %s (exit %d)\n%s%s", lazyCode, lazyOut, lazyErr, flag, eagerCode, eagerOut, eagerErr)
					}
				}
				if format == "text" {
					for _, line := range strings.Split(lazyOut, "\n") {
						if line != "" && !strings.Contains(line, ":1:1:") {
							located++
							break
						}
					}
				}
			})
		}
	}
	// The comparison means something only if findings are located past
	// the first column of the first line: that is what source info gives.
	if located < len(fixtures)/2 {
		t.Errorf("only %d of %d fixtures have a finding located past 1:1: the fixtures no longer test source info", located, len(fixtures))
	}
}

// The same against a git ref, the case where both sides are compiled
// from a repository: a field's type changes in a file that another file
// imports, so findings are in one file and the other needs no source info.
func TestDeferredSourceInfoGitRef(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"acme/v1/invoice.proto": invoiceV1,
		// Unchanged: compiled once (money.proto), and not (customer.proto,
		// whose import changes).
		"acme/v1/money.proto":    "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Money {\n  int64 units = 1;\n}\n",
		"acme/v1/customer.proto": "syntax = \"proto3\";\npackage acme.billing.v1;\nimport \"acme/v1/invoice.proto\";\nimport \"acme/v1/money.proto\";\nmessage Customer {\n  repeated Invoice invoices = 1;\n  Money balance = 2;\n}\n",
		"acme/v1/order.proto":    "syntax = \"proto3\";\npackage acme.billing.v1;\nimport \"acme/v1/invoice.proto\";\n// An order.\nmessage Order {\n  Invoice invoice = 1;\n  string id = 2;\n}\n",
	})
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "v1")
	writeTree(t, dir, map[string]string{"acme/v1/invoice.proto": invoiceV2})
	if err := os.WriteFile(filepath.Join(dir, "acme/v1/order.proto"), []byte("syntax = \"proto3\";\npackage acme.billing.v1;\nimport \"acme/v1/invoice.proto\";\n// An order, moved down.\n\nmessage Order {\n  Invoice invoice = 1;\n  int32 id = 2;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		args := []string{"breaking", ".", "--against", ".git#branch=main", "--error-format", format}
		lazyCode, lazyOut, _ := pbcheck(t, dir, nil, args...)
		for _, flag := range []string{"--eager-source-info", "--compile-separately"} {
			eagerCode, eagerOut, _ := pbcheck(t, dir, nil, append(slices.Clone(args), flag)...)
			if lazyCode != 100 || lazyCode != eagerCode || lazyOut != eagerOut {
				t.Fatalf("%s: default (exit %d):\n%s\nwith %s (exit %d):\n%s", format, lazyCode, lazyOut, flag, eagerCode, eagerOut)
			}
		}
		if format == "text" && (!strings.Contains(lazyOut, "acme/v1/order.proto:8:3:") || !strings.Contains(lazyOut, "acme/v1/invoice.proto:")) {
			t.Errorf("findings are not located by source info:\n%s", lazyOut)
		}
	}
}
