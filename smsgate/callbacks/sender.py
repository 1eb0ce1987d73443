"""Signed callbacks (JSMS reference §4): the app's callback URL, its echostr check, and the
loop that posts the callback outbox with retries and a dead-letter list.

A callback is a form POST of nonce, timestamp, signature, type and data (a JSON string). The
signature is the lowercase hex SHA-1 of
`appKey=<appKey>&appMasterSecret=<masterSecret>&nonce=<nonce>&timestamp=<timestamp>`, the
numbers exactly as sent. Any 2xx answer delivers it; anything else (or no answer within the
timeout) is retried after each delay of `callback_retry_delays` (3 min, 1 h, 12 h), then the
entry is dead until replayed (`smsgate callbacks replay`).
"""

import asyncio
import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import Connection, Row

from smsgate import clock
from smsgate.apps.credentials import secret_matches
from smsgate.apps.service import UnknownApp
from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.observability import metrics
from smsgate.reports import repository
from smsgate.callbacks.sealing import UnreadableSecret, open_secret, seal_secret
from smsgate.reports.service import prune_records
from smsgate.settings import Settings

log = structlog.get_logger(__name__)
PRUNE_EVERY_MS = 600_000
HEARTBEAT = "callbacks"
_ECHOSTR_ALPHABET = string.ascii_letters + string.digits


class CallbackRefused(ValueError):
    """The URL is unusable or did not pass the echostr check, or no secret can sign for it."""


def callback_signature(app_key: str, master_secret: str, nonce: int, timestamp: int) -> str:
    text = f"appKey={app_key}&appMasterSecret={master_secret}&nonce={nonce}&timestamp={timestamp}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def retry_delays(settings: Settings) -> tuple[int, ...]:
    """Seconds to wait after the 1st, 2nd, ... failed try; one more failure makes it dead."""
    return tuple(int(part) for part in settings.callback_retry_delays.split(",") if part.strip())


# --- the callback URL --------------------------------------------------------------------------


