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
from smsgate.errors import Code, JsmsError
from smsgate.mobiles import mask_mobile, normalise_mobile
from smsgate.story.recording import REFUSED, StoryEvent, write_events

P = ParamSpec("P")
R = TypeVar("R")
log = structlog.get_logger("smsgate.story")
SERVER_ERROR = Code.SERVER_ERROR  # not a refusal: the send failed on smsgate's side

# The rule behind each refusal, in an operator's words (the JSMS message says it to the app).
RULES: dict[int, str] = {
    Code.MISSING_MOBILE: "no mobile number given",
    Code.INVALID_MOBILE: "not a mobile number smsgate sends to",
    Code.INVALID_BODY: "malformed recipient",
    Code.NO_SMS_CODE_AUTH: "the app may not send SMS",
    Code.OUT_OF_FREQ: "frequency limit",
    Code.INVALID_TEMP_ID: "no such template for this app",
    Code.NO_MONEY: "quota exhausted",
    Code.TEMPLATE_AUDITING: "template still in review",
    Code.TEMPLATE_NOT_PASS: "template rejected",
    Code.PARAMETERS_NOT_ALL_REPLACED: "template parameters missing",
    Code.PARAMETERS_EMPTY: "template parameter empty",
    Code.UNSUBSCRIBED_MOBILE: "the number unsubscribed from this app's marketing",
    Code.WRONG_TEMPLATE_TYPE: "wrong template type",
    Code.REPEAT_SEND: "the same number and text twice in one batch",
    Code.APP_IN_BLACK: "the app is blacklisted",
    Code.HAS_BLACK_WORD: "sensitive words in the text",
    Code.INVALID_CONTENT_LENGTH: "text or code of the wrong length",
    Code.INVALID_CODE_TYPE: "code not digits",
    Code.INVALID_VOICE_LANGUAGE: "unknown voice language",
    Code.INVALID_TTL: "ttl out of range",
    Code.SIGNATURE_NOT_SET: "no signature",
    Code.CONTENT_SPECIAL_SYMBOL: "special symbols or control characters in the text",
    Code.INVALID_SIGN_ID: "no such signature for this app",
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
