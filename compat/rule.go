package compat

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Category names. FILE, PACKAGE, WIRE_JSON, WIRE and CSR are buf's; the
// LOSSLESS categories are pbregistry's own, off unless selected.
const (
	CategoryFile             = "FILE"
	CategoryPackage          = "PACKAGE"
	CategoryWireJSON         = "WIRE_JSON"
	CategoryWire             = "WIRE"
	CategoryCSR              = "CSR"
	CategoryWireLossless     = "WIRE_LOSSLESS"
	CategoryWireJSONLossless = "WIRE_JSON_LOSSLESS"
)

// RuleInfo describes a rule of the catalog.
type RuleInfo struct {
	// ID is the rule's identifier, e.g. "FIELD_SAME_TYPE".
	ID string
	// Categories lists the categories the rule belongs to, for the
	// configuration version the catalog was read with.
	Categories []string
	// Default reports whether the rule runs when no rule is selected.
	Default bool
	// Purpose says what the rule checks, in one sentence.
	Purpose string
	// Directions are the directions the rule's findings can break.
	// Source-level rules (FILE and PACKAGE only) report Both: generated
	// code has no reading direction.
	Directions Direction
	// Deprecated rules do nothing by themselves: selecting one selects
	// its Replacements.
	Deprecated bool
	// Replacements are the rules a deprecated rule stands for.
	Replacements []string
}

// rule is a catalog entry: metadata plus the check it runs. Exactly one of
// the check functions is set (none for deprecated rules).
type rule struct {
	id      string
	purpose string
	// categories are the v2 categories; v1 is derived (no CSR), and so
	// is v1beta1 unless v1beta1Categories is set.
	categories        []string
	v1beta1Categories []string
	directions        Direction
	// onlyV1 and onlyV2 restrict the rule to one configuration version
	// (v1 includes v1beta1); notV1beta1 leaves it out of v1beta1.
	onlyV1, onlyV2, notV1beta1 bool
	deprecated                 bool
	// replacements per version ("v1", "v2") for deprecated rules; v1beta1
	// uses v1's.
	replacements map[string][]string

	global    func(p *pass)
	file      func(p *pass, prev, curr protoreflect.FileDescriptor)
	message   func(p *pass, prev, curr protoreflect.MessageDescriptor)
	field     func(p *pass, prev, curr protoreflect.FieldDescriptor)
	enum      func(p *pass, prev, curr protoreflect.EnumDescriptor)
	enumValue func(p *pass, prev, curr enumValueGroup)
	service   func(p *pass, prev, curr protoreflect.ServiceDescriptor)
	method    func(p *pass, prev, curr protoreflect.MethodDescriptor)
}

// inVersion reports whether the rule exists in configuration version v.
func (r *rule) inVersion(v string) bool {
	switch v {
	case "v1beta1":
		return !r.onlyV2 && !r.notV1beta1
	case "v1":
		return !r.onlyV2
	default:
		return !r.onlyV1
	}
}

// categoriesFor returns the rule's categories in configuration version v.
func (r *rule) categoriesFor(v string) []string {
	if r.deprecated {
		return nil
	}
	if v == "v1beta1" && r.v1beta1Categories != nil {
		return r.v1beta1Categories
	}
	if v == "v2" {
		return r.categories
	}
	out := make([]string, 0, len(r.categories))
	for _, c := range r.categories {
		if c != CategoryCSR {
			out = append(out, c)
		}
	}
	return out
}

func (r *rule) info(version string) RuleInfo {
	cats := r.categoriesFor(version)
	return RuleInfo{
		ID:           r.id,
		Categories:   slices.Clone(cats),
		Default:      slices.Contains(cats, CategoryFile),
		Purpose:      r.purpose,
		Directions:   r.directions,
		Deprecated:   r.deprecated,
		Replacements: slices.Clone(r.replacementsFor(normalizeVersion(version))),
	}
}

// replacementsFor returns the replacements of a deprecated rule in
// catalog version v.
func (r *rule) replacementsFor(v string) []string {
	if v == "v1beta1" {
		v = "v1"
	}
	return r.replacements[v]
}

// normalizeVersion maps configuration versions onto the three catalogs:
// v1beta1, v1 and v2. v1beta1 is v1 except for the field type rules: it
// has no FIELD_WIRE_COMPATIBLE_TYPE nor FIELD_WIRE_JSON_COMPATIBLE_TYPE,
// FIELD_SAME_TYPE and FIELD_SAME_CARDINALITY are also WIRE and WIRE_JSON
// rules, and FILE_SAME_PACKAGE is only a FILE rule.
func normalizeVersion(v string) string {
	switch strings.ToLower(v) {
	case "v1", "v1beta1":
		return strings.ToLower(v)
	default:
		return "v2"
	}
}

