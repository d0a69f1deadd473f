package input

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/image"
)

// CompilerEditions are the editions the built-in compiler
// (github.com/bufbuild/protocompile) parses. A .proto file declaring any
// other edition is refused before it is parsed, with one diagnostic
// saying how to check it instead: build an image with buf or protoc and
// pass the image. TestCompilerEditions fails when this list and the
// compiler disagree, e.g. after an upgrade of protocompile.
var CompilerEditions = []string{"2023"}

// ImageEditions are the editions whose descriptors pbregistry reads from
// images (image.Editions): the editions the Go protobuf runtime supports.
var ImageEditions = func() []string {
	out := make([]string, len(image.Editions))
	for i, e := range image.Editions {
		out[i] = strings.TrimPrefix(e.String(), "EDITION_")
	}
	return out
}()

// compilerVersion is the version of github.com/bufbuild/protocompile
// that go.mod requires, named in the diagnostics; TestCompilerEditions
// checks it against go.mod.
const compilerVersion = "v0.14.1"

// imageWayForward says how to check files the built-in compiler cannot.
const imageWayForward = "build an image with `buf build -o image.binpb` or `protoc` ≥ v32 `--include_imports --include_source_info --descriptor_set_out=image.binpb` and pass the image instead"

// checkEdition returns a diagnostic when data, the source of the file
// shown as path, declares an edition the built-in compiler does not
// parse, located at the edition declaration. A file that does not start
// with a readable edition declaration is left to the compiler.
func checkEdition(path string, data []byte) (Diagnostic, bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	edition, off, ok := editionDecl(data)
	if !ok || slices.Contains(CompilerEditions, edition) {
		return Diagnostic{}, false
	}
	line, col := position(data, off)
	supported := fmt.Sprintf("the built-in compiler (protocompile %s) parses editions up to %s", compilerVersion, CompilerEditions[len(CompilerEditions)-1])
	var msg string
	if knownEdition(edition) {
		msg = fmt.Sprintf("edition %q cannot be compiled here: %s; %s", edition, supported, imageWayForward)
	} else {
		msg = fmt.Sprintf("edition %q is not a protobuf edition known here (known: %s): correct the edition declaration; for an edition newer than these, %s (%s)", edition, strings.Join(ImageEditions, ", "), imageWayForward, supported)
	}
	return Diagnostic{Path: path, Line: line, Col: col, Message: msg}, true
}

// knownEdition reports whether edition names a released edition the
// protobuf runtime knows, such as "2024".
func knownEdition(edition string) bool {
	v, ok := descriptorpb.Edition_value["EDITION_"+edition]
	return ok && v >= int32(descriptorpb.Edition_EDITION_2023) && v < int32(descriptorpb.Edition_EDITION_MAX) &&
		!strings.HasSuffix(edition, "_TEST_ONLY") && edition != "UNSTABLE"
}

// editionDecl reads the edition declaration a .proto file starts with,
// after whitespace and comments: edition = "…"; (adjacent string literals
// are joined, as the compiler joins them). It returns the edition and the
// offset of the edition keyword, or false when the file does not start
// with an edition declaration the scan can read; the compiler then
// reports what is wrong.
func editionDecl(data []byte) (edition string, off int, ok bool) {
	off = skipSpace(data, 0)
	const kw = "edition"
	if !bytes.HasPrefix(data[off:], []byte(kw)) {
		return "", 0, false
	}
	i := off + len(kw)
	if i < len(data) && isIdentByte(data[i]) {
		return "", 0, false
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != '=' {
		return "", 0, false
	}
	i = skipSpace(data, i+1)
	var b strings.Builder
	n := 0
	for i < len(data) && (data[i] == '"' || data[i] == '\'') {
		end := stringClose(data, i)
		if end >= len(data) || data[end] != data[i] {
			return "", 0, false // unterminated
		}
		s, ok := unquote(data[i+1 : end])
		if !ok {
			return "", 0, false
		}
		b.WriteString(s)
		n++
		i = skipSpace(data, end+1)
	}
	if n == 0 {
		return "", 0, false
	}
	return b.String(), off, true
}

// unquote decodes the body of a string literal. Bodies with escapes the
// Go syntax does not share with protobuf's are reported as unreadable.
func unquote(body []byte) (string, bool) {
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body), true
	}
	s, err := strconv.Unquote(`"` + strings.ReplaceAll(string(body), `"`, `\"`) + `"`)
	return s, err == nil
}

// isIdentByte reports whether c may continue an identifier.
func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
