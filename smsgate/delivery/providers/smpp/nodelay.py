"""TCP_NODELAY on the SMPP sockets, which smpp34 opens in its Rust core without setting it.

SMPP is request/answer traffic of small PDUs. Without TCP_NODELAY, Nagle's algorithm holds a
small PDU back while an earlier one is unacknowledged, and the peer's delayed ACK releases it
about 40 ms later: a window of submits then trickles at the pace of delayed ACKs. smpp34
(1.5) neither sets the option nor hands out its socket or an option for it, so smsgate finds
the process's TCP sockets connected to (or accepted from) the peer and sets it on them. On a
system without /proc/self/fd (not Linux) this does nothing.
"""

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

FD_DIR = Path("/proc/self/fd")


def set_nodelay(peer_port: int | None = None, local_port: int | None = None) -> int:
    """TCP_NODELAY on every TCP socket of this process whose peer port or local port is the one
    given (sockets to an SMSC at `peer_port`, or accepted on a server's `local_port`).
    Returns how many sockets were changed; setting it twice is harmless."""
    changed = 0
    for sock in _tcp_sockets():
        with sock, contextlib.suppress(OSError):
            local, peer = sock.getsockname(), sock.getpeername()
            if peer_port not in (None, peer[1]) or local_port not in (None, local[1]):
                continue
            if not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
    return changed


def _tcp_sockets() -> Iterator[socket.socket]:
    """A duplicate of each TCP socket descriptor (options set on it apply to the original)."""
    try:
        names = os.listdir(FD_DIR)
    except OSError:
        return
    for name in names:
        try:
            if not os.readlink(FD_DIR / name).startswith("socket:"):
                continue
            duplicate = os.dup(int(name))
        except (OSError, ValueError):
            continue  # closed since the listing
        try:
            sock = socket.socket(fileno=duplicate)
        except OSError:
            os.close(duplicate)
            continue
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            yield sock
        else:
            sock.close()
