"""The agent's HTTP endpoint: /healthz (the loop is alive), /readyz (sink and source), /metrics.

Plain http.server in a daemon thread: three read-only pages, no framework needed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

STALE_LOOP_SECS = 30.0  # /healthz fails when the loop has not turned for this long


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@dataclass
class Health:
    """What the loop reports and the endpoint reads (plain attributes: one writer)."""

    sink_ready: Callable[[], bool]
    heartbeat: float = field(default_factory=time.monotonic)
    sources_open: dict[str, bool] = field(default_factory=dict)

    def beat(self) -> None:
        self.heartbeat = time.monotonic()

    def alive(self) -> tuple[bool, str]:
        idle = time.monotonic() - self.heartbeat
        if idle > STALE_LOOP_SECS:
            return False, f"the agent loop has not turned for {idle:.0f} s"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        closed = [kind for kind, is_open in self.sources_open.items() if not is_open]
        if not self.sources_open or closed:
            return False, f"source not open yet: {', '.join(closed) or 'none started'}"
        if not self.sink_ready():
            return False, "the sink is not reachable (see the agent's log)"
        return True, "ok"


class HealthServer:
    def __init__(self, address: tuple[str, int], health: Health, registry: CollectorRegistry):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                return  # probes every few seconds would flood the agent's log

        self.health = health
        self.registry = registry
        server_class = _Server6 if ":" in address[0] else ThreadingHTTPServer
        self.server = server_class(address, Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="ktcp-http", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else host
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if path == "/metrics":
            body, status, kind = generate_latest(self.registry), 200, CONTENT_TYPE_LATEST
        elif path in ("/healthz", "/readyz"):
            ok, reason = self.health.alive() if path == "/healthz" else self.health.ready()
            body, status, kind = (reason + "\n").encode(), 200 if ok else 503, "text/plain"
        else:
            body, status, kind = b"not found: try /healthz, /readyz, /metrics\n", 404, "text/plain"
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
