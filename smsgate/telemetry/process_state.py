"""What one smsgate process runs, as its readiness and the scrape-time metrics read it: when
each background loop last completed a pass, whether the process is stopping, and the provider it
delivers through. Every slice's loops beat here, so it sits below them all; `/readyz`
(observability/health.py) and the live metrics (observability/live.py) read it from above.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class DeliveringProvider(Protocol):
    """The delivery provider as readiness and the live metrics name it (a router also holds
    the providers it routes to, its breakers, and a provider its SMPP binds)."""

    name: str


class Heartbeats:
    """When each background loop last completed a pass, on a monotonic clock (injectable)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._beats: dict[str, float] = {}
        self._expected: set[str] = set()

    def expect(self, *loops: str) -> None:
        """Loops this process starts: until each has beaten once, the process is not ready
        (its first pass may wait on the database or on a provider's bind)."""
        self._expected.update(loops)

    def beat(self, loop: str) -> None:
        self._beats[loop] = self._monotonic()

    def not_started(self) -> list[str]:
        """Expected loops that have not completed a first pass."""
        return sorted(self._expected - self._beats.keys())

    def ages(self) -> dict[str, float]:
        """Seconds since each loop's last beat."""
        now = self._monotonic()
        return {loop: now - at for loop, at in sorted(self._beats.items())}


@dataclass
class ProcessState:
    """What this process runs, for readiness and the scrape-time metrics."""

    heartbeats: Heartbeats = field(default_factory=Heartbeats)
    # Set on SIGTERM: loops finish their pass and end; readiness turns false at once.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # The delivery provider (a router, or the sandbox) when this process delivers.
    provider: DeliveringProvider | None = None

    async def pause(self, seconds: float) -> None:
        """Sleep between passes, waking early when the process is asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)
