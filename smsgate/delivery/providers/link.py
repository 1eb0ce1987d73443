"""Whether a provider can reach its carrier right now, since when, and the last error.

A provider knows this before any message fails: an SMPP provider with no bind up, or an HTTP
provider whose endpoint refuses connections, is down without a single submit. The router does not
hand a down provider messages, and `smsgate providers status` shows it as down. A provider that
has not tried yet (an SMPP bind still connecting at start) is "connecting", which the router
treats as up: its submits wait for the bind.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from smsgate import clock

UP, DOWN, CONNECTING = "up", "down", "connecting"


@dataclass(frozen=True, slots=True)
class LinkState:
    state: str  # up, down or connecting
    since: int  # when it entered that state, ms since the epoch
    error: str | None  # the last error that kept it from its carrier; kept after it came back


class Link:
    """The state, with listeners called on every change (and on every new error while down)."""

    def __init__(self, state: str = CONNECTING) -> None:
        self.current = LinkState(state, clock.now_ms(), None)
        self._listeners: list[Callable[[LinkState], None]] = []
        self._changed = asyncio.Event()

    @property
    def is_down(self) -> bool:
        return self.current.state == DOWN

    def up(self) -> None:
        if self.current.state != UP:
            self._set(LinkState(UP, clock.now_ms(), self.current.error))

    def down(self, error: str) -> None:
        """Down with this error; a new error while down keeps the time it went down."""
        current = self.current
        since = current.since if current.state == DOWN else clock.now_ms()
        if current.state != DOWN or current.error != error:
            self._set(LinkState(DOWN, since, error))

    def follow(self, parts: list["Link"]) -> None:
        """The state of something made of parts (an SMPP provider's binds): up while any part
        is, down once no part is up and one has failed (with the latest error), else as it was."""
        states = [part.current for part in parts]
        if any(s.state == UP for s in states):
            self.up()
        elif failed := [s for s in states if s.state == DOWN]:
            latest = max(failed, key=lambda s: s.since)
            self.down(latest.error or "down")

    def listen(self, listener: Callable[[LinkState], None]) -> None:
        self._listeners.append(listener)

    async def until(self, state: str) -> None:
        """Return once the link is in `state` (at once if it is)."""
        while self.current.state != state:
            await self._changed.wait()

    def _set(self, state: LinkState) -> None:
        self.current = state
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        for listener in self._listeners:
            listener(state)
