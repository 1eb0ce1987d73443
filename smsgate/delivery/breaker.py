"""A circuit breaker and counters for one provider.

A provider whose submits keep failing in transport (not a refusal of the message: that means the
provider is up) is taken out of routing for `open_seconds`, then given one trial batch
(half-open). A failed trial doubles the pause up to `max_open_seconds`; a success closes it.
"""

from dataclasses import dataclass

from smsgate.delivery.config import BreakerConfig
from smsgate.delivery.providers.base import Accepted, Rejected, SubmitResult

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


@dataclass
class ProviderHealthState:
    state: str = CLOSED
    submitted: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    open_until: int | None = None
    last_error: str | None = None
    last_error_at: int | None = None


class CircuitBreaker:
    def __init__(self, config: BreakerConfig) -> None:
        self._config = config
        self._pause_ms = int(config.open_seconds * 1000)
        self.health = ProviderHealthState()

    def available(self, now: int) -> bool:
        """Closed, or open long enough that a trial is due (which makes it half-open)."""
        health = self.health
        if health.state == OPEN and health.open_until is not None and now >= health.open_until:
            health.state = HALF_OPEN
        return health.state != OPEN

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

    def _close(self) -> None:
        self.health.state = CLOSED
        self.health.consecutive_failures = 0
        self.health.open_until = None
        self._pause_ms = int(self._config.open_seconds * 1000)

    def _fail(self, now: int) -> None:
        health = self.health
        health.consecutive_failures += 1
        if health.state == HALF_OPEN:
            self._pause_ms = min(self._pause_ms * 2, int(self._config.max_open_seconds * 1000))
        elif health.consecutive_failures < self._config.failures:
            return
        health.state = OPEN
        health.open_until = now + self._pause_ms
