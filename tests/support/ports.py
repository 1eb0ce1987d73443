"""Free ports that stay this process's own until it exits, even with other test runs on the host.

Checking that a port is free and binding it later leaves a window in which another process (a
parallel worker, another checkout's suite) can take it. Every port handed out here is also
locked, as one byte of a shared lock file at the port's offset (POSIX record locks, released by
the kernel when the process ends, however it ends), so no other process using this module picks
it while this one lives. Ports come from below Linux's ephemeral range (32768 and up), where
bind(0) and outgoing connections would pick theirs.
"""

import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path

LOW, HIGH = 20_000, 32_000
LOCK_FILE = Path(tempfile.gettempdir()) / "smsgate-test-ports.lock"

_lock_fd: int | None = None
_taken: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is bound to and no other test process holds."""
    return _reserve(socket.SOCK_STREAM)


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to and no other test process holds."""
    return _reserve(socket.SOCK_DGRAM)


def _reserve(kind: socket.SocketKind) -> int:
    for _ in range(500):
        port = random.randrange(LOW, HIGH)
        if port in _taken or not _bindable(port, kind) or not _lock(port):
            continue
        _taken.add(port)
        return port
    raise RuntimeError("no free port found")


def _bindable(port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _lock(port: int) -> bool:
    """Lock byte `port` of the shared file; the lock lives as long as this process."""
    global _lock_fd
    if _lock_fd is None:
        _lock_fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.lockf(_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port)
    except OSError:
        return False
    return True
