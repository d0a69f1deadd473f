package input

import (
	"fmt"
	"strings"
)

// Format is the kind of an input reference.
type Format string

// The input formats, named as in buf's #format= option.
const (
	// FormatDir is a directory of .proto files (a module or workspace).
	FormatDir Format = "dir"
	// FormatProtoFile is a single .proto file.
	FormatProtoFile Format = "protofile"
	// FormatBinpb is a binary FileDescriptorSet or buf image.
	FormatBinpb Format = "binpb"
	// FormatJSON is a FileDescriptorSet or buf image in protobuf JSON.
	FormatJSON Format = "json"
	// FormatGit is a commit of a local git repository.
	FormatGit Format = "git"
)

// Ref is a parsed input reference: a path and, after '#', options.
type Ref struct {
	// Raw is the reference as given.
	Raw string
	// Path is the part before '#': a file or directory path, "-" for
	// standard input, or a git repository (its root or .git directory;
	// a file:// prefix is removed).
	Path string
	// Format is the format given with #format= or detected from Path;
	// empty when it must be found by looking at Path on disk.
	Format Format
	// Gzip reports a .gz suffix (compression=gzip): the image is
	// gzip-compressed.
	Gzip bool
	// Branch, Tag and GitRef select the commit of a git input; all empty
	// means HEAD. GitRef is anything git rev-parse would accept that
	// go-git resolves: a full or abbreviated hash, a branch or tag name,
	// HEAD~1, … When Branch is set too, a GitRef starting with HEAD is
	// read relative to the branch.
	Branch, Tag, GitRef string
	// Subdir is the directory inside a git tree to read, "" for its root.
	Subdir string
}

// refOptions lists the #key=value options, for messages.
const refOptions = "format, compression, branch, tag, ref, subdir, depth, recurse_submodules"

// ParseRef parses an input reference in buf's syntax:
//
//	path[#key=value[,key=value…]]
//
// with keys format (dir, protofile, binpb, json, git), compression (none,
// gzip), branch, tag, ref, subdir, and depth and recurse_submodules, which
// are accepted for compatibility and have no effect on a local
// repository. Without format=, the format comes from Path: "-" and .binpb,
// .bin and .pb are binpb, .json is json, .proto is protofile, .git is git
// (each image suffix optionally followed by .gz); anything else is left
// for Load to look at.
func ParseRef(s string) (Ref, error) {
	ref := Ref{Raw: s}
	p, opts, hasOpts := strings.Cut(s, "#")
	ref.Path = strings.TrimPrefix(p, "file://")
	if ref.Path == "" {
		return ref, fmt.Errorf("input %q: empty path: give a directory, a .proto file, an image (.binpb, .json) or a git repository (.git)", s)
	}
	var depthSet, compression bool
	if hasOpts {
		for _, kv := range strings.Split(opts, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return ref, fmt.Errorf("input %q: option %q is not key=value (options: %s)", s, kv, refOptions)
			}
			if v == "" {
				return ref, fmt.Errorf("input %q: option %s has an empty value", s, k)
			}
			switch k {
			case "format":
				switch f := Format(v); f {
				case FormatDir, FormatProtoFile, FormatBinpb, FormatJSON, FormatGit:
					ref.Format = f
				case "bin":
					ref.Format = FormatBinpb
				default:
					return ref, fmt.Errorf("input %q: unsupported format %q: use dir, protofile, binpb, json or git", s, v)
				}
			case "compression":
				compression = true
				switch v {
				case "none":
				case "gzip":
					ref.Gzip = true
				default:
					return ref, fmt.Errorf("input %q: unsupported compression %q: use none or gzip", s, v)
				}
			case "branch":
				ref.Branch = v
			case "tag":
				ref.Tag = v
			case "ref":
				ref.GitRef = v
			case "subdir":
				ref.Subdir = v
			case "depth":
				depthSet = true
			case "recurse_submodules":
				if v != "true" && v != "false" {
					return ref, fmt.Errorf("input %q: recurse_submodules must be true or false", s)
				}
			default:
				return ref, fmt.Errorf("input %q: unknown option %q (options: %s)", s, k, refOptions)
			}
		}
	}
	base := ref.Path
	if !compression {
		if b, ok := strings.CutSuffix(base, ".gz"); ok {
			base, ref.Gzip = b, true
		}
	}
	if ref.Format == "" {
		switch {
		case ref.Path == "-":
			ref.Format = FormatBinpb
		case hasSuffix(base, ".binpb", ".bin", ".pb"):
			ref.Format = FormatBinpb
		case hasSuffix(base, ".json"):
			ref.Format = FormatJSON
		case hasSuffix(base, ".txtpb", ".yaml", ".yml"):
			return ref, fmt.Errorf("input %q: text and YAML images are not supported: write the image as binary (.binpb) or JSON (.json)", s)
		case hasSuffix(base, ".tar", ".zip", ".tgz"):
			return ref, fmt.Errorf("input %q: archives are not supported: extract it and give the directory", s)
		case hasSuffix(ref.Path, ".proto"):
			ref.Format = FormatProtoFile
		case hasSuffix(strings.TrimSuffix(ref.Path, "/"), ".git"):
			ref.Format = FormatGit
		}
	}
	isGit := ref.Format == FormatGit
	if !isGit && (ref.Branch != "" || ref.Tag != "" || ref.GitRef != "" || ref.Subdir != "" || depthSet) {
		return ref, fmt.Errorf("input %q: branch, tag, ref, subdir and depth are only valid for git inputs (a path ending in .git, or #format=git)", s)
	}
	if ref.Gzip && ref.Format != FormatBinpb && ref.Format != FormatJSON {
		return ref, fmt.Errorf("input %q: compression is only valid for images (binpb, json)", s)
	}
	if ref.Tag != "" && (ref.Branch != "" || ref.GitRef != "") {
		return ref, fmt.Errorf("input %q: tag cannot be combined with branch or ref: give one of them", s)
	}
	return ref, nil
}

func hasSuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
