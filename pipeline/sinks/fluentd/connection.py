"""One connection to in_forward that reads its acknowledgements. ktcp owns the socket.

fluent-logger's FluentSender writes bytes and forgets them (it reads and discards whatever
Fluentd answers; `emit` returning True only means the socket took the bytes), keeps unsent data
in memory, and knows only IPv4 and `unix://`. Extending it meant overriding its private
methods, which any release may change, so ktcp does not use it: this module connects (IPv4,
IPv6, unix socket), writes whole messages, decodes the acks, and raises OSError on a failed
write (the spool keeps unsent data). A connection may also be TLS (`<transport tls>`, tls.py)
and open with the `<security>` handshake (handshake.py) before any event is sent.
"""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import ssl
import threading
import time
from typing import Any

import msgpack

from pipeline.errors import RefusedError
from pipeline.fluentd_settings import FluentdSecurity, FluentdTls
from pipeline.settings import FLUENTD_SHARED_KEY_ENV
from pipeline.sinks.fluentd.handshake import check_pong, is_helo, new_salt, ping, read_helo
from pipeline.sinks.fluentd.protocol import Address, ack_of
from pipeline.sinks.fluentd.tls import client_context

RECV_BYTES = 65536


class AckingSender:
    def __init__(
        self,
        address: Address,
        timeout_secs: float,
        tls: FluentdTls | None = None,
        security: FluentdSecurity | None = None,
    ) -> None:
        self.socket: Any = None  # a socket.socket (or ssl.SSLSocket), None while disconnected
        self.lock = threading.Lock()
        self.timeout = timeout_secs  # connect and write timeout of one attempt
        self.address = address
        self.security = security
        self._tls = client_context(tls) if tls is not None else None
        self._server_name = (tls.server_name if tls is not None else None) or address.host
        self._replies = msgpack.Unpacker(raw=False)
        self._acked: list[str] = []

    @property
    def connected(self) -> bool:
        return self.socket is not None

    def connect(self) -> None:
        """Open the connection if it is closed; raises OSError when Fluentd is unreachable (worth
        retrying) and RefusedError when it refuses this client (certificate, shared key)."""
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

    def close(self) -> None:
        self.disconnect_quietly()

    def take_acks(self, wait_secs: float) -> tuple[list[str], OSError | None]:
        """Chunk ids acknowledged so far (waiting up to `wait_secs` for one), and the error that
        closed the connection meanwhile, if any: acks read before a failure still count."""
        failure: OSError | None = None
        with self.lock:
            if self.socket is not None:
                try:
                    if not self._acked and wait_secs > 0:
                        ready = (
                            _pending(self.socket)
                            or select.select([self.socket], [], [], wait_secs)[0]
                        )
                        if ready:
                            self._receive(blocking=True)
                    self._check_recv_side()
                except OSError as exc:
                    self._close()
                    failure = exc
                except RefusedError:
                    self._close()
                    raise
            acked, self._acked = self._acked, []
            return acked, failure

    # -- the socket ------------------------------------------------------------------------------

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
            if self._tls is not None:
                sock = self._wrap(sock)
        replies = msgpack.Unpacker(raw=False)
        if self.security is not None:
            try:
                self._handshake(sock, self.security, replies)
            except BaseException:
                sock.close()
                raise
        self._replies = replies
        self.socket = sock

    def _wrap(self, sock: socket.socket) -> ssl.SSLSocket:
        assert self._tls is not None
        try:
            return self._tls.wrap_socket(sock, server_hostname=self._server_name)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise RefusedError(
                f"the TLS certificate of Fluentd at {self.address} is not trusted "
                f"({exc.verify_message}): give the CA that signed it with --fluentd-ca FILE, "
                "and --fluentd-server-name NAME when the certificate names another host"
            ) from exc
        except (ssl.SSLError, ConnectionError, TimeoutError) as exc:
            sock.close()
            raise OSError(
                f"TLS handshake with Fluentd at {self.address} failed ({exc}): is its in_forward "
                "configured with <transport tls>?"
            ) from exc

    def _handshake(
        self, sock: socket.socket, security: FluentdSecurity, replies: msgpack.Unpacker
    ) -> None:
        """HELO -> PING -> PONG (handshake.py), within the handshake timeout."""
        where = str(self.address)
        deadline = time.monotonic() + security.handshake_timeout_secs

        def next_message(waiting_for: str) -> Any:
            while True:
                try:
                    return next(replies)
                except StopIteration:
                    pass
                left = deadline - time.monotonic()
                try:
                    if left <= 0:
                        raise TimeoutError
                    sock.settimeout(left)
                    data = sock.recv(RECV_BYTES)
                except TimeoutError:
                    if waiting_for == "HELO":
                        raise RefusedError(
                            f"Fluentd at {where} sent no HELO within "
                            f"{security.handshake_timeout_secs:g}s: its in_forward has no "
                            f"<security> section (then unset {FLUENTD_SHARED_KEY_ENV}), it "
                            "expects TLS (then add --fluentd-tls), or it is not a Fluentd "
                            "forward input"
                        ) from None
                    raise TimeoutError(
                        f"Fluentd at {where} sent no {waiting_for} within "
                        f"{security.handshake_timeout_secs:g}s"
                    ) from None
                if not data:
                    raise OSError(
                        errno.EPIPE,
                        f"Fluentd at {where} closed the connection while waiting for {waiting_for}",
                    )
                replies.feed(data)

        helo = read_helo(next_message("HELO"), where)
        salt = new_salt()
        sock.sendall(msgpack.packb(ping(security, helo, salt), use_bin_type=True))
        check_pong(next_message("PONG"), security, helo, salt, where)
        sock.settimeout(self.timeout)

    def _send_data(self, data: bytes) -> None:
        """Connect if needed and write all of `data`, taking the acks that came meanwhile."""
        self._reconnect()
        self._check_recv_side()
        self.socket.sendall(data)
        self._check_recv_side()

    def _check_recv_side(self) -> None:
        """Read what Fluentd sent without waiting."""
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
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError as exc:
            if not blocking and exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return False
            raise
        if not data:
            raise OSError(errno.EPIPE, "Fluentd closed the connection")
        self._replies.feed(data)
        for reply in self._replies:
            if is_helo(reply):  # in_forward with <security> greets every connection so
                raise RefusedError(
                    f"Fluentd at {self.address} requires the <security> shared-key handshake: "
                    f"set {FLUENTD_SHARED_KEY_ENV} to the shared_key of its <security> section"
                )
            chunk = ack_of(reply)
            if chunk is not None:
                self._acked.append(chunk)
        return True

    def _close(self) -> None:
        sock, self.socket = self.socket, None
        self._replies = msgpack.Unpacker(raw=False)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


def _pending(sock: socket.socket) -> bool:
    """Bytes TLS already decrypted: select() cannot see them, so they must not be waited for."""
    return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
