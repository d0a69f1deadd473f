package main

// This file holds the word lists the generator draws names from. They are
// written for this corpus: a fictional company "Acme" with the kind of
// business domains a large marketplace/platform company has.

// domain is one business domain and the areas (sub-packages) it owns.
type domain struct {
	name  string
	areas []string
}

// domains are the 40 business domains of the fictional company. Each area
// becomes the package acme.<domain>.<area>.<version>.
var domains = []domain{
	{"billing", []string{"invoice", "subscription", "tax", "usage", "credit", "dunning"}},
	{"payments", []string{"card", "transfer", "payout", "refund", "dispute", "wallet"}},
	{"identity", []string{"user", "credential", "session", "mfa", "profile"}},
	{"accounts", []string{"organization", "membership", "workspace", "role", "quota"}},
	{"orders", []string{"cart", "checkout", "order", "fulfillment", "returns"}},
	{"catalog", []string{"product", "variant", "category", "brand", "attribute", "listing"}},
	{"inventory", []string{"stock", "warehouse", "reservation", "replenishment", "cycle"}},
	{"shipping", []string{"shipment", "carrier", "label", "rate", "tracking"}},
	{"logistics", []string{"route", "dispatch", "fleet", "depot", "manifest"}},
	{"notifications", []string{"email", "push", "sms", "template", "preference"}},
	{"messaging", []string{"conversation", "thread", "attachment", "presence", "moderation"}},
	{"search", []string{"index", "query", "ranking", "suggestion", "synonym"}},
	{"ads", []string{"campaign", "creative", "bidding", "audience", "placement", "budget"}},
	{"analytics", []string{"event", "funnel", "cohort", "dashboard", "experiment"}},
	{"risk", []string{"scoring", "rule", "signal", "review", "limit"}},
	{"fraud", []string{"detection", "case", "chargeback", "blocklist", "device"}},
	{"compliance", []string{"kyc", "sanction", "audit", "retention", "consent"}},
	{"ledger", []string{"account", "journal", "posting", "balance", "reconciliation"}},
	{"pricing", []string{"price", "discount", "currency", "quote", "tier"}},
	{"promotions", []string{"coupon", "offer", "referral", "voucher", "bundle"}},
	{"loyalty", []string{"points", "reward", "program", "redemption", "badge"}},
	{"support", []string{"ticket", "agent", "macro", "sla", "feedback"}},
	{"reviews", []string{"rating", "review", "response", "report", "helpfulness"}},
	{"media", []string{"image", "video", "transcoding", "asset", "thumbnail"}},
	{"content", []string{"article", "page", "block", "revision", "localization"}},
	{"maps", []string{"place", "geocode", "routing", "tile", "boundary"}},
	{"rides", []string{"trip", "driver", "rider", "fare", "matching"}},
	{"delivery", []string{"courier", "dropoff", "slot", "handoff", "proof"}},
	{"marketplace", []string{"seller", "offer", "commission", "onboarding", "settlement"}},
	{"hr", []string{"employee", "position", "leave", "performance", "recruiting"}},
	{"payroll", []string{"payslip", "deduction", "contribution", "run", "benefit"}},
	{"crm", []string{"lead", "contact", "opportunity", "pipeline", "activity"}},
	{"sales", []string{"deal", "forecast", "territory", "contract", "commitment"}},
	{"marketing", []string{"journey", "segment", "newsletter", "attribution", "landing"}},
	{"security", []string{"secret", "key", "certificate", "scan", "incident"}},
	{"iam", []string{"policy", "binding", "principal", "permission", "group"}},
	{"storage", []string{"bucket", "object", "volume", "snapshot", "lifecycle"}},
	{"compute", []string{"instance", "cluster", "job", "autoscaler", "image"}},
	{"observability", []string{"metric", "trace", "log", "alert", "slo"}},
	{"devices", []string{"device", "firmware", "enrollment", "command", "telemetry"}},
}

// entityNouns name the secondary entities of a package (combined with the
// area name, e.g. InvoicePolicy) and the nested messages.
var entityNouns = []string{
	"Summary", "Detail", "Metadata", "Policy", "Settings", "Snapshot", "Window",
	"Schedule", "Rule", "Limit", "Attempt", "Adjustment", "Allocation", "Assignment",
	"Batch", "Breakdown", "Change", "Component", "Constraint", "Criteria", "Entry",
	"Estimate", "Evidence", "Exception", "Filter", "History", "Item", "Line",
	"Link", "Mapping", "Note", "Override", "Owner", "Participant", "Period",
	"Preference", "Reference", "Requirement", "Result", "Revision", "Segment",
	"Selection", "Source", "Stage", "Statistic", "Step", "Target", "Template",
	"Threshold", "Transition", "Trigger", "Version", "Annotation", "Checkpoint",
	"Decision", "Dependency", "Descriptor", "Extension", "Fingerprint", "Handle",
}

// nestedNouns name messages declared inside other messages.
var nestedNouns = []string{
	"Info", "Part", "Spec", "Config", "Range", "Bucket", "Span", "Pair", "Slot",
	"Cell", "Hint", "Tag", "Mark", "Unit", "Token", "Frame", "Hop", "Leg", "Piece",
	"Scope", "Quota", "Rate", "Bound", "Weight", "Record", "Context", "Origin",
	"Cursor", "Marker", "Label",
}

// enumNouns name enums (combined with the entity name, e.g. InvoiceState).
var enumNouns = []string{"State", "Type", "Kind", "Status", "Mode", "Reason", "Category", "Level", "Source", "Channel", "Visibility", "Priority"}

