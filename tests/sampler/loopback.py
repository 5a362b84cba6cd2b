"""Real TCP connections on loopback whose receiver stops reading, so the sender's persist
(zero-window probe) timer runs, and can later drain them."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field


@dataclass
class StalledConnection:
    """A sender whose peer advertised a zero window: the receiver never reads until drained."""

    family: socket.AddressFamily
    address: str
    listener: socket.socket = field(init=False)
    sender: socket.socket = field(init=False)
    receiver: socket.socket = field(init=False)
    sent: int = 0

    def __post_init__(self) -> None:
        self.listener = socket.socket(self.family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.listener.bind((self.address, 0))
        self.listener.listen(1)
        self.sender = socket.socket(self.family, socket.SOCK_STREAM)
        self.sender.connect(self.listener.getsockname()[:2])
        self.receiver, _ = self.listener.accept()
        self.sender.setblocking(False)
        chunk = b"k" * 65536
        try:  # fill the receiver's window and our send buffer until the kernel says stop
            while True:
                self.sent += self.sender.send(chunk)
        except BlockingIOError:
            pass

    @property
    def sender_port(self) -> int:
        return int(self.sender.getsockname()[1])

    @property
    def receiver_port(self) -> int:
        return int(self.listener.getsockname()[1])

    def drain(self) -> threading.Thread:
        """Read everything the sender queued (in a thread), which opens the window again."""

        def read_all() -> None:
            got = 0
            self.receiver.settimeout(60)
            while got < self.sent:
                data = self.receiver.recv(1 << 20)
                if not data:
                    break
                got += len(data)

        thread = threading.Thread(target=read_all, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        for s in (self.sender, self.receiver, self.listener):
            s.close()
