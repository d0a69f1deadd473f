package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// DigestPrefix starts every digest Digest returns.
const DigestPrefix = "sha256:"

// canonicalHeader starts the canonical form, so that a later form can be
// told apart.
const canonicalHeader = "pbregistry.digest.v1\n"

// Digest returns the content digest of a push: "sha256:" followed by the
// lowercase hex SHA-256 of the canonical form of files and config (see
// WriteCanonical). Two pushes with the same files and config have the same
// digest whatever the order of files and whatever their build metadata;
// the descriptor set is not part of it, since it is compiled from the files.
func Digest(files []File, config []byte) (string, error) {
	h := sha256.New()
	if err := WriteCanonical(h, files, config); err != nil {
		return "", err
	}
	return DigestPrefix + hex.EncodeToString(h.Sum(nil)), nil
}

// imageCanonicalHeader starts the canonical form of an image push.
const imageCanonicalHeader = "pbregistry.digest.image.v1\n"

// ImageDigest returns the content digest of an image push: "sha256:"
// followed by the lowercase hex SHA-256 of
//
//	"pbregistry.digest.image.v1\n"
//	"image " len(descriptorSet) "\n" descriptorSet "\n"
//	the canonical form of files and config (see WriteCanonical)
//
// where descriptorSet is the image in its canonical form
// (image.DecodeCanonical, then Image.Encode) and files are the sources
// sent beside it, if any. Its header sets it apart from every Digest of
// a source push: the same schema pushed as sources and as an image are
// two contents.
func ImageDigest(descriptorSet []byte, files []File, config []byte) (string, error) {
	h := sha256.New()
	io.WriteString(h, imageCanonicalHeader+"image "+strconv.Itoa(len(descriptorSet))+"\n")
	h.Write(descriptorSet)
	io.WriteString(h, "\n")
	if err := WriteCanonical(h, files, config); err != nil {
		return "", err
	}
	return DigestPrefix + hex.EncodeToString(h.Sum(nil)), nil
}

// WriteCanonical writes the canonical form of a file set and its config to
// w. The form is:
//
//	"pbregistry.digest.v1\n"
//	for each file, in increasing byte order of path:
//	    "file " len(path) " " path " " len(content) "\n" content "\n"
//	"config " len(config) "\n" config "\n"
//
// where lengths are decimal byte counts. Paths and contents are taken as
// bytes, unnormalised; every element is length-prefixed, so distinct file
// sets never share a form. Paths must be valid (see ValidateFilePath) and
// unique.
func WriteCanonical(w io.Writer, files []File, config []byte) error {
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(files[a].Path, files[b].Path) })
	if _, err := io.WriteString(w, canonicalHeader); err != nil {
		return fmt.Errorf("write canonical form: %w", err)
	}
	for n, i := range order {
		f := files[i]
		if err := ValidateFilePath(fmt.Sprintf("files[%d].path", i), f.Path); err != nil {
			return err
		}
		if n > 0 && files[order[n-1]].Path == f.Path {
			return invalid(fmt.Sprintf("files[%d].path", i), "path %q appears twice", f.Path)
		}
		header := "file " + strconv.Itoa(len(f.Path)) + " " + f.Path + " " + strconv.Itoa(len(f.Content)) + "\n"
		if _, err := io.WriteString(w, header); err != nil {
			return fmt.Errorf("write canonical form: %w", err)
		}
		if _, err := w.Write(f.Content); err != nil {
			return fmt.Errorf("write canonical form: %w", err)
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return fmt.Errorf("write canonical form: %w", err)
		}
	}
	if _, err := io.WriteString(w, "config "+strconv.Itoa(len(config))+"\n"); err != nil {
		return fmt.Errorf("write canonical form: %w", err)
	}
	if _, err := w.Write(config); err != nil {
		return fmt.Errorf("write canonical form: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write canonical form: %w", err)
	}
	return nil
}

// ValidateDigest returns an *InvalidArgumentError unless d has the form
// Digest returns.
func ValidateDigest(field, d string) error {
	hexPart, ok := strings.CutPrefix(d, DigestPrefix)
	if !ok || len(hexPart) != 2*sha256.Size {
		return invalid(field, "digest %q is not \"sha256:\" followed by 64 lowercase hex digits", Truncate(d, 80))
	}
	for _, r := range hexPart {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return invalid(field, "digest %q is not \"sha256:\" followed by 64 lowercase hex digits", Truncate(d, 80))
		}
	}
	return nil
}

// BlobDigest returns the "sha256:<hex>" digest of one file's content, the
// key under which stores deduplicate file contents.
func BlobDigest(content []byte) string {
	sum := sha256.Sum256(content)
	return DigestPrefix + hex.EncodeToString(sum[:])
}
