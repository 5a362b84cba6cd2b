"""The Fluentd forwarder: acknowledged forward protocol to in_forward, with an on-disk spool."""

from pipeline.sinks.fluentd.sink import FluentdSink, open_sink

__all__ = ["FluentdSink", "open_sink"]
