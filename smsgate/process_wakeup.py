"""Waking the delivery process of `smsgate serve` from its API processes, on one host.

A send sets `ctx.outbox_wakeup` after its commit. In one process that wakes the delivery worker
at once; with delivery in a process of its own, the API process also sends a one-byte datagram
to the delivery process's Unix socket, which sets the same event there. A datagram costs one
system call and no database round trip (a PostgreSQL NOTIFY would be a statement per send, and
SQLite has nothing like it); at most one goes out per turn of the event loop however many sends
committed in it. A datagram that cannot be sent (the delivery process is starting or stopping)
is dropped: the worker's poll interval (SMSGATE_OUTBOX_POLL_SECONDS) still finds the row.
"""

import asyncio
import contextlib
import socket
from pathlib import Path

OUTBOX = b"o"
SCHEDULES = b"s"


class CrossProcessWakeup(asyncio.Event):
    """An event that, when set, also wakes the same event in the delivery process."""

    def __init__(self, path: Path, kind: bytes) -> None:
        super().__init__()
        self._path = str(path)
        self._kind = kind
        self._socket: socket.socket | None = None
        self._scheduled = False

    def set(self) -> None:
        super().set()
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        self._scheduled = False
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setblocking(False)
        with contextlib.suppress(OSError):  # not listening (yet, or any more), or a full queue
            self._socket.sendto(self._kind, self._path)


class WakeupListener:
    """The delivery process's end: each datagram sets the event it names."""

    def __init__(self, path: Path, events: dict[bytes, asyncio.Event]) -> None:
        self._path = path
        self._events = events
        self._socket: socket.socket | None = None

    def start(self) -> None:
        self._path.unlink(missing_ok=True)  # left by a process that was killed
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._socket.bind(str(self._path))
        asyncio.get_running_loop().add_reader(self._socket.fileno(), self._read)

    def _read(self) -> None:
        assert self._socket is not None
        while True:
            try:
                kind = self._socket.recv(16)
            except BlockingIOError:
                return
            event = self._events.get(kind[:1])
            if event is not None:
                event.set()

    def stop(self) -> None:
        if self._socket is None:
            return
        asyncio.get_running_loop().remove_reader(self._socket.fileno())
        self._socket.close()
        self._socket = None
        self._path.unlink(missing_ok=True)
