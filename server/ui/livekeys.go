package ui

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/registry"
)

// liveSet answers whether a ledger key is used by a version.
type liveSet struct {
	files *protoregistry.Files
}

// liveKeys returns the keys module's version n uses, or nil when there is
// no version.
func (h *Handler) liveKeys(ctx context.Context, module string, n int64) (*liveSet, error) {
	if n <= 0 {
		return nil, nil
	}
	blob, err := h.store.GetDescriptorSet(ctx, module, n)
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: version %d: %w", module, n, err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(blob, &set); err != nil {
		return nil, fmt.Errorf("ledger of %s: version %d: %w", module, n, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: version %d: %w", module, n, err)
	}
	return &liveSet{files: files}, nil
}

// has reports whether the version uses e's key in e's scope.
func (l *liveSet) has(e registry.LedgerEntry) bool {
	d, err := l.files.FindDescriptorByName(protoreflect.FullName(e.Scope))
	if err != nil {
		return false
	}
	num, numErr := strconv.Atoi(e.Key)
	switch d := d.(type) {
	case protoreflect.MessageDescriptor:
		fields := d.Fields()
		switch e.Kind {
		case registry.LedgerFieldNumber:
			return numErr == nil && fields.ByNumber(protoreflect.FieldNumber(num)) != nil
		case registry.LedgerFieldName:
			return fields.ByName(protoreflect.Name(e.Key)) != nil
		case registry.LedgerJSONName:
			return fields.ByJSONName(e.Key) != nil
		}
	case protoreflect.EnumDescriptor:
		values := d.Values()
		switch e.Kind {
		case registry.LedgerEnumNumber:
			return numErr == nil && values.ByNumber(protoreflect.EnumNumber(num)) != nil
		case registry.LedgerEnumName:
			return values.ByName(protoreflect.Name(e.Key)) != nil
		}
	}
	return false
}
