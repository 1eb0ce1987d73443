"""Sends refused before they were accepted, as entries of their own in the story: the app, the
number (when it was one), the JSMS code and the rule that refused it.

A refused single send commits nothing, so its entry is written in a transaction of its own
right after the refusal; a batch's refused recipients are written in the batch's transaction.
"""

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import structlog

from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.errors import JsmsError
from smsgate.messages.story.recording import REFUSED, StoryEvent, write_events
from smsgate.mobiles import mask_mobile, normalise_mobile

P = ParamSpec("P")
R = TypeVar("R")
log = structlog.get_logger("smsgate.story")
SERVER_ERROR = 50019  # not a refusal: the send failed on smsgate's side

# The rule behind each refusal, in an operator's words (the JSMS message says it to the app).
RULES = {
    50004: "no mobile number given",
    50006: "not a mobile number smsgate sends to",
    50007: "malformed recipient",
    50008: "the app may not send SMS",
    50009: "frequency limit",
    50013: "no such template for this app",
    50014: "quota exhausted",
    50020: "template still in review",
    50021: "template rejected",
    50022: "template parameters missing",
    50023: "template parameter empty",
    50024: "the number unsubscribed from this app's marketing",
    50025: "wrong template type",
    50034: "the same number and text twice in one batch",
    50036: "the app is blacklisted",
    50037: "sensitive words in the text",
    50038: "text or code of the wrong length",
    50039: "code not digits",
    50040: "unknown voice language",
    50041: "ttl out of range",
    50046: "no signature",
    50054: "special symbols or control characters in the text",
    50102: "no such signature for this app",
}


def refusal_rule(error: JsmsError) -> str:
    rule = RULES.get(error.code, error.message)
    return f"{rule}: {error.detail}" if error.detail else rule


def refusal_event(
    app_id: int,
    mobile: object,
    kind: str,
    error: JsmsError,
    *,
    msg_id: str | None = None,
    temp_id: int | None = None,
) -> StoryEvent:
    """A refused send; `mobile` as given (kept only when it is a number smsgate sends to)."""
    number = _number(mobile)
    data: dict[str, Any] = {"error_code": error.code, "rule": refusal_rule(error), "kind": kind}
    if number is not None:
        data["mobile"] = mask_mobile(number)
    if temp_id is not None:
        data["temp_id"] = temp_id
    return StoryEvent(msg_id, REFUSED, data, app_id=app_id, mobile=number)


def _number(mobile: object) -> str | None:
    try:
        return normalise_mobile(mobile)
    except JsmsError:
        return None


async def write_refusals(ctx: Context, events: Sequence[StoryEvent]) -> None:
    """Refusals in a transaction of their own. A failure to write them is logged and never
    hides the refusal itself from the caller."""
    try:
        await ctx.db.write(lambda conn: write_events(conn, events))
    except Exception:
        log.exception("refusals not recorded", count=len(events))


def recording_refusals(
    kind: str,
) -> Callable[
    [Callable[Concatenate[Context, AppAccount, P], Awaitable[R]]],
    Callable[Concatenate[Context, AppAccount, P], Awaitable[R]],
]:
    """Decorates a single send `(ctx, app, *, mobile, temp_id?, ...)`: every JsmsError it
    raises (but a server error) is recorded as a refusal before it goes on."""

    def decorate(
        send: Callable[Concatenate[Context, AppAccount, P], Awaitable[R]],
    ) -> Callable[Concatenate[Context, AppAccount, P], Awaitable[R]]:
        @functools.wraps(send)
        async def recorded(
            ctx: Context, app: AppAccount, /, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            try:
                return await send(ctx, app, *args, **kwargs)
            except JsmsError as error:
                if error.code != SERVER_ERROR:
                    temp_id = kwargs.get("temp_id")
                    event = refusal_event(
                        app.id,
                        kwargs.get("mobile"),
                        kind,
                        error,
                        temp_id=temp_id if isinstance(temp_id, int) else None,
                    )
                    await write_refusals(ctx, [event])
                raise

        return recorded

    return decorate
