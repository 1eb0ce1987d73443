"""Signed callbacks to apps: the app's callback URL and its echostr check, the callback outbox
other slices write in their own transactions, and its dead letters.

`smsgate.callbacks.sender` posts what is queued here.
"""

import json
import secrets
import string
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import (
    NewApp,
    UnknownApp,
    app_id_by_key,
    master_secret_matches,
    replace_master_secret,
)
from smsgate.callbacks import repository
from smsgate.callbacks.sealing import seal_secret
from smsgate.context import Context
from smsgate.db.engine import Database

EVENTS = ("SMS_REPORT", "SMS_REPLY", "SMS_TEMPLATE", "SMS_SIGN")
_ECHOSTR_ALPHABET = string.ascii_letters + string.digits


def callback_json(data: dict[str, Any]) -> str:
    """The `data` field of a callback (and of a pull record): compact JSON, text unescaped."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def has_callback_url(conn: Connection, app_id: int) -> bool:
    return bool(repository.apps_with_url(conn, [app_id]))


def apps_with_callback_url(conn: Connection, app_ids: Collection[int]) -> set[int]:
    """Those of the apps that have a callback URL, in one query for a whole batch of reports."""
    return repository.apps_with_url(conn, app_ids) if app_ids else set()


def enqueue_callback(conn: Connection, app_id: int, event: str, data: dict[str, Any]) -> None:
    """Queue a signed callback (SMS_REPORT, SMS_REPLY, SMS_TEMPLATE, SMS_SIGN) to the app's
    callback URL in the caller's transaction; nothing is queued when the app has none. It is
    posted by the callback loop, never by the request that caused it."""
    if event not in EVENTS:
        raise ValueError(f"unknown callback event {event!r}")
    if has_callback_url(conn, app_id):
        repository.enqueue(conn, event, [(app_id, callback_json(data))], clock.now_ms())


def enqueue_checked(
    conn: Connection, event: str, callbacks: list[tuple[int, str]], now_ms: int
) -> None:
    """Queue already encoded callbacks, (app_id, data) pairs, for apps the caller knows have a
    callback URL: one statement however many there are."""
    repository.enqueue(conn, event, callbacks, now_ms)


class CallbackRefused(ValueError):
    """The URL is unusable or did not pass the echostr check, or no secret can sign for it."""


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
    app = await ctx.db.read(lambda conn: _app_and_secret_state(conn, app_key, master_secret))
    app_id, secret_matches, has_sealed = app
    if not url:
        await ctx.db.write(lambda conn: repository.save_callback(conn, app_id, {"url": None}))
        return
    values: dict[str, object] = {"url": url}
    if master_secret is not None:
        if not secret_matches:
            raise CallbackRefused("the master secret does not match the app")
        values["sealed_secret"] = seal_secret(ctx.server_key, app_id, master_secret)
    elif not has_sealed:
        raise CallbackRefused("callbacks are signed with the master secret: give it once")
    if check_echostr:
        await verify_echostr(url, ctx.settings.callback_timeout_seconds)
    values["verified_at"] = clock.now_ms()
    await ctx.db.write(lambda conn: repository.save_callback(conn, app_id, values))


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    """An app's callback URL as an operator sees it (never the secret itself)."""

    url: str | None
    verified_at: int | None
    can_sign: bool  # a sealed master secret is kept: a new URL needs no secret


def callback_settings(conn: Connection, app_id: int) -> CallbackSettings:
    row = repository.callback_row(conn, app_id)
    if row is None:
        return CallbackSettings(None, None, False)
    return CallbackSettings(row.url, row.verified_at, row.sealed_secret is not None)


async def rotate_master_secret(ctx: Context, app_key: str) -> NewApp:
    """A new master secret for the app (shown once by the caller), the old one refused from the
    commit on. It lives here, above the apps slice, because the sealed copy that signs the
    app's callbacks must change in the same transaction: callbacks queued before and sent
    after are signed with the secret the app now holds."""

    def rotate(conn: Connection) -> NewApp:
        new = replace_master_secret(conn, app_key)
        app_id = new.account.id
        if repository.sealed_secret(conn, app_id) is not None:
            sealed = seal_secret(ctx.server_key, app_id, new.master_secret)
            repository.save_callback(conn, app_id, {"sealed_secret": sealed})
        return new

    return await ctx.db.write(rotate)


def _app_and_secret_state(
    conn: Connection, app_key: str, master_secret: str | None
) -> tuple[int, bool, bool]:
    app_id = app_id_by_key(conn, app_key)
    if app_id is None:
        raise UnknownApp(app_key)
    sealed = repository.sealed_secret(conn, app_id)
    matches = master_secret is not None and master_secret_matches(conn, app_id, master_secret)
    return app_id, matches, sealed is not None


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
