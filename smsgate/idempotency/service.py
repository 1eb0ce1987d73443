"""Idempotent sends: the same key and request within the keeping time get the first answer
again, and nothing is sent twice.

A send made with a key runs as usual, with two more steps inside its own transaction: first
the key is claimed (on PostgreSQL a transaction lock that never waits, so a repeat that arrives
while the first is in flight is answered 50252 instead of waiting or sending; then a look for
an answer stored meanwhile), last the answer is stored. So the message and its answer commit
together: a crash before the commit leaves neither (a retry sends), after it both (a retry gets
the msg_id the crash hid). A refusal writes nothing, so its answer is stored after it, under the
same lock; if a repeat got through in between, its answer stands and is answered to both.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from smsgate import clock
from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.errors import Code, JsmsError
from smsgate.idempotency import repository

T = TypeVar("T")
OWN_CODES = (
    Code.INVALID_IDEMPOTENCY_KEY,
    Code.IDEMPOTENCY_KEY_REUSED,
    Code.IDEMPOTENCY_KEY_IN_PROGRESS,
)


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as it went on the wire: HTTP status and body bytes."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    answer: Answer
    replayed: bool  # the key's first answer, given again


class Replay(Exception):
    """The key has an answer already: the send stops before writing anything."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("idempotency key answered before")
        self.answer = answer


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    app_id: int
    key: str
    fingerprint: str


class IdempotentSend(Generic[T]):
    """One send made with a key: `claim` first and `keep` last in the send's transaction (the
    send path's SendGuard)."""

    def __init__(
        self, request: KeyedRequest, render: Callable[[T], Answer], keep_seconds: int
    ) -> None:
        self._request = request
        self._render = render
        self._keep_ms = keep_seconds * 1000
        self.answer: Answer | None = None

    def claim(self, conn: Connection) -> None:
        """50252 while another transaction holds the key; Replay when it has an answer; 50251
        when that answer was for another request."""
        request = self._request
        if not repository.try_lock(conn, request.app_id, request.key):
            raise JsmsError(Code.IDEMPOTENCY_KEY_IN_PROGRESS)
        stored = stored_answer(conn, request, clock.now_ms())
        if stored is not None:
            raise Replay(stored)

    def keep(self, conn: Connection, result: T) -> None:
        self.answer = self._render(result)
        repository.insert_answer(conn, _row(self._request, self.answer, self._keep_ms))


def stored_answer(conn: Connection, request: KeyedRequest, now_ms: int) -> Answer | None:
    """The key's answer if it has one that has not expired (an expired one is forgotten, so
    the key can be used again); 50251 when it answered a different request."""
    answer, expired = _look_up(conn, request, now_ms)
    if expired:
        repository.forget_expired(conn, request.app_id, request.key, now_ms)
    return answer


def _look_up(conn: Connection, request: KeyedRequest, now_ms: int) -> tuple[Answer | None, bool]:
    """(the key's live answer, whether an expired one is stored); 50251 for another request."""
    row = repository.find(conn, request.app_id, request.key)
    if row is None:
        return None, False
    if row.expires_at <= now_ms:
        return None, True
    if row.fingerprint != request.fingerprint:
        raise JsmsError(Code.IDEMPOTENCY_KEY_REUSED)
    return Answer(row.status, bytes(row.body)), False


def _row(request: KeyedRequest, answer: Answer, keep_ms: int) -> dict[str, Any]:
    now = clock.now_ms()
    return {
        "app_id": request.app_id,
        "key": request.key,
        "fingerprint": request.fingerprint,
        "status": answer.status,
        "body": answer.body,
        "created_at": now,
        "expires_at": now + keep_ms,
    }


async def send_once(
    ctx: Context,
    request: KeyedRequest,
    send: Callable[[IdempotentSend[T]], Awaitable[T]],
    render: Callable[[T], Answer],
    render_refusal: Callable[[JsmsError], Answer],
) -> Outcome:
    """Send unless the key has an answer (then that one); store what the send answered.

    50250-50252 and server errors (5xx) are not stored: nothing was sent, a retry may send.
    """
    keep_seconds = ctx.settings.idempotency_keep_seconds
    # Most repeats come after the first answer: a read answers them without any of the send's
    # work (the claim inside the send's transaction is what makes it exact).
    earlier, _expired = await ctx.db.read(lambda conn: _look_up(conn, request, clock.now_ms()))
    if earlier is not None:
        return Outcome(earlier, replayed=True)
    guard = IdempotentSend(request, render, keep_seconds)
    try:
        await send(guard)
    except Replay as replay:
        return Outcome(replay.answer, replayed=True)
    except JsmsError as error:
        if error.code in OWN_CODES or error.http_status >= 500:
            raise
        refusal = _row(request, render_refusal(error), keep_seconds * 1000)
        return await ctx.db.write(lambda conn: _keep_refusal(conn, request, refusal))
    assert guard.answer is not None, "the send path keeps the answer in its transaction"
    return Outcome(guard.answer, replayed=False)


def _keep_refusal(conn: Connection, request: KeyedRequest, refusal: dict[str, Any]) -> Outcome:
    repository.lock(conn, request.app_id, request.key)
    stored = stored_answer(conn, request, clock.now_ms())
    if stored is not None:  # a repeat got through after the refusal: its answer stands
        return Outcome(stored, replayed=True)
    repository.insert_answer_once(conn, refusal)
    return Outcome(Answer(refusal["status"], refusal["body"]), replayed=False)


async def prune_expired(db: Database) -> int:
    """Forget answers past their keeping time."""
    now = clock.now_ms()
    return await db.write(lambda conn: repository.prune(conn, now))
