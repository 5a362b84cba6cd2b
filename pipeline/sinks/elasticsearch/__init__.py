"""Elasticsearch: the bulk sink, the templates generated from the ECS fields, their installer."""

from pipeline.sinks.elasticsearch.bulk import BulkHelper, ElasticsearchSink, open_sink
from pipeline.sinks.elasticsearch.templates import render_templates, write_templates

__all__ = ["BulkHelper", "ElasticsearchSink", "open_sink", "render_templates", "write_templates"]
