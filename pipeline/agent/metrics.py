"""The agent's Prometheus metrics (prometheus_client), on a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from pipeline.sinks.base import Delivery


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.lines = Counter(
            "ktcp_lines_read", "Kernel log lines (records) read", ["source"], registry=r
        )
        self.events = Counter("ktcp_events", "TCP events parsed, by family", ["family"], registry=r)
        self.delivered = Counter(
            "ktcp_delivered",
            "Documents the sink confirmed (created, or already there from an earlier send)",
            ["outcome"],
            registry=r,
        )
        self.retried = Counter(
            "ktcp_retried", "Documents sent again after a failed attempt", registry=r
        )
        self.dead_lettered = Counter(
            "ktcp_dead_lettered",
            "Lines and documents written to the dead-letter file, by kind",
            ["kind"],
            registry=r,
        )
        self.spool_bytes = Gauge(
            "ktcp_spool_bytes", "Bytes waiting in the Fluentd spool", registry=r
        )
        self.lag = Gauge(
            "ktcp_source_lag_seconds",
            "How far the newest record read is behind the current time",
            ["source"],
            registry=r,
        )
        self.kmsg_lost = Counter(
            "ktcp_kmsg_lost_records",
            "kmsg records overwritten in the kernel ring before they were read",
            registry=r,
        )
        self.positions_saved = Counter(
            "ktcp_positions_saved", "Source positions saved after the sink confirmed", registry=r
        )
        self.tcpext = Counter(
            "ktcp_kernel_tcpext",
            "Increase of the kernel's TcpExt counters (/proc/net/netstat) seen by the sampler",
            ["counter"],
            registry=r,
        )
        self._seen = Delivery()

    def delivery(self, now: Delivery) -> None:
        """Add what the sink counted since the last call."""
        seen = self._seen
        self.delivered.labels("created").inc(now.created - seen.created)
        self.delivered.labels("already_there").inc(now.already_there - seen.already_there)
        self.dead_lettered.labels("rejected").inc(now.rejected - seen.rejected)
        self.retried.inc(now.retried - seen.retried)
        self._seen = Delivery(
            now.created, now.already_there, now.rejected, now.not_delivered, now.retried
        )