// Rules returns the catalog for configuration version ("v1", "v1beta1" or
// "v2"; empty means "v2"), in catalog order.
func Rules(version string) []RuleInfo {
	v := normalizeVersion(version)
	var out []RuleInfo
	for _, r := range catalog {
		if r.inVersion(v) {
			out = append(out, r.info(v))
		}
	}
	return out
}

// Categories returns the category names of configuration version, in the
// order they are documented.
func Categories(version string) []string {
	cats := []string{CategoryFile, CategoryPackage, CategoryWireJSON, CategoryWire}
	if normalizeVersion(version) == "v2" {
		cats = append(cats, CategoryCSR)
	}
	return append(cats, CategoryWireLossless, CategoryWireJSONLossless)
}

// ruleByID indexes the catalog.
var ruleByID = func() map[string]*rule {
	m := make(map[string]*rule, len(catalog))
	for _, r := range catalog {
		if _, dup := m[r.id]; dup && !r.deprecated {
			panic("compat: duplicate rule " + r.id)
		}
		m[r.id] = r
	}
	return m
}()

// Category sets, for brevity in the catalog.
var (
	catFile         = []string{CategoryFile}
	catFileCSR      = []string{CategoryCSR, CategoryFile}
	catFilePkg      = []string{CategoryFile, CategoryPackage}
	catFilePkgCSR   = []string{CategoryCSR, CategoryFile, CategoryPackage}
	catFilePkgJSON  = []string{CategoryCSR, CategoryFile, CategoryPackage, CategoryWireJSON}
	catFilePkgWire  = []string{CategoryCSR, CategoryFile, CategoryPackage, CategoryWireJSON, CategoryWire}
	catPkg          = []string{CategoryPackage}
	catJSON         = []string{CategoryCSR, CategoryWireJSON}
	catJSONWire     = []string{CategoryCSR, CategoryWireJSON, CategoryWire}
	catWire         = []string{CategoryWire}
	catLossless     = []string{CategoryWireLossless, CategoryWireJSONLossless}
	catWireLossless = []string{CategoryWireLossless}
	catJSONLossless = []string{CategoryWireJSONLossless}
	// catV1beta1FieldType is where v1beta1 puts FIELD_SAME_TYPE and
	// FIELD_SAME_CARDINALITY.
	catV1beta1FieldType = []string{CategoryFile, CategoryPackage, CategoryWireJSON, CategoryWire}
)

