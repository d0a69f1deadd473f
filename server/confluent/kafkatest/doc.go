// Package kafkatest tests registryd's Confluent Schema Registry API with
// real Kafka client libraries — confluent-kafka-go's schemaregistry client
// and protobuf serde, franz-go's pkg/sr client and serde — against a
// registryd serving on a real port. No broker is needed: serializers talk
// to the registry only. It is a test-only module of its own, so that the
// clients stay out of the binaries' module graph; scripts/test runs it.
package kafkatest
