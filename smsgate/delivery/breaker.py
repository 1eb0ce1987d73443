"""A provider's state as the router and operators see it: its link and a circuit breaker.

A provider whose link is down (no SMPP bind up, an HTTP endpoint refusing connections) is `down`,
whatever its submit counters say, and gets no messages until the link is back. While the link is
up, the breaker decides: a provider whose submits keep failing in transport (not a refusal of
the message: that means the provider is up) is taken out of routing (`open`) for
`open_seconds`, then given one trial batch (`half-open`). A failed trial doubles the pause up to
`max_open_seconds`; a success closes it. A link that comes back gives an open breaker its trial
at once: the failures that opened it are explained by the outage.
"""

from collections.abc import Callable
from dataclasses import dataclass

from smsgate import clock
from smsgate.delivery.config import BreakerConfig
from smsgate.delivery.providers.link import DOWN, Link, LinkState
from smsgate.provider_answers import Accepted, Rejected, SubmitResult

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


@dataclass
class ProviderHealthState:
    state: str = CLOSED  # down, open, half-open or closed
    since: int = 0  # when it entered that state, ms since the epoch
    submitted: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    open_until: int | None = None
    last_error: str | None = None
    last_error_at: int | None = None


class CircuitBreaker:
    """`on_change` is called whenever the state shown changes, so it can be saved at once."""

    def __init__(
        self,
        config: BreakerConfig,
        link: Link,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._config = config
        self._pause_ms = int(config.open_seconds * 1000)
        self._link = link
        self._circuit = CLOSED
        self._on_change = on_change
        self.health = ProviderHealthState(since=clock.now_ms())
        link.listen(self._link_changed)
        self._link_changed(link.current)

    def available(self, now: int) -> bool:
        """Link not down, and closed, or open long enough that a trial is due (which makes it
        half-open)."""
        health = self.health
        if self._circuit == OPEN and health.open_until is not None and now >= health.open_until:
            self._circuit = HALF_OPEN
        self._show(now)
        return health.state in (CLOSED, HALF_OPEN)

    def record(self, results: list[SubmitResult], now: int) -> None:
        """A batch's results: any answer from the provider proves it works."""
        health = self.health
        health.submitted += len(results)
        answered = 0
        for result in results:
            if isinstance(result, Accepted):
                health.accepted += 1
                answered += 1
            elif isinstance(result, Rejected):
                health.rejected += 1
                answered += 1
            else:
                health.failed += 1
                health.last_error, health.last_error_at = result.reason, now
        if answered:
            self._close()
        elif results:
            self._fail(now)
        self._show(now)

    def _link_changed(self, link: LinkState) -> None:
        now = clock.now_ms()
        if link.state == DOWN:
            self.health.last_error, self.health.last_error_at = link.error, now
        elif self._circuit == OPEN:
            self._circuit = HALF_OPEN
        self._show(now)

    def _show(self, now: int) -> None:
        state = DOWN if self._link.is_down else self._circuit
        if state != self.health.state:
            self.health.state, self.health.since = state, now
            self._on_change()

    def _close(self) -> None:
        self._circuit = CLOSED
        self.health.consecutive_failures = 0
        self.health.open_until = None
        self._pause_ms = int(self._config.open_seconds * 1000)

    def _fail(self, now: int) -> None:
        health = self.health
        health.consecutive_failures += 1
        if self._circuit == HALF_OPEN:
            self._pause_ms = min(self._pause_ms * 2, int(self._config.max_open_seconds * 1000))
        elif health.consecutive_failures < self._config.failures:
            return
        self._circuit = OPEN
        health.open_until = now + self._pause_ms