// catalog lists every rule, in the order `pbcheck rules` prints them.
var catalog = []*rule{
	// FILE only.
	{id: "EXTENSION_NO_DELETE", categories: catFile, directions: Both, onlyV2: true,
		purpose: "Checks that extensions are not deleted from a file.", file: checkExtensionNoDelete},
	{id: "SERVICE_NO_DELETE", categories: catFile, directions: Both,
		purpose: "Checks that services are not deleted from a file.", file: checkServiceNoDelete},
	{id: "ENUM_NO_DELETE", categories: catFileCSR, directions: Both,
		purpose: "Checks that enums are not deleted from a file.", file: checkEnumNoDelete},
	{id: "FILE_NO_DELETE", categories: catFileCSR, directions: Both,
		purpose: "Checks that files are not deleted.", global: checkFileNoDelete},
	{id: "MESSAGE_NO_DELETE", categories: catFileCSR, directions: Both,
		purpose: "Checks that messages are not deleted from a file.", file: checkMessageNoDelete},

	// FILE and PACKAGE.
	{id: "ENUM_SAME_TYPE", categories: catFilePkg, directions: Both,
		purpose: "Checks that enums stay open or stay closed.", enum: checkEnumSameType},
	{id: "FIELD_SAME_CARDINALITY", categories: catFilePkg, v1beta1Categories: catV1beta1FieldType, directions: Both,
		purpose: "Checks that fields keep their cardinality (optional, required, repeated, map) and presence.", field: checkFieldSameCardinality},
	{id: "FIELD_SAME_CPP_STRING_TYPE", categories: catFilePkg, directions: Both,
		purpose: "Checks that string and bytes fields keep their C++ string type (ctype option or (pb.cpp).string_type feature).", field: checkFieldSameCppStringType},
	{id: "FIELD_SAME_JAVA_UTF8_VALIDATION", categories: catFilePkg, directions: Both,
		purpose: "Checks that string fields keep their Java UTF-8 validation (java_string_check_utf8 or (pb.java).utf8_validation).", field: checkFieldSameJavaUTF8Validation},
	{id: "FIELD_SAME_JSTYPE", categories: catFilePkg, directions: Both,
		purpose: "Checks that 64-bit integer fields keep their jstype option.", field: checkFieldSameJSType},
	{id: "FIELD_SAME_UTF8_VALIDATION", categories: catFilePkg, directions: Both,
		purpose: "Checks that string fields keep their UTF-8 validation feature.", field: checkFieldSameUTF8Validation},
	fileOptionRule("FILE_SAME_CC_ENABLE_ARENAS", "cc_enable_arenas"),
	fileOptionRule("FILE_SAME_CC_GENERIC_SERVICES", "cc_generic_services"),
	fileOptionRule("FILE_SAME_CSHARP_NAMESPACE", "csharp_namespace"),
	fileOptionRule("FILE_SAME_GO_PACKAGE", "go_package"),
	fileOptionRule("FILE_SAME_JAVA_GENERIC_SERVICES", "java_generic_services"),
	fileOptionRule("FILE_SAME_JAVA_MULTIPLE_FILES", "java_multiple_files"),
	fileOptionRule("FILE_SAME_JAVA_OUTER_CLASSNAME", "java_outer_classname"),
	fileOptionRule("FILE_SAME_JAVA_PACKAGE", "java_package"),
	fileOptionRule("FILE_SAME_OBJC_CLASS_PREFIX", "objc_class_prefix"),
	fileOptionRule("FILE_SAME_OPTIMIZE_FOR", "optimize_for"),
	fileOptionRule("FILE_SAME_PHP_CLASS_PREFIX", "php_class_prefix"),
	fileOptionRule("FILE_SAME_PHP_METADATA_NAMESPACE", "php_metadata_namespace"),
	fileOptionRule("FILE_SAME_PHP_NAMESPACE", "php_namespace"),
	fileOptionRule("FILE_SAME_PY_GENERIC_SERVICES", "py_generic_services"),
	fileOptionRule("FILE_SAME_RUBY_PACKAGE", "ruby_package"),
	fileOptionRule("FILE_SAME_SWIFT_PREFIX", "swift_prefix"),
	{id: "RPC_NO_DELETE", categories: catFilePkg, directions: Both,
		purpose: "Checks that RPCs are not deleted from a service.", service: checkRPCNoDelete},

	// FILE and PACKAGE (+CSR).
	{id: "ENUM_VALUE_NO_DELETE", categories: catFilePkgCSR, directions: Both,
		purpose: "Checks that enum values are not deleted from an enum.", enum: checkEnumValueNoDelete},
	{id: "EXTENSION_MESSAGE_NO_DELETE", categories: catFilePkgCSR, directions: Both,
		purpose: "Checks that extension ranges are not deleted from a message.", message: checkExtensionMessageNoDelete},
	{id: "FIELD_NO_DELETE", categories: catFilePkgCSR, directions: Both,
		purpose: "Checks that fields are not deleted from a message.", message: checkFieldNoDelete},
	{id: "FIELD_SAME_TYPE", categories: catFilePkgCSR, v1beta1Categories: catV1beta1FieldType, directions: Both,
		purpose: "Checks that fields keep their type.", field: checkFieldSameType},
	{id: "FILE_SAME_SYNTAX", categories: catFilePkgCSR, directions: Both,
		purpose: "Checks that files keep their syntax: proto2, proto3 or editions.", file: checkFileSameSyntax},
	{id: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", categories: catFilePkgCSR, directions: Both,
		purpose: "Checks that messages do not turn no_standard_descriptor_accessor on.", message: checkMessageNoRemoveStandardDescriptorAccessor},
	{id: "ONEOF_NO_DELETE", categories: catFilePkgCSR, directions: Both,
		purpose: "Checks that oneofs are not deleted from a message.", message: checkOneofNoDelete},

	// FILE, PACKAGE and WIRE_JSON (+CSR).
	{id: "ENUM_SAME_JSON_FORMAT", categories: catFilePkgJSON, directions: Both,
		purpose: "Checks that enums keep supporting JSON (json_format feature).", enum: checkEnumSameJSONFormat},
	{id: "ENUM_VALUE_SAME_NAME", categories: catFilePkgJSON, directions: Both,
		purpose: "Checks that enum values keep their names.", enumValue: checkEnumValueSameName},
	{id: "FIELD_SAME_JSON_NAME", categories: catFilePkgJSON, directions: Both,
		purpose: "Checks that fields keep their JSON name.", field: checkFieldSameJSONName},
	{id: "FIELD_SAME_NAME", categories: catFilePkgJSON, directions: Both,
		purpose: "Checks that fields keep their names.", field: checkFieldSameName},
	{id: "MESSAGE_SAME_JSON_FORMAT", categories: catFilePkgJSON, directions: Both,
		purpose: "Checks that messages keep supporting JSON (json_format feature).", message: checkMessageSameJSONFormat},

	// FILE, PACKAGE, WIRE_JSON and WIRE (+CSR).
	{id: "FIELD_SAME_DEFAULT", categories: catFilePkgWire, directions: Both, onlyV2: true,
		purpose: "Checks that fields keep their default value.", field: checkFieldSameDefault},
	{id: "FIELD_SAME_ONEOF", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that fields stay in (or out of) the same oneof.", field: checkFieldSameOneof},
	{id: "FILE_SAME_PACKAGE", categories: catFilePkgWire, v1beta1Categories: catFile, directions: Both,
		purpose: "Checks that files keep their package.", file: checkFileSamePackage},
	{id: "MESSAGE_SAME_REQUIRED_FIELDS", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that messages neither gain nor lose required fields.", message: checkMessageSameRequiredFields},
	{id: "RESERVED_ENUM_NO_DELETE", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that reserved ranges and names are not deleted from an enum.", enum: checkReservedEnumNoDelete},
	{id: "RESERVED_MESSAGE_NO_DELETE", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that reserved ranges and names are not deleted from a message.", message: checkReservedMessageNoDelete},
	{id: "RPC_SAME_CLIENT_STREAMING", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that RPCs keep client streaming on or off.", method: checkRPCSameClientStreaming},
	{id: "RPC_SAME_IDEMPOTENCY_LEVEL", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that RPCs keep their idempotency_level.", method: checkRPCSameIdempotencyLevel},
	{id: "RPC_SAME_REQUEST_TYPE", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that RPCs keep their request type.", method: checkRPCSameRequestType},
	{id: "RPC_SAME_RESPONSE_TYPE", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that RPCs keep their response type.", method: checkRPCSameResponseType},
	{id: "RPC_SAME_SERVER_STREAMING", categories: catFilePkgWire, directions: Both,
		purpose: "Checks that RPCs keep server streaming on or off.", method: checkRPCSameServerStreaming},

	// PACKAGE only.
	{id: "PACKAGE_ENUM_NO_DELETE", categories: catPkg, directions: Both,
		purpose: "Checks that enums are not deleted from a package.", global: checkPackageEnumNoDelete},
	{id: "PACKAGE_EXTENSION_NO_DELETE", categories: catPkg, directions: Both, onlyV2: true,
		purpose: "Checks that extensions are not deleted from a package.", global: checkPackageExtensionNoDelete},
	{id: "PACKAGE_MESSAGE_NO_DELETE", categories: catPkg, directions: Both,
		purpose: "Checks that messages are not deleted from a package.", global: checkPackageMessageNoDelete},
	{id: "PACKAGE_NO_DELETE", categories: catPkg, directions: Both,
		purpose: "Checks that packages are not deleted.", global: checkPackageNoDelete},
	{id: "PACKAGE_SERVICE_NO_DELETE", categories: catPkg, directions: Both,
		purpose: "Checks that services are not deleted from a package.", global: checkPackageServiceNoDelete},

	// WIRE_JSON (+CSR).
	{id: "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", categories: catJSON, directions: Backward,
		purpose: "Checks that enum values are not deleted unless their name is reserved.", enum: checkEnumValueNoDeleteUnlessNameReserved},
	{id: "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", categories: catJSON, directions: Backward,
		purpose: "Checks that fields are not deleted unless their name is reserved.", message: checkFieldNoDeleteUnlessNameReserved},
	{id: "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", categories: catJSON, directions: Both,
		purpose: "Checks that fields keep a cardinality compatible on the wire and in JSON.", field: checkFieldWireJSONCompatibleCardinality},
	{id: "FIELD_WIRE_JSON_COMPATIBLE_TYPE", categories: catJSON, notV1beta1: true, directions: Both,
		purpose: "Checks that fields keep a type compatible on the wire and in JSON.", field: checkFieldWireJSONCompatibleType},

	// WIRE_JSON and WIRE (+CSR).
	{id: "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", categories: catJSONWire, directions: Both,
		purpose: "Checks that enum values are not deleted unless their number is reserved.", enum: checkEnumValueNoDeleteUnlessNumberReserved},
	{id: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", categories: catJSONWire, directions: Both,
		purpose: "Checks that fields are not deleted unless their number is reserved.", message: checkFieldNoDeleteUnlessNumberReserved},

	// WIRE only.
	{id: "FIELD_WIRE_COMPATIBLE_CARDINALITY", categories: catWire, directions: Both,
		purpose: "Checks that fields keep a cardinality compatible on the wire.", field: checkFieldWireCompatibleCardinality},
	{id: "FIELD_WIRE_COMPATIBLE_TYPE", categories: catWire, notV1beta1: true, directions: Both,
		purpose: "Checks that fields keep a type compatible on the wire.", field: checkFieldWireCompatibleType},

	// pbregistry's lossless categories: changes buf's WIRE and WIRE_JSON
	// accept that still lose or alter data in one direction.
	{id: "FIELD_WIRE_LOSSLESS_TYPE", categories: catLossless, directions: Both,
		purpose: "Checks that wire-compatible type changes do not truncate or reinterpret values (e.g. int32 to int64 truncates for readers on the previous schema).", field: checkFieldWireLosslessType},
	{id: "FIELD_WIRE_LOSSLESS_PRESENCE", categories: catLossless, directions: Both,
		purpose: "Checks that singular fields keep explicit or implicit presence, so readers can tell a zero from an unset value.", field: checkFieldWireLosslessPresence},
	{id: "ENUM_WIRE_LOSSLESS_TYPE", categories: catLossless, directions: Both,
		purpose: "Checks that enums stay open or closed: closed enums drop numbers they do not declare, so closing loses old data and opening loses new data for old readers.", enum: checkEnumWireLosslessType},
	{id: "ENUM_VALUE_WIRE_LOSSLESS_ADD", categories: catWireLossless, directions: Forward,
		purpose: "Checks that closed enums gain no values: readers on the previous schema drop unknown values of closed enums.", enum: checkEnumValueWireLosslessAdd},
	{id: "ENUM_VALUE_WIRE_LOSSLESS_DELETE", categories: catWireLossless, directions: Backward,
		purpose: "Checks that closed enums lose no values, even reserved: readers on the current schema drop the numbers of deleted values from old data.", enum: checkEnumValueWireLosslessDelete},
	{id: "ENUM_VALUE_WIRE_JSON_LOSSLESS_ADD", categories: catJSONLossless, directions: Forward,
		purpose: "Checks that enums gain no values: JSON readers on the previous schema reject names they do not know.", enum: checkEnumValueWireJSONLosslessAdd},
	{id: "ENUM_VALUE_WIRE_JSON_LOSSLESS_DELETE", categories: catJSONLossless, directions: Backward,
		purpose: "Checks that enum values are not deleted, even reserved: JSON data holding the value's name cannot be read any more.", enum: checkEnumValueWireJSONLosslessDelete},

	// Deprecated rules, in no category: selecting one selects its
	// replacements. MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT and
	// FILE_SAME_PHP_GENERIC_SERVICES check what their names say.
	{id: "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT", deprecated: true, directions: Both,
		purpose: "Checks that messages keep their message_set_wire_format option.", message: checkMessageSameMessageSetWireFormat},
	{id: "FIELD_SAME_CTYPE", deprecated: true, onlyV1: true, directions: Both,
		purpose:      "Checks that fields keep their ctype option.",
		replacements: map[string][]string{"v1": {"FIELD_SAME_CPP_STRING_TYPE"}}},
	{id: "FIELD_SAME_LABEL", deprecated: true, onlyV1: true, directions: Both,
		purpose:      "Checks that fields keep their label.",
		replacements: map[string][]string{"v1": {"FIELD_SAME_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"}}},
	{id: "FILE_SAME_JAVA_STRING_CHECK_UTF8", deprecated: true, onlyV1: true, directions: Both,
		purpose:      "Checks that files keep their java_string_check_utf8 option.",
		replacements: map[string][]string{"v1": {"FIELD_SAME_JAVA_UTF8_VALIDATION"}}},
	{id: "FILE_SAME_PHP_GENERIC_SERVICES", deprecated: true, onlyV1: true, directions: Both,
		purpose: "Checks that files keep their php_generic_services option.", file: checkFileSamePhpGenericServices},
}
