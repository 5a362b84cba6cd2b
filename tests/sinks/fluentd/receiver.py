"""A small in_forward stand-in: a real socket server speaking the recorded forward protocol.

Decodes Message, Forward, PackedForward and CompressedPackedForward modes; answers
`{"ack": chunk}` when the option asks (after `ack_delay_secs`); drops the connection on a float
time as Fluentd does. Tests can stop it (listener and every connection, like a killed Fluentd),
start it again on the same address, or have it crash after N messages. Used by the tests and
by bench/bench_fluentd.py.

Like in_forward with `<transport tls>` it can speak TLS (`tls_cert`/`tls_key`, and
`tls_client_ca` for `client_cert_auth`), and like `<security>` it opens every connection with
the HELO / PING / PONG handshake, written here independently of ktcp's client from Fluentd's
lib/fluent/plugin/in_forward.rb (generate_helo, check_ping, generate_pong).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack


@dataclass
class Received:
    tag: str
    seconds: int
    nanos: int
    record: dict[str, Any]


@dataclass
class ForwardReceiver:
    unix_path: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    ack_delay_secs: float = 0.0
    crash_after_messages: int | None = None  # stop everything when this message arrives
    unanswered_messages: int = 0  # accept this many messages but lose their ack (a stuck peer)
    tls_cert: str | None = None  # PEM files: serve TLS like <transport tls>
    tls_key: str | None = None
    tls_client_ca: str | None = None  # require a client certificate signed by this CA
    shared_key: str | None = None  # <security> shared_key: handshake on every connection
    self_hostname: str = "fluentd.test"  # <security> self_hostname
    users: dict[str, str] = field(default_factory=dict)  # <user> sections: user_auth when any
    impostor: bool = False  # accept any PING, answer a PONG that cannot prove the key
    handshakes: list[tuple[str, str]] = field(default_factory=list)  # (hostname, username) let in
    refusals: list[str] = field(default_factory=list)  # reasons of PONG false
    tls_failures: list[str] = field(default_factory=list)  # TLS handshakes that failed
    accepted: list[Received] = field(default_factory=list)  # events of acknowledged messages
    event_count: int = 0  # events accepted so far, counted as they arrive
    messages: int = 0
    modes: set[str] = field(default_factory=set)
    chunks: list[str] = field(default_factory=list)
    connections: int = 0
    _listener: socket.socket | None = None
    _conns: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _crashed: threading.Event = field(default_factory=threading.Event)
    # accepted PackedForward bodies whose records are not decoded yet: (tag, body), in order
    _undecoded: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"unix:{self.unix_path}" if self.unix_path else f"{self.host}:{self.port}"

    def start(self) -> ForwardReceiver:
        if self.unix_path:
            if os.path.exists(self.unix_path):
                os.unlink(self.unix_path)
            lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            lst.bind(self.unix_path)
        else:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            lst = socket.socket(family, socket.SOCK_STREAM)
            lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lst.bind((self.host, self.port))
            self.port = lst.getsockname()[1]
        lst.listen(16)
        lst.settimeout(0.2)
        self._listener = lst
        self._crashed.clear()
        threading.Thread(target=self._accept, args=(lst,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Like a killed Fluentd: the port closes, open connections reset, nothing more is acked."""
        with self._lock:
            lst, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if lst is not None:
            # Wakes the accepting thread and unbinds the port now, not at its next poll.
            with contextlib.suppress(OSError):
                lst.shutdown(socket.SHUT_RDWR)
            lst.close()
        for conn in conns:
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            except OSError:
                pass

    def wait_crashed(self, timeout_secs: float) -> bool:
        return self._crashed.wait(timeout_secs)

    def events(self) -> list[Received]:
        """Every accepted event, decoded. A PackedForward body is checked and counted when it
        arrives (each entry's time read, its record skipped, as in_forward passes the body on
        undecoded) and its records are decoded here, once."""
        with self._lock:
            self._decode_bodies()
            return list(self.accepted)

    def _decode_bodies(self) -> None:
        """(The lock held.) The records of the bodies not decoded yet, into `accepted`."""
        undecoded, self._undecoded = self._undecoded, []
        for tag, body in undecoded:
            unpacker = msgpack.Unpacker(raw=False)
            unpacker.feed(body)
            self.accepted.extend(Received(tag, *_time(t), r) for t, r in unpacker)

    # -- server --------------------------------------------------------------------------------

    def _accept(self, lst: socket.socket) -> None:
        while self._listener is lst:
            try:
                conn, _ = lst.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if self._listener is not lst:
                    conn.close()
                    return
                self._conns.append(conn)
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self.tls_cert:
            wrapped = self._tls_accept(conn)
            if wrapped is None:
                return
            conn = wrapped
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        authenticated = self.shared_key is None
        nonce = auth_salt = b""
        if not authenticated:  # in_forward: HELO first, the client must answer with a PING
            nonce, auth_salt = os.urandom(16), os.urandom(16)
            helo = ["HELO", {"nonce": nonce, "auth": auth_salt, "keepalive": True}]
            try:
                conn.sendall(msgpack.packb(helo, use_bin_type=True))
            except OSError:
                return
        try:
            conn.settimeout(0.2)
        except OSError:  # the test closed the connection while the greeting went out
            return
        while True:
            try:
                data = conn.recv(65536)
            except TimeoutError:
                if conn.fileno() < 0:
                    return
                continue
            except OSError:
                return
            if not data:
                conn.close()
                return
            unpacker.feed(data)
            for message in unpacker:
                if not authenticated:
                    pong = self._check_ping(message, nonce, auth_salt)
                    try:
                        conn.sendall(msgpack.packb(pong, use_bin_type=True))
                    except OSError:
                        return
                    if pong[1] is not True:
                        conn.close()  # in_forward closes after writing a refusing PONG
                        return
                    authenticated = True
                    continue
                if not self._handle(conn, message):
                    return

    def _tls_accept(self, conn: socket.socket) -> ssl.SSLSocket | None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        assert self.tls_cert is not None
        context.load_cert_chain(self.tls_cert, self.tls_key)
        if self.tls_client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.tls_client_ca)
        conn.settimeout(5.0)
        try:
            wrapped = context.wrap_socket(conn, server_side=True)
        except (OSError, ValueError) as exc:
            with self._lock:
                self.tls_failures.append(str(exc))
            conn.close()
            return None
        with self._lock:
            self._conns = [wrapped if c is conn else c for c in self._conns]
        return wrapped

    def _check_ping(self, message: Any, nonce: bytes, auth_salt: bytes) -> list[Any]:
        """in_forward's check_ping + generate_pong (lib/fluent/plugin/in_forward.rb)."""
        assert self.shared_key is not None
        reason = None
        if not (isinstance(message, list) and len(message) == 6 and message[0] == "PING"):
            reason = "invalid ping message"
        else:
            _, hostname, salt, digest, username, password_digest = message
            key = self.shared_key.encode()
            serverside = hashlib.sha512(_b(salt) + _b(hostname) + nonce + key).hexdigest()
            if self.impostor:
                key = b"not the shared key"
            elif digest != serverside:
                reason = "shared_key mismatch"
            elif self.users and not any(
                name == username
                and hashlib.sha512(auth_salt + _b(name) + _b(password)).hexdigest()
                == password_digest
                for name, password in self.users.items()
            ):
                reason = "username/password mismatch"
        with self._lock:
            if reason is not None:
                self.refusals.append(reason)
                return ["PONG", False, reason, "", ""]
            self.handshakes.append((hostname, username))
        proof = hashlib.sha512(_b(salt) + self.self_hostname.encode() + nonce + key).hexdigest()
        return ["PONG", True, "", self.self_hostname, proof]

    def _handle(self, conn: socket.socket, message: Any) -> bool:
        with self._lock:
            self.messages += 1
            crash = self.crash_after_messages is not None and (
                self.messages >= self.crash_after_messages
            )
        if crash:
            self.crash_after_messages = None
            self.stop()
            self._crashed.set()  # only now: the port is free for a restart
            return False
        try:
            tag, entries, option, mode = _decode(message)
        except ValueError:
            conn.close()  # in_forward drops a connection that sends what it cannot accept
            return False
        if self.ack_delay_secs:
            time.sleep(self.ack_delay_secs)
        with self._lock:
            if conn not in self._conns:
                return False  # stopped meanwhile: the events never reached "the buffer"
            self.modes.add(mode)
            if isinstance(entries, tuple):  # a PackedForward body: (events, its bytes)
                self.event_count += entries[0]
                self._undecoded.append((tag, entries[1]))
            else:
                self.event_count += len(entries)
                self._decode_bodies()  # keep the order of what came before
                self.accepted.extend(Received(tag, s, n, r) for s, n, r in entries)
        chunk = option.get("chunk") if isinstance(option, dict) else None
        with self._lock:
            if chunk is not None and self.unanswered_messages > 0:
                self.unanswered_messages -= 1
                chunk = None
        if chunk is not None:
            self.chunks.append(chunk)
            try:
                conn.sendall(msgpack.packb({"ack": chunk}))
            except OSError:
                return False
        return True


