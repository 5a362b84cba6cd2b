"""One connection to in_forward: fluent-logger's FluentSender, extended to read acknowledgements.

FluentSender writes bytes and forgets them: its `_check_recv_side` reads and discards whatever
Fluentd answers, and `emit` returning True only means the socket took the bytes. We keep its
connect/write/close machinery and change three things: replies are decoded instead of
discarded, a failed write raises (our spool, not its in-memory `pendings`, keeps unsent data),
and addresses may be IPv6 (its `_reconnect` only knows AF_INET and `unix://`).
"""

from __future__ import annotations

import errno
import select
import socket
import threading
from typing import Any

import msgpack
from fluent.sender import FluentSender

from pipeline.sinks.fluentd.protocol import Address, ack_of

RECV_BYTES = 65536


class AckingSender(FluentSender):  # type: ignore[misc]  # fluent-logger ships no type hints
    socket: Any  # FluentSender's connection: a socket.socket, or None while disconnected
    lock: threading.Lock
    timeout: float

    def __init__(self, address: Address, timeout_secs: float) -> None:
        super().__init__(
            "",
            host=address.host,
            port=address.port,
            timeout=timeout_secs,
            nanosecond_precision=True,
            bufmax=0,
        )
        self.address = address
        self._replies = msgpack.Unpacker(raw=False)
        self._acked: list[str] = []

    @property
    def connected(self) -> bool:
        return self.socket is not None

    def connect(self) -> None:
        """Open the connection if it is closed; raises OSError when Fluentd is unreachable."""
        with self.lock:
            self._reconnect()

    def send_message(self, data: bytes) -> None:
        """Write one whole message; on failure the connection is closed and OSError raised."""
        with self.lock:
            try:
                self._send_data(data)
            except OSError:
                self._close()
                raise

    def disconnect_quietly(self) -> None:
        with self.lock:
            self._close()

    def take_acks(self, wait_secs: float) -> tuple[list[str], OSError | None]:
        """Chunk ids acknowledged so far (waiting up to `wait_secs` for one), and the error that
        closed the connection meanwhile, if any: acks read before a failure still count."""
        failure: OSError | None = None
        with self.lock:
            if self.socket is not None:
                try:
                    if not self._acked and wait_secs > 0:
                        ready, _, _ = select.select([self.socket], [], [], wait_secs)
                        if ready:
                            self._receive(blocking=True)
                    self._check_recv_side()
                except OSError as exc:
                    self._close()
                    failure = exc
            acked, self._acked = self._acked, []
            return acked, failure

    # -- FluentSender internals, extended ------------------------------------------------------

    def _reconnect(self) -> None:
        if self.socket is not None:
            return
        if self.address.path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(self.address.path)
            except OSError:
                sock.close()
                raise
        else:
            # create_connection resolves names and tries IPv6 and IPv4 addresses alike.
            sock = socket.create_connection((self.address.host, self.address.port), self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._replies = msgpack.Unpacker(raw=False)
        self.socket = sock

    def _check_recv_side(self) -> None:
        """Read what Fluentd sent without waiting (the base class would throw it away)."""
        self.socket.settimeout(0.0)
        try:
            while self._receive(blocking=False):
                pass
        finally:
            if self.socket is not None:
                self.socket.settimeout(self.timeout)

    def _receive(self, blocking: bool) -> bool:
        try:
            data = self.socket.recv(RECV_BYTES)
        except BlockingIOError:
            return False
        except OSError as exc:
            if not blocking and exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return False
            raise
        if not data:
            raise OSError(errno.EPIPE, "Fluentd closed the connection")
        self._replies.feed(data)
        for reply in self._replies:
            chunk = ack_of(reply)
            if chunk is not None:
                self._acked.append(chunk)
        return True

    def _close(self) -> None:
        super()._close()
        self._replies = msgpack.Unpacker(raw=False)
