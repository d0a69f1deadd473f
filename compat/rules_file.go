package compat

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file holds the rules on files: syntax, package and file options.

// fileOption reads one file option as the string compared between schemas.
type fileOption struct {
	name  string
	tag   int32
	value func(*descriptorpb.FileOptions) string
}

var fileOptions = map[string]fileOption{
	"cc_enable_arenas":       {tag: 31, value: func(o *descriptorpb.FileOptions) string { return strconv.FormatBool(o.GetCcEnableArenas()) }},
	"cc_generic_services":    {tag: 16, value: func(o *descriptorpb.FileOptions) string { return strconv.FormatBool(o.GetCcGenericServices()) }},
	"csharp_namespace":       {tag: 37, value: (*descriptorpb.FileOptions).GetCsharpNamespace},
	"go_package":             {tag: 11, value: (*descriptorpb.FileOptions).GetGoPackage},
	"java_generic_services":  {tag: 17, value: func(o *descriptorpb.FileOptions) string { return strconv.FormatBool(o.GetJavaGenericServices()) }},
	"java_multiple_files":    {tag: 10, value: func(o *descriptorpb.FileOptions) string { return strconv.FormatBool(o.GetJavaMultipleFiles()) }},
	"java_outer_classname":   {tag: 8, value: (*descriptorpb.FileOptions).GetJavaOuterClassname},
	"java_package":           {tag: 1, value: (*descriptorpb.FileOptions).GetJavaPackage},
	"objc_class_prefix":      {tag: 36, value: (*descriptorpb.FileOptions).GetObjcClassPrefix},
	"optimize_for":           {tag: 9, value: func(o *descriptorpb.FileOptions) string { return o.GetOptimizeFor().String() }},
	"php_class_prefix":       {tag: 40, value: (*descriptorpb.FileOptions).GetPhpClassPrefix},
	"php_metadata_namespace": {tag: 44, value: (*descriptorpb.FileOptions).GetPhpMetadataNamespace},
	"php_namespace":          {tag: 41, value: (*descriptorpb.FileOptions).GetPhpNamespace},
	"py_generic_services":    {tag: 18, value: func(o *descriptorpb.FileOptions) string { return strconv.FormatBool(o.GetPyGenericServices()) }},
	"ruby_package":           {tag: 45, value: (*descriptorpb.FileOptions).GetRubyPackage},
	"swift_prefix":           {tag: 39, value: (*descriptorpb.FileOptions).GetSwiftPrefix},
	"php_generic_services":   {tag: phpGenericServicesTag, value: phpGenericServices},
}

// phpGenericServicesTag is the number php_generic_services had before
// descriptor.proto removed the option; files compiled by older tools still
// carry it, as an unknown field.
const phpGenericServicesTag = 42

func phpGenericServices(o *descriptorpb.FileOptions) string {
	raw := o.ProtoReflect().GetUnknown()
	value := false
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			break
		}
		raw = raw[n:]
		m := protowire.ConsumeFieldValue(num, typ, raw)
		if m < 0 {
			break
		}
		if num == phpGenericServicesTag && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(raw)
			value = v != 0
		}
		raw = raw[m:]
	}
	return strconv.FormatBool(value)
}

// fileOptionRule returns the FILE_SAME_<OPTION> rule for a file option.
func fileOptionRule(id, option string) *rule {
	opt, ok := fileOptions[option]
	if !ok {
		panic("compat: unknown file option " + option)
	}
	opt.name = option
	return &rule{
		id:         id,
		categories: catFilePkg,
		directions: Both,
		purpose:    fmt.Sprintf("Checks that files keep the value of option %s.", option),
		file: func(p *pass, prev, curr protoreflect.FileDescriptor) {
			checkFileOption(p, prev, curr, opt)
		},
	}
}

func fileOptionsOf(fd protoreflect.FileDescriptor) *descriptorpb.FileOptions {
	opts, _ := fd.Options().(*descriptorpb.FileOptions)
	return opts
}

func checkFileOption(p *pass, prev, curr protoreflect.FileDescriptor, opt fileOption) {
	before, after := opt.value(fileOptionsOf(prev)), opt.value(fileOptionsOf(curr))
	if before == after {
		return
	}
	p.report(at{file: curr, path: []int32{fileOptionsTag, opt.tag}}, at{file: prev, path: []int32{fileOptionsTag, opt.tag}}, Both, curr.Package(),
		"File option %q changed from %q to %q.", opt.name, before, after)
}

func checkFileSamePhpGenericServices(p *pass, prev, curr protoreflect.FileDescriptor) {
	opt := fileOptions["php_generic_services"]
	opt.name = "php_generic_services"
	checkFileOption(p, prev, curr, opt)
}

// syntaxName returns "proto2", "proto3" or "editions".
func syntaxName(fd protoreflect.FileDescriptor) string {
	switch fd.Syntax() {
	case protoreflect.Proto3:
		return "proto3"
	case protoreflect.Editions:
		return "editions"
	default:
		return "proto2"
	}
}

func checkFileSameSyntax(p *pass, prev, curr protoreflect.FileDescriptor) {
	before, after := syntaxName(prev), syntaxName(curr)
	if before == after {
		return
	}
	p.report(p.syntaxAt(curr), p.syntaxAt(prev), Both, curr.Package(),
		"File syntax changed from %q to %q.", before, after)
}

// syntaxAt locates a file's syntax or edition statement. buf's compiler
// records both under the syntax field; others record an edition statement
// under the edition field.
func (p *pass) syntaxAt(fd protoreflect.FileDescriptor) at {
	return p.firstLocated(at{file: fd, path: []int32{fileSyntaxTag}}, at{file: fd, path: []int32{fileEditionTag}})
}

func checkFileSamePackage(p *pass, prev, curr protoreflect.FileDescriptor) {
	if prev.Package() == curr.Package() {
		return
	}
	p.report(at{file: curr, path: []int32{filePackageTag}}, at{file: prev, path: []int32{filePackageTag}}, Both, curr.Package(),
		"File package changed from %q to %q: every type it declares has a new full name.", prev.Package(), curr.Package())
}
