"""What became of an HTTP connection after an answer was written on it.

ASGI tells an app nothing once its response is complete, and nothing at all about how a
connection ended. A pull (GET /v1/report, /v1/reply) needs both: it hands records out once, so
it must know whether the client took its answer. `WatchedHttpToolsProtocol` is uvicorn's own
httptools protocol plus a `ConnectionWatch` per connection, which each request finds in its
scope (`watched_request(scope)`). What TCP lets a server know about an answer it wrote:

- the client sent its next request on the same connection: it read the answer;
- the client closed the connection cleanly (FIN): it read it (a socket closed with unread data
  sends a reset instead);
- the connection was reset or broke before either: it may not have read it;
- the connection stayed open and quiet: a client library reads a whole answer before returning
  it, so after a grace period it is taken as read.

`smsgate serve` runs uvicorn with `http=WatchedHttpToolsProtocol`; under any other server
`watched_request` returns None and callers fall back to what ASGI offers.
"""

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

EXTENSION = "smsgate.connection"


class ConnectionWatch:
    """How many requests began on one connection, and whether (and how) it ended."""

    def __init__(self) -> None:
        self.requests = 0
        self.ended = False
        self.reset = False  # ended by an error (reset, broken pipe) rather than a clean close
        # The client closed its side while an answer was still unwritten: asyncio then closes
        # the transport at once and drops that answer, though the close itself is clean.
        self.closed_before_answer = False
        self._changed = asyncio.Event()

    def request_began(self) -> int:
        self.requests += 1
        self._changed.set()
        return self.requests

    def client_closed(self, answer_pending: bool) -> None:
        self.closed_before_answer = self.closed_before_answer or answer_pending
        self._changed.set()

    def connection_ended(self, error: BaseException | None) -> None:
        self.ended = True
        self.reset = error is not None
        self._changed.set()

    async def changed(self, within: float) -> None:
        """Return when something happens on the connection, or after `within` seconds."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within)


@dataclass(frozen=True, slots=True)
class WatchedRequest:
    watch: ConnectionWatch
    number: int  # this request's place on its connection, from 1

    async def answer_received(self, grace: float) -> bool:
        """Call right after the whole answer was handed to the server. True when the client
        shows it took the answer, or stays connected and quiet for `grace` seconds; False when
        the connection was gone before the answer was written, or is reset before that."""
        if self.watch.ended or self.watch.closed_before_answer:
            return False  # the server dropped the answer: the client was gone already
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while True:
            if self.watch.closed_before_answer:
                return False
            if self.watch.ended:
                return not self.watch.reset
            if self.watch.requests > self.number:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            await self.watch.changed(remaining)


def watched_request(scope: Any) -> WatchedRequest | None:
    found = scope.get("extensions", {}).get(EXTENSION)
    return found if isinstance(found, WatchedRequest) else None


class WatchedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that keeps a ConnectionWatch for each connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.connection_watch = ConnectionWatch()
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection_watch.connection_ended(exc)
        super().connection_lost(exc)

    def eof_received(self) -> None:
        # asyncio closes the transport right after this returns; a write after that is dropped
        # silently, and the connection still ends without an error.
        cycle = self.cycle
        self.connection_watch.client_closed(cycle is not None and not cycle.response_complete)
        super().eof_received()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        number = self.connection_watch.request_began()
        extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
        extensions[EXTENSION] = WatchedRequest(self.connection_watch, number)
