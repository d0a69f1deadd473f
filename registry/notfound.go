package registry

import (
	"fmt"
	"strconv"
)

// The constructors below name what a store did not find, so that both
// backends say it in the same words: the kind of the thing and its key.

// VersionKey returns how a version is named in messages: "acme/shop@3",
// or "acme/shop@latest" for LatestVersion.
func VersionKey(module string, number int64) string {
	if number == LatestVersion {
		return module + "@latest"
	}
	return module + "@" + strconv.FormatInt(number, 10)
}

// ModuleNotFound is the error of a module that does not exist.
func ModuleNotFound(module string) *NotFoundError {
	return &NotFoundError{Kind: "module", Key: module}
}

// VersionNotFound is the error of a version (or LatestVersion) that does
// not exist.
func VersionNotFound(module string, number int64) *NotFoundError {
	return &NotFoundError{Kind: "version", Key: VersionKey(module, number)}
}

// DigestNotFound is the error of a module that has no version with
// digest.
func DigestNotFound(module, digest string) *NotFoundError {
	return &NotFoundError{Kind: "version", Key: module + "@" + digest}
}

// NoServedVersion is the error of a module every version of which is
// deleted from serving.
func NoServedVersion(module string) *NotFoundError {
	return &NotFoundError{Kind: "version", Key: module + "@latest (every version is deleted)"}
}

// SubjectNotFound is the error of a subject that does not exist.
func SubjectNotFound(module, subject string) *NotFoundError {
	return &NotFoundError{Kind: "subject", Key: module + ":" + subject}
}

// ExceptionNotFound is the error of an exception that does not exist.
func ExceptionNotFound(id int64) *NotFoundError {
	return &NotFoundError{Kind: "exception", Key: strconv.FormatInt(id, 10)}
}

// SchemaBindingNotFound is the error of a module version without a
// schema ID.
func SchemaBindingNotFound(module string, version int64) *NotFoundError {
	return &NotFoundError{Kind: "schema binding", Key: fmt.Sprintf("%s@%d", module, version)}
}

// SchemaSettingNotFound is the error of a schema setting that is not set.
func SchemaSettingNotFound(module, key string) *NotFoundError {
	return &NotFoundError{Kind: "schema setting", Key: module + ":" + key}
}

// OutboxConsumerNotFound is the error of an outbox consumer that is not
// registered.
func OutboxConsumerNotFound(consumer string) *NotFoundError {
	return &NotFoundError{Kind: "outbox consumer", Key: consumer}
}

// OutboxDeliveryNotFound is the error of a delivery of event eventID to
// consumer that does not exist.
func OutboxDeliveryNotFound(consumer string, eventID int64) *NotFoundError {
	return &NotFoundError{Kind: "outbox delivery", Key: fmt.Sprintf("%s/%d", consumer, eventID)}
}
