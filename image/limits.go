package image

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Limits bound what Decode accepts. Decoding costs memory far beyond the
// size of the data for some shapes: each source location, 11 bytes on
// the wire, takes about 450 bytes once decoded and linked, so a 44 MB
// image of nothing but locations takes 1.8 GB. The limits are checked by
// a scan of the wire format before anything is decoded.
type Limits struct {
	// MaxBytes is the size of the serialized image. 0 means
	// DefaultLimits.MaxBytes; negative, no limit.
	MaxBytes int
	// MaxFiles is the number of files, imports included. 0 means
	// DefaultLimits.MaxFiles; negative, no limit.
	MaxFiles int
	// MaxSourceLocations is the number of source locations of all files
	// together. 0 means DefaultLimits.MaxSourceLocations; negative, no
	// limit.
	MaxSourceLocations int
}

// DefaultLimits are generous for real images: 256 MiB, 20,000 files and
// 2,000,000 source locations (protoc and buf write about 30 per KiB of
// .proto source, so 2,000,000 is some 64 MiB of sources, the size of the
// largest push the registry accepts by default).
var DefaultLimits = Limits{MaxBytes: 256 << 20, MaxFiles: 20_000, MaxSourceLocations: 2_000_000}

// StoredLimits are for images a registry wrote itself after checking them
// at push: none, so that a version accepted under a larger configured
// push limit stays readable.
var StoredLimits = Limits{MaxBytes: -1, MaxFiles: -1, MaxSourceLocations: -1}

// pick returns v, or def when v is 0, or 0 (no limit) when v is negative.
func pick(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Resolved returns l with each zero replaced by its default and each
// negative value by 0 (no limit).
func (l Limits) Resolved() Limits {
	return Limits{
		MaxBytes:           pick(l.MaxBytes, DefaultLimits.MaxBytes),
		MaxFiles:           pick(l.MaxFiles, DefaultLimits.MaxFiles),
		MaxSourceLocations: pick(l.MaxSourceLocations, DefaultLimits.MaxSourceLocations),
	}
}

// Wire numbers the scan follows.
const (
	fdpSourceCodeInfoField = 9 // FileDescriptorProto.source_code_info
	sciLocationField       = 1 // SourceCodeInfo.location
)

// check scans a serialized FileDescriptorSet against the (resolved)
// limits without decoding it. Data the scan cannot follow is left to the
// decoder, which reports it.
func (l Limits) check(data []byte) error {
	if l.MaxBytes > 0 && len(data) > l.MaxBytes {
		return &DecodeError{Msg: fmt.Sprintf("the image is %d bytes, more than the limit of %d: split the module into smaller images", len(data), l.MaxBytes)}
	}
	files, locations := 0, 0
	var err error
	eachField(data, fdsFileField, func(file []byte) bool {
		files++
		if l.MaxFiles > 0 && files > l.MaxFiles {
			err = &DecodeError{Msg: fmt.Sprintf("the image has more than %d files, the limit: split the module into smaller images", l.MaxFiles)}
			return false
		}
		eachField(file, fdpSourceCodeInfoField, func(sci []byte) bool {
			eachField(sci, sciLocationField, func([]byte) bool {
				locations++
				return l.MaxSourceLocations <= 0 || locations <= l.MaxSourceLocations
			})
			return l.MaxSourceLocations <= 0 || locations <= l.MaxSourceLocations
		})
		if l.MaxSourceLocations > 0 && locations > l.MaxSourceLocations {
			err = l.tooManyLocations(fileName(file))
			return false
		}
		return true
	})
	return err
}

// tooManyLocations is the error for an image past MaxSourceLocations,
// reached in file.
func (l Limits) tooManyLocations(file string) error {
	return &DecodeError{File: file, Msg: fmt.Sprintf("the image has more than %d source locations, the limit (each costs memory to load; protoc and buf write about 30 per KiB of .proto source): split the module into smaller images, or build it without source info for its imports", l.MaxSourceLocations)}
}

// eachField calls f with the value of each length-delimited field
// numbered num of a serialized message, in order, until f returns false;
// it stops at malformed data, which the decoder reports.
func eachField(msg []byte, num protowire.Number, f func([]byte) bool) {
	for len(msg) > 0 {
		n, typ, tn := protowire.ConsumeTag(msg)
		if tn < 0 {
			return
		}
		msg = msg[tn:]
		if n == num && typ == protowire.BytesType {
			v, vn := protowire.ConsumeBytes(msg)
			if vn < 0 || !f(v) {
				return
			}
			msg = msg[vn:]
			continue
		}
		vn := protowire.ConsumeFieldValue(n, typ, msg)
		if vn < 0 {
			return
		}
		msg = msg[vn:]
	}
}

// fileName returns the name of a serialized FileDescriptorProto, or "".
func fileName(file []byte) string {
	name := ""
	eachField(file, 1, func(v []byte) bool { // FileDescriptorProto.name
		name = string(v)
		return true
	})
	return name
}
