package input

import (
	"crypto/sha256"
	"io/fs"
	"path"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// digest identifies a file's source: the SHA-256 of its bytes. The zero
// digest stands for a file no module root holds, which the compiler serves
// itself (a well-known type).
type digest [sha256.Size]byte

// compiledSources is what an input compiled from source offers to the
// load of another input (Options.Reuse): the digest of every file it read
// and the descriptors it compiled, by path.
type compiledSources struct {
	digests map[string]digest
	files   map[string]protoreflect.FileDescriptor
}

// recordDigest notes the digest of a file read from source, for an input
// that may be reused.
func (s *sources) recordDigest(name string, data []byte) {
	s.mu.Lock()
	if s.digests == nil {
		s.digests = map[string]digest{}
	}
	s.digests[name] = sha256.Sum256(data)
	s.mu.Unlock()
}

// shareFrom returns the files of prev that this compile can use as they
// are instead of compiling them: those whose source here is identical to
// the one prev compiled, and so, recursively, are all their imports (prev's
// descriptor lists the imports: the same source imports the same paths).
// A file shared brings its whole import closure, so a file compiled here
// never links against two versions of one path. It runs after readTargets.
func (s *sources) shareFrom(prev *compiledSources) map[string]protoreflect.FileDescriptor {
	memo := map[string]bool{}
	var same func(p string) bool
	same = func(p string) bool {
		if v, ok := memo[p]; ok {
			return v
		}
		memo[p] = false // an import cycle is not shared
		fd := prev.files[p]
		if fd == nil {
			return false
		}
		here, ok := s.digestHere(p)
		if !ok || here != prev.digests[p] {
			return false
		}
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			if !same(imports.Get(i).Path()) {
				return false
			}
		}
		memo[p] = true
		return true
	}
	shared := map[string]protoreflect.FileDescriptor{}
	for p := range s.targets {
		if same(p) {
			shared[p] = prev.files[p]
		}
	}
	for p, ok := range memo {
		if ok {
			shared[p] = prev.files[p]
		}
	}
	return shared
}

// digestHere returns the digest of the source this compile would read for
// p: a target's content, else the first module root holding p, else the
// zero digest (the compiler's own well-known types). ok is false when the
// file cannot be read.
func (s *sources) digestHere(p string) (digest, bool) {
	if _, ok := s.targets[p]; ok {
		data, read := s.content[p]
		if !read || data == nil {
			return digest{}, false
		}
		return sha256.Sum256(data), true
	}
	if !fs.ValidPath(p) {
		return digest{}, false
	}
	for _, root := range s.roots {
		data, err := fs.ReadFile(s.fsys, path.Join(root, p))
		if err == nil {
			return sha256.Sum256(data), true
		}
	}
	return digest{}, true
}
