"""Sinks: where rendered ECS documents go (stdout, dead-letter file, Fluentd, Elasticsearch)."""