// enumWords are the enum value suffixes (after the UPPER_SNAKE enum prefix).
var enumWords = []string{
	"ACTIVE", "PENDING", "SUSPENDED", "CLOSED", "DELETED", "ARCHIVED", "DRAFT",
	"PUBLISHED", "FAILED", "SUCCEEDED", "CANCELLED", "EXPIRED", "PROCESSING",
	"BLOCKED", "APPROVED", "REJECTED", "IN_REVIEW", "COMPLETED", "QUEUED",
	"RUNNING", "PAUSED", "STANDARD", "PREMIUM", "BASIC", "ENTERPRISE", "INTERNAL",
	"EXTERNAL", "MANUAL", "AUTOMATIC", "LOW", "MEDIUM", "HIGH", "CRITICAL",
	"WEB", "MOBILE", "API", "BATCH", "PARTNER", "PUBLIC", "PRIVATE", "RESTRICTED",
	"ON_HOLD", "SCHEDULED", "RETRYING", "VERIFIED", "UNVERIFIED", "LOCKED",
	"MIGRATED", "DEGRADED", "HEALTHY", "OTHER",
}

// scalarNames maps a scalar type to plausible field names of that type.
var scalarNames = map[string][]string{
	"string": {"name", "display_name", "description", "title", "email", "phone_number",
		"url", "external_id", "reference_id", "locale", "time_zone", "currency_code",
		"country_code", "region_code", "note", "label", "slug", "etag", "request_id",
		"idempotency_key", "created_by", "updated_by", "owner", "status_message",
		"reason", "source", "channel", "version_tag", "parent", "kind", "uid",
		"language_code", "hostname", "user_agent", "ip_address", "checksum_hex"},
	"int64": {"amount_micros", "total_micros", "count", "size_bytes", "version",
		"sequence_number", "revision", "quantity", "duration_ms", "offset",
		"balance_micros", "limit_micros", "epoch", "generation"},
	"int32": {"page_size", "priority", "rank", "attempt", "position", "level",
		"max_retries", "retry_count", "depth", "port", "percent", "year"},
	"uint32":   {"flags", "bitmask", "crc32", "shard_id", "partition"},
	"uint64":   {"hash", "fingerprint64", "object_generation", "byte_offset"},
	"sint32":   {"delta", "utc_offset_minutes", "adjustment"},
	"sint64":   {"delta_micros", "drift_ns", "net_change"},
	"fixed32":  {"ipv4", "checksum32"},
	"fixed64":  {"trace_id_low", "checksum64"},
	"sfixed32": {"temperature_centi", "elevation_cm"},
	"sfixed64": {"timestamp_ns", "signed_offset"},
	"bool": {"active", "enabled", "verified", "archived", "is_default", "visible",
		"test_mode", "dry_run", "read_only", "pinned", "allow_missing", "validate_only"},
	"double": {"score", "latitude", "longitude", "ratio", "weight", "confidence", "percentage"},
	"float":  {"opacity", "progress", "threshold", "accuracy"},
	"bytes":  {"payload", "signature", "thumbnail", "raw_data", "digest", "cursor_bytes"},
}

// scalarTypes lists the scalar kinds with their draw weights.
var scalarTypes = []struct {
	name   string
	weight int
}{
	{"string", 40}, {"int64", 12}, {"int32", 10}, {"bool", 10}, {"double", 4},
	{"float", 2}, {"bytes", 3}, {"uint32", 2}, {"uint64", 2}, {"sint32", 1},
	{"sint64", 1}, {"fixed32", 1}, {"fixed64", 1}, {"sfixed32", 1}, {"sfixed64", 1},
}

// wktFields names fields whose type is a well-known type.
var wktFields = map[string][]string{
	"Timestamp":   {"create_time", "update_time", "delete_time", "expire_time", "start_time", "end_time", "last_seen_time", "publish_time", "effective_time"},
	"Duration":    {"ttl", "timeout", "retention_period", "grace_period", "interval", "latency"},
	"Struct":      {"attributes", "extra", "properties"},
	"Value":       {"raw_value", "default_value"},
	"Any":         {"details", "extension_data"},
	"FieldMask":   {"update_mask", "read_mask"},
	"StringValue": {"nickname", "alias"},
	"Int64Value":  {"max_amount", "min_amount"},
	"BoolValue":   {"auto_renew", "opt_in"},
	"DoubleValue": {"override_rate"},
	"Int32Value":  {"max_items"},
}

// fieldModifiers are prefixes used to make a field name unique in a message.
var fieldModifiers = []string{"primary", "secondary", "previous", "original", "default", "last", "next", "source", "target", "billing", "shipping", "display", "internal", "legacy"}

// rpcVerbs are the method verbs of generated services.
var rpcVerbs = []string{"Get", "List", "Create", "Update", "Delete", "BatchGet", "Search", "Watch", "Import", "Sync", "Export", "Archive", "Restore", "Validate", "Count"}

// commentTemplates are leading comments for messages; %s is the message name.
var commentTemplates = []string{
	"%s is the canonical record kept by this service.",
	"%s describes one item of the aggregate it belongs to.",
	"%s is returned by the read APIs and written by the write APIs.",
	"%s holds the configuration the owning team can change at runtime.",
	"%s captures a point-in-time view used by reporting.",
	"%s is emitted on the event bus when the aggregate changes.",
	"%s groups the values computed by the pipeline.",
}

// fieldComments are leading comments for fields; %s is the field name.
var fieldComments = []string{
	"The %s, set by the server.",
	"Output only. The %s.",
	"Required. The %s of the resource.",
	"Optional. The %s; empty means unset.",
	"The %s as reported by the upstream system.",
	"Immutable. The %s chosen at creation time.",
	"The %s. See the design doc for the semantics.",
}