async def verify_echostr(url: str, timeout_seconds: float) -> None:
    """The documented check: GET url?echostr=<8 random characters> must answer exactly it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("the callback URL must be http:// or https://")
    echostr = "".join(secrets.choice(_ECHOSTR_ALPHABET) for _ in range(8))
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False) as client:
            answer = await client.get(url, params={"echostr": echostr})
    except httpx.HTTPError as error:
        raise CallbackRefused(f"echostr check failed: {type(error).__name__}") from None
    if not answer.is_success or answer.text.strip() != echostr:
        raise CallbackRefused(f"echostr check failed: HTTP {answer.status_code}, wrong body")


async def set_callback_url(
    ctx: Context,
    app_key: str,
    url: str | None,
    master_secret: str | None = None,
    *,
    check_echostr: bool = True,
) -> None:
    """Set (after the echostr check, unless the caller just made it) or remove (None or "")
    the app's callback URL.

    Signing needs the app's master secret: it is given here (checked against the stored hash)
    or was sealed when a URL was set before.
    """
    app = await ctx.db.read(lambda conn: _app_and_secret_state(conn, app_key))
    app_id, stored_hash, has_sealed = app
    if not url:
        await ctx.db.write(lambda conn: repository.save_callback(conn, app_id, {"url": None}))
        return
    values: dict[str, object] = {"url": url}
    if master_secret is not None:
        if not secret_matches(master_secret, stored_hash):
            raise CallbackRefused("the master secret does not match the app")
        values["sealed_secret"] = seal_secret(ctx.server_key, app_id, master_secret)
    elif not has_sealed:
        raise CallbackRefused("callbacks are signed with the master secret: give it once")
    if check_echostr:
        await verify_echostr(url, ctx.settings.callback_timeout_seconds)
    values["verified_at"] = clock.now_ms()
    await ctx.db.write(lambda conn: repository.save_callback(conn, app_id, values))


def _app_and_secret_state(conn: Connection, app_key: str) -> tuple[int, str, bool]:
    app_id = repository.app_id_by_key(conn, app_key)
    if app_id is None:
        raise UnknownApp(app_key)
    sealed = repository.sealed_secret(conn, app_id)
    return app_id, repository.secret_hash(conn, app_id), sealed is not None


# --- dead letters ------------------------------------------------------------------------------


async def list_callbacks(db: Database, *, dead: bool) -> list[dict[str, Any]]:
    rows = await db.read(lambda conn: repository.list_entries(conn, dead))
    return [
        {
            "id": row.id,
            "app_key": row.app_key,
            "type": row.event,
            "data": json.loads(row.data),
            "attempts": row.attempts,
            "due_at": row.due_at,
            "dead_at": row.dead_at,
            "last_error": row.last_error,
        }
        for row in rows
    ]


async def replay_dead(db: Database, entry_ids: list[int] | None) -> list[int]:
    """Dead entries (all when None) go back to the outbox, due now, with a fresh set of tries;
    the ids that were dead and now are not."""
    now = clock.now_ms()
    return await db.write(lambda conn: repository.revive(conn, entry_ids, now))


# --- the sender --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    entry_id: int
    attempts: int
    error: str | None  # None: delivered
    final: bool = False  # no try can succeed (no URL, no secret): dead at once


class CallbackSender:
    """Posts due callbacks; safe to run in several processes (leases + SKIP LOCKED)."""

    def __init__(self, ctx: Context, client: httpx.AsyncClient | None = None) -> None:
        self._ctx = ctx
        self._client = client
        self._last_prune = 0

    async def run(self) -> None:
        """Post until the process stops (the pass in progress finishes) or until cancelled."""
        settings, process = self._ctx.settings, self._ctx.process
        timeout = httpx.Timeout(settings.callback_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            self._client = client
            while not process.stopping.is_set():
                try:
                    sent = await self.send_due()
                    await self.prune()
                except Exception:
                    log.exception("callback pass failed")
                    sent = 0
                process.heartbeats.beat(HEARTBEAT)
                if sent < settings.callback_batch:
                    await process.pause(settings.callback_poll_seconds)

    async def send_due(self) -> int:
        """One pass: lease due entries, post them concurrently, record every outcome."""
        settings = self._ctx.settings
        now = clock.now_ms()
        lease_until = now + int(settings.callback_lease_seconds * 1000)
        entries = await self._ctx.db.write(
            lambda conn: repository.claim_due(conn, now, settings.callback_batch, lease_until)
        )
        if not entries:
            return 0
        outcomes = await asyncio.gather(*(self._post(entry) for entry in entries))
        delays = retry_delays(settings)
        results = await self._ctx.db.write(lambda conn: _record_outcomes(conn, outcomes, delays))
        for entry, result in zip(entries, results, strict=True):
            metrics.callback_posted(entry.event, result)
        return len(entries)

    async def prune(self) -> None:
        now = clock.now_ms()
        if now - self._last_prune >= PRUNE_EVERY_MS:
            self._last_prune = now
            await prune_records(self._ctx.db, self._ctx.settings.report_keep_seconds)

    async def _post(self, entry: Row[Any]) -> Outcome:
        if not entry.url:
            return Outcome(entry.id, entry.attempts, "the app has no callback URL", final=True)
        try:
            secret = open_secret(self._ctx.server_key, entry.app_id, entry.sealed_secret or "")
        except (UnreadableSecret, ValueError):
            return Outcome(entry.id, entry.attempts, "no usable signing secret", final=True)
        nonce = secrets.randbits(64) - 2**63  # a Java long, as JSMS sends it
        timestamp = clock.now_ms()
        form = {
            "nonce": str(nonce),
            "timestamp": str(timestamp),
            "signature": callback_signature(entry.app_key, secret, nonce, timestamp),
            "type": entry.event,
            "data": entry.data,
        }
        assert self._client is not None, "run() or a client given to the constructor"
        try:
            answer = await self._client.post(entry.url, data=form)
        except httpx.HTTPError as error:
            return Outcome(entry.id, entry.attempts, f"{type(error).__name__}: {error}"[:500])
        if answer.is_success:
            return Outcome(entry.id, entry.attempts, None)
        return Outcome(entry.id, entry.attempts, f"HTTP {answer.status_code}")


def _record_outcomes(
    conn: Connection, outcomes: list[Outcome], delays: tuple[int, ...]
) -> list[str]:
    """Each outcome stored; returns what became of each: sent, failed (tried again) or dead."""
    now = clock.now_ms()
    results: list[str] = []
    for outcome in outcomes:
        if outcome.error is None:
            repository.remove_entry(conn, outcome.entry_id)
            results.append("sent")
        elif outcome.final or outcome.attempts > len(delays):
            repository.bury(conn, outcome.entry_id, now, outcome.error)
            log.warning("callback dead", entry=outcome.entry_id, error=outcome.error)
            results.append("dead")
        else:
            due = now + delays[outcome.attempts - 1] * 1000
            repository.reschedule(conn, outcome.entry_id, due, outcome.error)
            results.append("failed")
    return results