def _b(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _time(value: Any) -> tuple[int, int]:
    if isinstance(value, msgpack.ExtType) and value.code == 0 and len(value.data) == 8:
        seconds, nanos = struct.unpack(">II", value.data)
        return seconds, nanos
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 0
    raise ValueError(f"time must be an integer or EventTime, not {value!r}")


Entries = list[tuple[int, int, dict[str, Any]]] | tuple[int, bytes]


def _decode(message: Any) -> tuple[str, Entries, Any, str]:
    if not isinstance(message, list) or len(message) < 2 or not isinstance(message[0], str):
        raise ValueError("not a forward message")
    tag, body = message[0], message[1]
    option = message[2] if len(message) == 3 and isinstance(message[2], dict) else {}
    if isinstance(body, list):  # Forward
        return tag, [(*_time(t), r) for t, r in body], option, "forward"
    if isinstance(body, bytes):  # PackedForward (maybe gzip)
        mode = "packed"
        if option.get("compressed") == "gzip":
            body, mode = gzip.decompress(body), "compressed"
        return tag, (_packed_events(body), body), option, mode
    if len(message) in (3, 4):  # Message
        option = message[3] if len(message) == 4 else {}
        return tag, [(*_time(message[1]), message[2])], option, "message"
    raise ValueError("unknown forward mode")


def _packed_events(body: bytes) -> int:
    """The number of `[time, record]` entries in a PackedForward body, every time checked as
    `_time` checks it; the records are skipped, not decoded. A cut last entry is not one."""
    unpacker = msgpack.Unpacker()
    unpacker.feed(body)
    count = 0
    while True:
        try:
            if unpacker.read_array_header() != 2:
                raise ValueError("an entry is not [time, record]")
            _time(unpacker.unpack())
            unpacker.skip()
        except msgpack.OutOfData:
            return count
        count += 1


if __name__ == "__main__":
    # A receiver in its own process (bench/bench_fluentd.py): prints its port, serves until
    # stdin closes, then prints how many events it accepted. Optional arguments: CERT KEY
    # (TLS) and SHARED_KEY (<security>).
    import sys

    cert, key, shared = [*sys.argv[1:], None, None, None][:3]
    server = ForwardReceiver(tls_cert=cert, tls_key=key, shared_key=shared).start()
    print(server.port, flush=True)
    sys.stdin.read()
    print(server.event_count, flush=True)
    server.stop()
