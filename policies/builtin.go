package policies

import "github.com/pbregistry/pbregistry/config"

// builtinFile is the position built-in policies report in errors.
const builtinFile = "built-in policies"

// Builtins returns the built-in policies, on by default. Each is a CEL
// policy like any other, and can be overridden by name in pbregistry.yaml
// (e.g. `- {name: EVENT_ID_FIELD, params: {field: id}}` or `disabled: true`).
func Builtins() []Spec {
	specs := []Spec{
		// pbtable: rows are proto-JSON in a JSONB column, with generated
		// columns and dbt models on top.
		// Primary-key entries are field names or dotted paths through
		// singular message fields ("key.id"): rows are proto-JSON, and a
		// nested key is a JSON path a generated column extracts.
		// subject.primary_key_paths has each entry resolved.
		{
			Name: "PBTABLE_PRIMARY_KEY", Target: TargetMessage, Kinds: []string{"pbtable"},
			Description: "A pbtable declares a primary key whose fields exist and are singular scalars, reached through singular message fields (no well-known types) when dotted.",
			Expr: `message.full_name != subject.name ||
  (size(subject.primary_key) > 0 && subject.primary_key_paths.all(k, k.found &&
     k.fields.all(f, f.cardinality in ["optional", "required"] &&
       !(f.type in ["message", "group"] && f.type_name.startsWith("google.protobuf."))) &&
     !(k.leaf.type in ["message", "group"])))`,
			// One reason per invalid entry, in the order the expression
			// checks; "" for valid entries.
			MessageExpr: `size(subject.primary_key) == 0
  ? "pbtable " + message.full_name + " declares no primary key: list its key fields in primary_key"
  : "pbtable " + message.full_name + " has an invalid primary key (" + subject.primary_key_paths.map(k,
      !k.found
        ? k.path + ": " + (size(k.fields) > 0 && !(k.fields[size(k.fields) - 1].type in ["message", "group"])
            ? k.fields[size(k.fields) - 1].name + " is a " + k.fields[size(k.fields) - 1].type + ", not a message"
            : (size(k.fields) == 0 ? message.full_name : k.fields[size(k.fields) - 1].type_name) +
              " has no field " + k.path.split(".")[size(k.fields)])
      : k.fields.exists(f, !(f.cardinality in ["optional", "required"]))
        ? k.fields.filter(f, !(f.cardinality in ["optional", "required"])).map(f,
            (k.path == f.name ? "" : k.path + ": ") + f.name + (f.cardinality == "map" ? " is a map" : " is repeated"))[0]
      : k.leaf.type in ["message", "group"]
        ? k.path + " holds message " + k.leaf.type_name + ", not a scalar"
      : k.fields.exists(f, f.type in ["message", "group"] && f.type_name.startsWith("google.protobuf."))
        ? k.fields.filter(f, f.type in ["message", "group"] && f.type_name.startsWith("google.protobuf.")).map(f,
            k.path + ": " + f.name + " is a " + f.type_name + ", a well-known type whose JSON form is not an object of its fields")[0]
      : "").filter(r, r != "").join("; ") +
    "): name singular scalar fields of the message, or dotted paths to them through singular message fields"`,
		},
		{
			Name: "PBTABLE_PRIMARY_KEY_NO_ONEOF", Target: TargetMessage, Kinds: []string{"pbtable"},
			Description: "No field on the path of a pbtable's primary key is in a oneof: a key must always be set.",
			Expr:        `message.full_name != subject.name || !subject.primary_key_paths.exists(k, k.fields.exists(f, f.oneof != ""))`,
			MessageExpr: `"pbtable " + message.full_name + " has primary-key fields in a oneof: " +
  subject.primary_key_paths.filter(k, k.fields.exists(f, f.oneof != "")).map(k,
    k.path + (k.path == k.fields.filter(f, f.oneof != "")[0].name ? "" : " (" + k.fields.filter(f, f.oneof != "")[0].name + ")") +
    " in oneof " + k.fields.filter(f, f.oneof != "")[0].oneof).join(", ") +
  ": move them out of the oneof"`,
		},
		{
			Name: "PBTABLE_MAX_DEPTH", Target: TargetMessage, Kinds: []string{"pbtable"},
			Description: "A pbtable stays mostly flat: its data nests at most params.max_depth messages deep (well-known types excepted), so its JSON view and dbt columns stay usable.",
			Params:      map[string]any{"max_depth": 2},
			Expr:        `message.full_name != subject.name || message.depth <= params.max_depth`,
			MessageExpr: `"pbtable " + message.full_name + " nests messages " + string(message.depth) + " deep, more than " + string(params.max_depth) + ": flatten it or store the deep part in its own table"`,
		},
		{
			Name: "PBTABLE_NO_MAP_OF_MESSAGES", Target: TargetField, Kinds: []string{"pbtable"},
			Description: "A pbtable has no map whose values are messages: JSON objects of objects make poor columns.",
			Expr:        `!(field.is_map && field.map_value_type == "message")`,
			MessageExpr: `"field " + field.name + " of " + field.message + " is a map of messages (" + field.map_value_type_name + "): use a repeated message with a key field"`,
		},
		{
			Name: "PBTABLE_STABLE_JSON_NAME", Target: TargetField, Kinds: []string{"pbtable"},
			Description: "pbtable fields keep the JSON name derived from their name: no json_name option, which is how JSON keys of stored rows get changed.",
			Expr:        `!field.has_json_name`,
			MessageExpr: `"field " + field.name + " of " + field.message + " sets json_name \"" + field.json_name + "\": pbtable rows are stored as JSON, remove the option"`,
		},
		// event: a stream of facts, deduplicated by id and ordered by time.
		{
			Name: "EVENT_ID_FIELD", Target: TargetMessage, Kinds: []string{"event"},
			Description: "An event has a singular string id field (params.field, default event_id).",
			Params:      map[string]any{"field": "event_id"},
			Expr:        `message.full_name != subject.name || message.fields.exists(f, f.name == params.field && f.type == "string" && f.cardinality != "repeated")`,
			MessageExpr: `"event " + message.full_name + " has no string field " + params.field + ": add one to identify each event"`,
		},
		{
			Name: "EVENT_OCCURRED_AT", Target: TargetMessage, Kinds: []string{"event"},
			Description: "An event has a google.protobuf.Timestamp field saying when it occurred (params.field, default occurred_at).",
			Params:      map[string]any{"field": "occurred_at"},
			Expr:        `message.full_name != subject.name || message.fields.exists(f, f.name == params.field && f.type_name == "google.protobuf.Timestamp" && f.cardinality != "repeated")`,
			MessageExpr: `"event " + message.full_name + " has no google.protobuf.Timestamp field " + params.field + ": add one saying when the event occurred"`,
		},
		{
			Name: "EVENT_NO_REQUIRED", Target: TargetField, Kinds: []string{"event"},
			Description: "Events have no required fields: a required field can never be removed, and readers refuse events without it.",
			Expr:        `field.label != "required"`,
			MessageExpr: `"field " + field.name + " of " + field.message + " is required: make it optional; events outlive their schema"`,
		},
		// log: written by new code, read later by tools.
		{
			Name: "LOG_TIMESTAMP", Target: TargetMessage, Kinds: []string{"log"},
			Description: "A log record has a google.protobuf.Timestamp field.",
			Expr:        `message.full_name != subject.name || message.fields.exists(f, f.type_name == "google.protobuf.Timestamp" && f.cardinality != "repeated")`,
			MessageExpr: `"log " + message.full_name + " has no google.protobuf.Timestamp field: add one saying when the record was written"`,
		},
		{
			Name: "LOG_RESERVE_DELETED_FIELDS", Target: TargetChange, Kinds: []string{"log"},
			Description: "A field deleted from a log record reserves its name and number, so old records stay readable.",
			Expr:        `!(change.rule in ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"])`,
			MessageExpr: `change.message + " Log records keep old fields: reserve the deleted field's name and number."`,
		},
		// everywhere.
		{
			Name: "PACKAGE_VERSIONED", Target: TargetFile,
			Description: "Packages end with a version: .v1, .v2, .v1beta1, .v1alpha2.",
			Expr:        `file.package.matches("(^|\\.)v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$")`,
			MessageExpr: `file.package == "" ? "file " + file.path + " has no package: declare one ending with a version, e.g. acme.billing.v1"
  : "package " + file.package + " does not end with a version such as .v1 or .v1beta1"`,
		},
		{
			Name: "ENUM_ZERO_VALUE_UNSPECIFIED", Target: TargetEnum,
			Description: "The zero value of an enum is <ENUM>_UNSPECIFIED, so an unset value is never mistaken for a real one.",
			Expr:        `enum.zero_value == enum.name.upper_snake() + "_UNSPECIFIED"`,
			MessageExpr: `"enum " + enum.full_name + " zero value is " + (enum.zero_value == "" ? "missing" : enum.zero_value) + ": name it " + enum.name.upper_snake() + "_UNSPECIFIED"`,
		},
		{
			Name: "FIELD_LOWER_SNAKE_CASE", Target: TargetField,
			Description: "Field names are lower_snake_case.",
			Expr:        `field.is_extension || field.name.matches("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")`,
			MessageExpr: `"field " + field.name + " of " + field.message + " is not lower_snake_case: rename it " + field.name.lower_snake()`,
		},
	}
	for i := range specs {
		specs[i].Severity = "error"
		specs[i].Pos = config.Pos{File: builtinFile}
		specs[i].ExprPos = exprPos{Pos: config.Pos{File: builtinFile + " " + specs[i].Name}}
		specs[i].MessageExprPos = specs[i].ExprPos
	}
	return specs
}
