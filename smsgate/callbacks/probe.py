"""A test callback an operator sends from the console: signed like every callback, posted at
once to the app's URL (not through the outbox, never retried), its answer or error shown.

Its type is SMS_TEST, which no real event has, so an app that checks the signature and ignores
unknown types is unaffected. The whole call, connecting included, is bounded by
`callback_timeout_seconds`.
"""

import asyncio
from dataclasses import dataclass

import httpx
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import UnknownApp, app_id_by_key
from smsgate.callbacks import repository
from smsgate.callbacks.sealing import UnreadableSecret, open_secret
from smsgate.callbacks.service import CallbackRefused, callback_json
from smsgate.callbacks.signing import signed_form
from smsgate.context import Context

TEST_EVENT = "SMS_TEST"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    url: str
    status: int | None  # the HTTP status of the answer; None when there was none
    error: str | None  # why there was no answer

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def send_test_callback(ctx: Context, app_key: str) -> ProbeResult:
    """CallbackRefused when the app has no URL or no usable signing secret; otherwise the
    answer, whatever it was."""
    app_id, row = await ctx.db.read(lambda conn: _callback_of(conn, app_key))
    if row is None or not row.url:
        raise CallbackRefused("the app has no callback URL")
    try:
        secret = open_secret(ctx.server_key, app_id, row.sealed_secret or "")
    except (UnreadableSecret, ValueError):
        raise CallbackRefused(
            "no usable signing secret: set the URL with the master secret"
        ) from None
    data = callback_json({"appKey": app_key, "test": True, "sentTime": clock.now_ms()})
    form = signed_form(app_key, secret, TEST_EVENT, data)
    seconds = ctx.settings.callback_timeout_seconds
    try:
        async with asyncio.timeout(seconds):
            async with httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client:
                answer = await client.post(row.url, data=form)
    except TimeoutError:
        return ProbeResult(row.url, None, f"no answer within {seconds:g} s")
    except httpx.HTTPError as error:
        return ProbeResult(row.url, None, f"{type(error).__name__}: {error}"[:300])
    return ProbeResult(row.url, answer.status_code, None)


def _callback_of(conn: Connection, app_key: str) -> tuple[int, repository.CallbackRow | None]:
    app_id = app_id_by_key(conn, app_key)
    if app_id is None:
        raise UnknownApp(app_key)
    return app_id, repository.callback_row(conn, app_id)
