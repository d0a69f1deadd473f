package registry

import (
	"fmt"
	"path"
	"strings"
)

// Limits bound what a push may carry. Each limit yields an
// *InvalidArgumentError that names the file and the limit.
type Limits struct {
	// MaxFiles is the number of files a push may hold.
	MaxFiles int
	// MaxFileBytes is the size of one file.
	MaxFileBytes int
	// MaxTotalBytes is the size of all files together.
	MaxTotalBytes int
	// MaxPathBytes is the length of a file path.
	MaxPathBytes int
}

// DefaultLimits are generous for real modules and small enough to keep a
// registry healthy: 5,000 files, 4 MiB per file, 64 MiB per push, 1 KiB
// paths.
var DefaultLimits = Limits{MaxFiles: 5000, MaxFileBytes: 4 << 20, MaxTotalBytes: 64 << 20, MaxPathBytes: 1024}

// CheckFiles checks files against l: counts, sizes, and paths (relative,
// clean, UTF-8, no "..", no absolute paths, no duplicates, only .proto files
// and configuration files).
func (l Limits) CheckFiles(files []File) error {
	if len(files) == 0 {
		return invalid("files", "the push has no files: send the module's .proto files and its pbregistry.yaml")
	}
	if l.MaxFiles > 0 && len(files) > l.MaxFiles {
		return invalid("files", "the push has %d files, more than the limit of %d: split the module", len(files), l.MaxFiles)
	}
	seen := make(map[string]bool, len(files))
	total := 0
	for i, f := range files {
		field := fmt.Sprintf("files[%d].path", i)
		if l.MaxPathBytes > 0 && len(f.Path) > l.MaxPathBytes {
			return invalid(field, "path %.60q… is %d bytes long, more than the limit of %d", f.Path, len(f.Path), l.MaxPathBytes)
		}
		if err := ValidateFilePath(field, f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return invalid(field, "file %s appears twice", f.Path)
		}
		seen[f.Path] = true
		if !isModuleFile(f.Path) {
			return invalid(field, "file %s is neither a .proto file nor pbregistry.yaml, buf.yaml or buf.work.yaml: push only the module's schema", f.Path)
		}
		if l.MaxFileBytes > 0 && len(f.Content) > l.MaxFileBytes {
			return invalid(fmt.Sprintf("files[%d].content", i), "file %s is %d bytes, more than the limit of %d", f.Path, len(f.Content), l.MaxFileBytes)
		}
		total += len(f.Content)
		if l.MaxTotalBytes > 0 && total > l.MaxTotalBytes {
			return invalid("files", "the push's files exceed %d bytes in total (reached at %s): split the module", l.MaxTotalBytes, f.Path)
		}
	}
	return nil
}

// isModuleFile reports whether p may be part of a module.
func isModuleFile(p string) bool {
	switch path.Base(p) {
	case ConfigFileName, "buf.yaml", "buf.work.yaml":
		return true
	}
	return strings.HasSuffix(p, ".proto")
}

// ConfigFileName is the module configuration a push carries at its root.
const ConfigFileName = "pbregistry.yaml"
