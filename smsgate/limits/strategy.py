"""The one interface of frequency limits: a send's transaction, counted by a strategy.

Two strategies implement it, chosen once at start-up (smsgate/context.py):

- in the database (limits/in_database.py): the hit is counted inside the send's own transaction,
  under a lock on its key, and rolls back with it;
- in Redis (limits/in_redis.py): the hit is taken atomically in Redis before the transaction and
  given back when the send does not commit.

Both are exact under concurrency. The callers (smsgate/messages) write a send as three steps and
leave their order to the strategy: `first` (claims an Idempotency-Key), `build` (reads the
template and signature; may run in a read transaction of its own), and `write` (checks, charges
and records, calling `count` where the hit belongs: after the checks that must not commit one).
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy import Connection

from smsgate.db.engine import Database
from smsgate.errors import JsmsError
from smsgate.limits.rules import RateRule


class Limited(Protocol):
    """What a strategy counts a send by (smsgate.messages.service.OutgoingMessage)."""

    @property
    def limit_key(self) -> str: ...

    @property
    def rules(self) -> tuple[RateRule, ...]: ...


Sent = TypeVar("Sent", bound=Limited)
Outcome = TypeVar("Outcome")
# Runs first in the write transaction; raising stops the send before anything is written.
First = Callable[[Connection], None]


class Limiter(ABC):
    """Counts sends against their rules; `write_one` and `write_batch` run a send's transaction
    the way the strategy needs. A refusal the write returns (not raises) is a send that did not
    happen: its hit is not kept."""

    @abstractmethod
    async def write_one(
        self,
        db: Database,
        first: First,
        build: Callable[[Connection], Sent],
        write: Callable[[Connection, Sent], Outcome | JsmsError],
        now_ms: int,
    ) -> Outcome | JsmsError:
        """One send; raises 50009 when a rule is full."""

    @abstractmethod
    async def write_batch(
        self,
        db: Database,
        first: First,
        build: Callable[[Connection], list[Sent | JsmsError]],
        write: Callable[[Connection, list[Sent | JsmsError]], list[Outcome | JsmsError]],
        now_ms: int,
    ) -> list[Outcome | JsmsError]:
        """Many sends in one transaction, each counted on its own: `write` gets each built
        send, or why it cannot be (a full rule is 50009 there), and answers for each."""

    @abstractmethod
    def count(self, conn: Connection, key: str, rules: tuple[RateRule, ...], now_ms: int) -> None:
        """Inside `write`: counts the hit, or raises 50009 when a rule is full (a no-op for a
        strategy that counted before the transaction)."""

    @abstractmethod
    async def close(self) -> None:
        """Let go of what the strategy holds (a Redis connection)."""


def limit_detail(key: str, rules: tuple[RateRule, ...]) -> str:
    """Which limit refused a send, for the operator ("code 1/60": at most 1 in 60 s); the
    key's kind only, never its number."""
    kind = key.split(":", 1)[0]
    return f"{kind} " + ",".join(str(rule) for rule in rules)


def limited_keys(sends: Sequence[Limited | JsmsError]) -> list[str]:
    return [send.limit_key for send in sends if not isinstance(send, JsmsError)]
